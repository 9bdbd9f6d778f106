"""seqlab: classic recurrent-network studies as one reproducible DVC pipeline."""

__version__ = "0.1.0"
