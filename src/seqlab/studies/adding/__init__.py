"""The adding task (Hochreiter & Schmidhuber 1997): RNN, LSTM, peephole LSTM and GRU at
T = 10, 50, 100 sum the two marked values of a sequence, trained on MSE.

Stages: adding_generate -> adding_train -> adding_evaluate -> adding_figures.
"""
