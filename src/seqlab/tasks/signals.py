"""Synthetic signals with one dip, the course's first LSTM-autoencoder task, and the two
baselines a learned reconstruction is held against.

Each signal is ``length`` values drawn from U[0, 1]. A centre i is drawn uniformly from
[dip_min, dip_max] (both ends included), and x[i - half : i + half] is multiplied by
``factor``: with the course's values (length 50, i in [20, 30], half 5, factor 0.1) ten values
around i drop to a tenth. A worked example: i = 20 scales x[15], ..., x[24].

    mean signal      every test signal reconstructed as the training signals' mean, position by
                     position: the best a model can do that ignores its input
    moving average   each signal smoothed with a centred window of ``width`` values (the ends
                     repeat the edge value): it keeps the level and blurs exactly the dip's edges
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d


@dataclass(frozen=True)
class Dips:
    """Where each signal's dip is, and the signals."""

    x: np.ndarray  # (n, length) float32
    centre: np.ndarray  # (n,) int64: the i of x[i - half : i + half]


def dip_signals(n: int, length: int, dip_min: int, dip_max: int, half: int, factor: float, seed: int) -> Dips:
    """``n`` uniform-noise signals, each with one dip of ``2 * half`` values scaled by ``factor``."""
    if not half <= dip_min <= dip_max <= length - half:
        raise ValueError(f"a dip of half-width {half} centred in [{dip_min}, {dip_max}] does not fit in {length} values")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, length))  # (n, length)
    centre = rng.integers(dip_min, dip_max + 1, size=n)  # (n,), both ends included
    offsets = np.arange(-half, half)  # (2 * half,)
    rows = np.arange(n)[:, None]  # (n, 1)
    x[rows, centre[:, None] + offsets] *= factor
    return Dips(x.astype(np.float32), centre.astype(np.int64))


def dip_mask(centre: np.ndarray, length: int, half: int) -> np.ndarray:
    """(n, length) booleans: True inside each signal's dip."""
    pos = np.arange(length)[None, :]  # (1, length)
    return (pos >= centre[:, None] - half) & (pos < centre[:, None] + half)


def mean_signal(train: np.ndarray, n: int) -> np.ndarray:
    """The training signals' mean, position by position, repeated ``n`` times: (n, length)."""
    return np.broadcast_to(train.mean(axis=0), (n, train.shape[1])).copy()


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Each row smoothed by a centred mean of ``width`` values (scipy's uniform filter; the ends
    repeat the edge value). ``width`` 1 returns the signals unchanged."""
    return uniform_filter1d(x.astype(np.float64), size=width, axis=1, mode="nearest").astype(np.float32)
