"""The masked autoencoder: an MLP fills in the hidden part of an MNIST digit.

It trains on the MNIST study's splits (``mnist.data``), and the MNIST study's best classifier
judges its reconstructions (seqlab.judging.classifier). Stages: masked_train -> masked_evaluate ->
masked_figures.
"""
