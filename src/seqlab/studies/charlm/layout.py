"""The char-LSTM study's names that its steps and its figures both read. Training code stays out
of here, so the figures stage imports none of it."""

STUDY = "charlm"
GREEDY = "greedy"  # the decoding row drawn with temperature 0
