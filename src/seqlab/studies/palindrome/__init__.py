"""The palindrome study, the headline: where each recurrent cell breaks as T grows.

A vanilla RNN, an LSTM, a peephole LSTM and a GRU read the first T-1 digits of a palindrome of
length T and predict the last one, which equals the first. Each model has a chain of stages of
its own (palindrome_generate@<model> -> palindrome_train@<model> -> palindrome_evaluate@<model>),
so `dvc exp run -S lstm.T=20` re-runs the LSTM's chain and leaves the others cached; then
palindrome_figures and the report.

    params.py   the palindrome, <model> sections of params.yaml
    steps.py    generate, train, evaluate (one model per call)
    figures.py  accuracy curves and RNN-vs-LSTM loss; each run's curve in MLflow
    report.py   the report's palindrome section and the course's two claims
"""
