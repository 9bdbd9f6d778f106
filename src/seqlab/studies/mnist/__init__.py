"""Sequential MNIST: RNN/LSTM/GRU classifiers reading images row by row (28 steps) and pixel by
pixel (784 steps), and the row-by-row LSTM autoencoder with a classifier on its latent.

Stages: mnist_generate -> mnist_train_classifiers and mnist_train_autoencoder (separate stages,
each reading only its own params) -> mnist_evaluate -> mnist_figures. The data layer, shared
with any study that trains on MNIST, is seqlab.tasks.mnist.
"""
