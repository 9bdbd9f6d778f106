"""Stages mnist_<step>: the sequential-MNIST study (generate, train_classifiers, train_autoencoder,
evaluate, figures)."""

from seqlab.params.mnist import parse
from seqlab.studies import mnist
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse, mnist)
