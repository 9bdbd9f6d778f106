"""The LSTM-autoencoder study's names that its steps and its figures both read. Training code
stays out of here, so the figures stage imports none of it."""

from __future__ import annotations

from seqlab.core import paths

STUDY = "lstmae"
SYNTHETIC, PRICES, RECONSTRUCT, PREDICT = "synthetic", "prices", "reconstruct", "predict"


def data_dir(part: str):
    """data/lstmae/synthetic/ (signals.npz) or data/lstmae/prices/ (windows.npz, meta.json, shown.csv)."""
    return paths.study_data(STUDY, part)
