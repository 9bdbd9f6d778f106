"""Binary addition: an LSTM (hidden 3/5/10) adds two L-bit numbers, least significant bit first,
trained at L = 3/5/10 with MSE or with cross-entropy, then tested at every L = 1..eval_max_len.

Stages: addition_generate -> addition_train -> addition_evaluate -> addition_figures.
"""
