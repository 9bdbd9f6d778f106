"""What every task's splits share: their names, and how much of one split another contains."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "val", "test")


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """How many rows of ``b`` also occur in ``a`` (rows compared whole, byte for byte)."""
    seen = {row.tobytes() for row in a}
    return sum(row.tobytes() in seen for row in b)


def overlap_fraction(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of ``b``'s rows that also occur in ``a``, to 6 decimals (0 for an empty ``b``)."""
    return round(overlap(a, b) / len(b), 6) if len(b) else 0.0
