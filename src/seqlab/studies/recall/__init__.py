"""Digit recall: how much memory an LSTM needs to carry one digit to the end of a sequence.

An LSTM with hidden size 2, 5 and 10 (recall.train.hidden) reads 3-9 random digits and names
the digit at ``recall.data.position``. Stages: recall_generate -> recall_train ->
recall_evaluate -> recall_figures, talking through the files under seqlab.core.paths.
"""
