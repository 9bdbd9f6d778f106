"""Digit recall: read a sequence of random digits, then name the digit at a fixed position.

    digits [3, 5, 8, 6, 8], position 1  ->  target 5

Lengths vary per sample between ``min_len`` and ``max_len``; shorter sequences are padded at
the end with the token PAD (= 10), so the model's input alphabet has 11 symbols and it must
carry the digit across the rest of the sequence, however long, before answering.
(The course's reference generator drew digits with randint(0, 9) and never produced a 9; here
every digit 0-9 is drawn, and a test checks that each appears.)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from seqlab.core.errors import DataError
from seqlab.tasks.splits import SPLITS, overlap_fraction

PAD = 10


@dataclass(frozen=True)
class RecallTask:
    min_len: int
    max_len: int
    position: int  # 0-based index of the digit to recall

    def __post_init__(self):
        if not 1 <= self.min_len <= self.max_len:
            raise ValueError(f"need 1 <= min_len <= max_len, got {self.min_len}, {self.max_len}")
        if not 0 <= self.position < self.min_len:
            raise ValueError(f"position {self.position} must lie inside the shortest sequence ({self.min_len})")

    input_dim = 11  # digits 0-9 and PAD, one-hot
    num_classes = 10

    @property
    def seq_len(self) -> int:
        return self.max_len


def generate(task: RecallTask, sizes: dict[str, int], seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Seeded splits: {split: {"x": (N, max_len) int8, PAD after each length, "y": (N,) int8}}.

    Sequences are drawn independently, so a short one can appear in two splits (there are only
    10**3 sequences of length 3); the saved metadata says how often (``test_in_train``).
    """
    rng = np.random.default_rng([seed, task.min_len, task.max_len])
    out = {}
    for name in SPLITS:
        n = sizes[name]
        lengths = rng.integers(task.min_len, task.max_len + 1, size=n)  # (N,)
        digits = rng.integers(0, 10, size=(n, task.max_len))  # (N, L): high is exclusive, so 0-9
        x = np.where(np.arange(task.max_len) < lengths[:, None], digits, PAD).astype(np.int8)
        out[name] = {"x": x, "y": x[:, task.position].copy()}
    return out


def lengths(x: np.ndarray) -> np.ndarray:
    return (x != PAD).sum(axis=1)


def save(out: Path, task: RecallTask, splits: dict, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, arrays in splits.items():
        for key, arr in arrays.items():
            np.save(out / f"{name}_{key}.npy", arr)
    meta = {"task": asdict(task), "seed": seed, "sizes": {k: len(v["y"]) for k, v in splits.items()},
            "test_in_train": overlap_fraction(splits["train"]["x"], splits["test"]["x"])}
    (out / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load(path: Path) -> tuple[dict, dict]:
    path = Path(path)
    if not (path / "meta.json").is_file():
        raise DataError(f"{path}: no recall data here (meta.json missing); generate it with `dvc repro recall_generate`")
    meta = json.loads((path / "meta.json").read_text())
    splits = {}
    for name in SPLITS:
        x, y = np.load(path / f"{name}_x.npy"), np.load(path / f"{name}_y.npy")
        if x.ndim != 2 or len(x) != len(y):
            raise DataError(f"{path}: {name} split is malformed: x {x.shape}, y {y.shape}")
        splits[name] = {"x": x, "y": y}
    return splits, meta
