"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4; in the form of Le et al. 2015).

Each step carries a pair (value, marker): values are uniform in [0, 1], and exactly two steps
are marked, one in the first half of the sequence and one in the second. The target is the sum
of the two marked values:

    T = 6:  values  0.3 0.9 0.1 0.5 0.7 0.2
            markers 0   1   0   0   1   0      -> target 0.9 + 0.7 = 1.6

The first marked value must be held for at least T/2 steps. Predicting the mean, 1, for every
sequence scores MSE = Var(U1 + U2) = 2/12 ~ 0.167: the baseline any model must beat.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from seqlab.core.errors import DataError
from seqlab.tasks.splits import SPLITS

INPUT_DIM = 2
BASELINE_MSE = 1 / 6  # Var(U(0,1) + U(0,1)) = 2 * 1/12


def generate(T: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x (n, T, 2) float32 [value, marker], y (n,) float32."""
    if T < 2:
        raise ValueError(f"T must be >= 2 (two marked steps), got {T}")
    values = rng.random((n, T), dtype=np.float32)  # (n, T)
    half = T // 2
    first = rng.integers(0, half, size=n)  # (n,) in the first half
    second = rng.integers(half, T, size=n)  # (n,) in the second half
    markers = np.zeros((n, T), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]  # (n,)
    return np.stack([values, markers], axis=-1), y.astype(np.float32)


def data_dir(root: Path, T: int) -> Path:
    return root / f"T{T}"


def write_all(root: Path, lengths: tuple[int, ...], sizes: dict[str, int], seed: int) -> dict:
    """Train/val/test at every T; each set seeded by (seed, T, split) alone."""
    meta = {"seed": seed, "sizes": sizes, "lengths": list(lengths), "baseline": {}}
    for T in lengths:
        out = data_dir(root, T)
        out.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for i, split in enumerate(SPLITS):
            x, y = generate(T, sizes[split], np.random.default_rng([seed, T, i]))
            np.save(out / f"{split}_x.npy", x)
            np.save(out / f"{split}_y.npy", y)
            arrays[split] = y
        # The constant predictor fitted on train, scored on test: this run's measured baseline.
        mean = float(arrays["train"].mean())
        meta["baseline"][str(T)] = {"train_mean": round(mean, 6),
                                    "test_mse": round(float(((arrays["test"] - mean) ** 2).mean()), 6)}
    (root / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def load(root: Path, T: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    d = data_dir(root, T)
    if not (d / "train_x.npy").is_file():
        raise DataError(f"{d}: no adding-task data for T={T}; generate it with `dvc repro adding_generate`")
    out = {}
    for split in SPLITS:
        x, y = np.load(d / f"{split}_x.npy"), np.load(d / f"{split}_y.npy")
        if x.ndim != 3 or x.shape[1:] != (T, INPUT_DIM) or y.shape != (len(x),):
            raise DataError(f"{d}: {split} split is malformed: x {x.shape}, y {y.shape}")
        out[split] = (x, y)
    return out
