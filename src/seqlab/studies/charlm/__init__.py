"""The character-level LSTM language model (the course's char-RNN on Grimms' Fairy Tales): a
corpus from Project Gutenberg, a file, or offline from Python's own help topics; an embedding,
a 2-layer fused LSTM and a linear head trained on random windows; greedy and temperature
decoding from checkpoints at 1/3, 2/3 and 3/3 of training, with the repetition, loops and
likelihood the course judged by eye. Stages: charlm_prepare -> charlm_train -> charlm_evaluate
-> charlm_figures; and the UvA course's own protocol on the same corpus (the ``course``
subpackage): charlm_prepare -> charlm_course_train -> charlm_course_evaluate, on which the claims
ledger judges the UvA report's char-LSTM claims.
"""
