"""Binary addition, least significant bit first, one bit pair per step.

Two L-bit numbers a and b are read LSB first, with one extra all-zero step so the final
carry has a place to come out; the target at each step is that bit of the (L+1)-bit sum:

    L = 3, a = 6, b = 3:   a bits 0 1 1 0
                           b bits 1 1 0 0
                         sum = 9: 1 0 0 1     x: (L+1, 2) = [[0,1],[1,1],[1,0],[0,0]], y: [1,0,0,1]

At each step the network must add two bits and the carry it remembers from the step before.
The sequence length carries no information, so a model trained at one L can be run at any L.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from seqlab.core.errors import DataError
from seqlab.tasks.splits import overlap_fraction

INPUT_DIM = 2


def to_bits(values: np.ndarray, n_bits: int) -> np.ndarray:
    """(N,) non-negative ints -> (N, n_bits) uint8, least significant bit first."""
    return ((values[:, None] >> np.arange(n_bits)) & 1).astype(np.uint8)


def from_bits(bits: np.ndarray) -> np.ndarray:
    """(N, n) bits, LSB first -> (N,) ints."""
    return (bits.astype(np.int64) << np.arange(bits.shape[1])).sum(axis=1)


def generate(L: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random problems of two L-bit numbers: x (n, L+1, 2) and y (n, L+1), uint8 bits."""
    if L < 1:
        raise ValueError(f"L must be >= 1, got {L}")
    a, b = rng.integers(0, 2**L, size=(2, n), dtype=np.int64)  # each (n,)
    x = np.zeros((n, L + 1, INPUT_DIM), dtype=np.uint8)
    x[:, :L, 0], x[:, :L, 1] = to_bits(a, L), to_bits(b, L)
    y = to_bits(a + b, L + 1)  # (n, L+1): the top bit is the final carry
    return x, y


def train_dir(root: Path, L: int) -> Path:
    return root / "train" / f"L{L}"


def test_file(root: Path, L: int, part: str) -> Path:
    return root / "test" / f"L{L}_{part}.npy"


def write_all(root: Path, lengths: tuple[int, ...], eval_lengths: range, sizes: dict[str, int], seed: int) -> dict:
    """Train/val splits at each training length and a test set at every evaluation length.

    Each set has its own generator, seeded by (seed, L, set), so adding a length leaves the
    others' bytes unchanged.
    """
    meta = {"seed": seed, "sizes": sizes, "lengths": list(lengths), "eval_lengths": list(eval_lengths),
            "distinct_problems": {}, "test_in_train": {}}
    (root / "test").mkdir(parents=True, exist_ok=True)
    tests = {}
    for L in eval_lengths:
        tests[L] = generate(L, sizes["n_test"], np.random.default_rng([seed, L, 2]))
        np.save(test_file(root, L, "x"), tests[L][0])
        np.save(test_file(root, L, "y"), tests[L][1])
    for L in lengths:
        out = train_dir(root, L)
        out.mkdir(parents=True, exist_ok=True)
        for i, split in enumerate(("train", "val")):
            x, y = generate(L, sizes[f"n_{split}"], np.random.default_rng([seed, L, i]))
            np.save(out / f"{split}_x.npy", x)
            np.save(out / f"{split}_y.npy", y)
        # With 4**L distinct problems, short L repeat: say how much of the test set was seen.
        meta["distinct_problems"][str(L)] = 4**L
        if L in tests:
            meta["test_in_train"][str(L)] = overlap_fraction(np.load(out / "train_x.npy"), tests[L][0])
    (root / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def _check(x: np.ndarray, y: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim != 3 or x.shape[2] != INPUT_DIM or y.shape != x.shape[:2]:
        raise DataError(f"{where}: expected x (N, L+1, 2) and y (N, L+1), got {x.shape} and {y.shape}")
    return x, y


def load_train(root: Path, L: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    d = train_dir(root, L)
    if not (d / "train_x.npy").is_file():
        raise DataError(f"{d}: no addition data for L={L}; generate it with `dvc repro addition_generate`")
    return {s: _check(np.load(d / f"{s}_x.npy"), np.load(d / f"{s}_y.npy"), str(d)) for s in ("train", "val")}


def load_test(root: Path, L: int) -> tuple[np.ndarray, np.ndarray]:
    path = test_file(root, L, "x")
    if not path.is_file():
        raise DataError(f"{path} missing; generate it with `dvc repro addition_generate`")
    return _check(np.load(path), np.load(test_file(root, L, "y")), str(path))
