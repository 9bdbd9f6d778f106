"""Gradient flow: ||dL/ds(t)|| for every cell at each gradflow.T, at initialisation and after
training, on a fixed batch of the sweep's test palindromes.

The trained models are the length sweep's (seed ``gradflow.seed``), read from its output files;
"at initialisation" is the same network rebuilt from its stored config and the same seed, before
any training step. Stages: gradflow_measure -> gradflow_figures.

    params.py   the gradflow section, and the sweep keys that say what it trained
    norms.py    the measurement: state gradients by autograd, their norms, the decay fit
    steps.py    measure; figures.py; report.py
"""
