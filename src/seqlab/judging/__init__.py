"""Judging results: the verdict rules every claim uses, and the MNIST judge classifier that the
image studies score their outputs with."""
