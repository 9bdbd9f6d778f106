"""The palindrome length sweep: every cell at T = 5 .. 60, to find where each one breaks.

A cell's *critical length* is the longest T before the first T at which its mean test accuracy
falls short of ``sweep.evaluate.target_acc``. Stages: sweep_generate -> sweep_train -> sweep_evaluate ->
sweep_figures. The gradient-flow study measures the models this study trains.
"""
