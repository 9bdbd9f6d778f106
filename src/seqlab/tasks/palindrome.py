"""The palindrome task: read the first T-1 digits of a palindrome, predict the last.

Example (base 10, T=5): the palindrome 3 7 1 7 3 gives the input [3, 7, 1, 7] and the
target 3. The target equals the first digit, so the model must carry it across T-1 steps:
the longer the palindrome, the longer the memory it needs. base=2 is the binary variant,
the same task over the digits {0, 1}.

A palindrome is fixed by its first ceil(T/2) digits, so there are base**ceil(T/2) of them
(1,000 at T=5 in base 10, only 8 in base 2). The splits hold distinct palindromes and are
disjoint: the test split is never seen in training. When fewer distinct palindromes exist
than the sizes ask for, the whole space is shared out in the same proportions, and the
metadata says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from seqlab.core.errors import DataError
from seqlab.tasks.splits import SPLITS, overlap


@dataclass(frozen=True)
class PalindromeTask:
    T: int
    base: int = 10

    def __post_init__(self):
        if self.T < 2:
            raise ValueError(f"palindrome length T must be >= 2 (the model reads T-1 digits), got {self.T}")
        if self.base < 2:
            raise ValueError(f"palindrome base must be >= 2, got {self.base}")

    @property
    def half(self) -> int:
        return (self.T + 1) // 2

    @property
    def n_distinct(self) -> int:
        return self.base**self.half

    # Tasks size the models.
    @property
    def input_dim(self) -> int:
        return self.base

    @property
    def num_classes(self) -> int:
        return self.base

    @property
    def seq_len(self) -> int:
        return self.T - 1

    def from_halves(self, halves: np.ndarray) -> np.ndarray:
        """(N, ceil(T/2)) first halves -> (N, T) palindromes."""
        mirrored = halves[:, : self.T // 2][:, ::-1]
        return np.concatenate([halves, mirrored], axis=1)

    def all_halves(self) -> np.ndarray:
        """Every first half, in lexicographic order: (base**half, half)."""
        codes = np.arange(self.n_distinct, dtype=np.int64)
        powers = self.base ** np.arange(self.half - 1, -1, -1, dtype=np.int64)
        return ((codes[:, None] // powers) % self.base).astype(np.uint8)


def split_sizes(requested: dict[str, int], available: int) -> dict[str, int]:
    """Sizes for the splits: as requested, or the whole space shared out in proportion."""
    total = sum(requested.values())
    if available >= total:
        return dict(requested)
    if available < len(requested):
        raise ValueError(
            f"only {available} distinct palindromes exist; train, val and test need at least one each"
        )
    # Every split gets at least one; train takes what rounding leaves.
    sizes = {k: max(1, int(available * v / total)) for k, v in requested.items() if k != "train"}
    sizes["train"] = available - sum(sizes.values())
    return {k: sizes[k] for k in requested}


def generate(task: PalindromeTask, sizes: dict[str, int], seed: int) -> tuple[dict[str, np.ndarray], dict]:
    """Seeded, disjoint splits of distinct palindromes, and a description of them.

    Returns ({split: uint8 array (N, T)}, metadata). The stream is seeded by (seed, T, base),
    so adding a length elsewhere never changes the data of this one.
    """
    rng = np.random.default_rng([seed, task.T, task.base])
    requested = {k: int(sizes[k]) for k in SPLITS}
    final = split_sizes(requested, task.n_distinct)
    total = sum(final.values())

    if total == task.n_distinct:
        halves = task.all_halves()[rng.permutation(task.n_distinct)]
    else:
        # Draw first halves until `total` distinct ones are found, kept in order of first
        # appearance so the result depends on the seed alone.
        halves = np.empty((0, task.half), dtype=np.uint8)
        while len(halves) < total:
            draw = rng.integers(0, task.base, size=(total + total // 10 + 16, task.half), dtype=np.uint8)
            pool = np.concatenate([halves, draw])
            _, first = np.unique(pool, axis=0, return_index=True)
            halves = pool[np.sort(first)]
        halves = halves[:total]

    pals = task.from_halves(halves)
    out, start = {}, 0
    for k in SPLITS:
        out[k] = np.ascontiguousarray(pals[start : start + final[k]])
        start += final[k]

    meta = {
        "task": asdict(task),
        "seed": seed,
        "n_distinct": task.n_distinct,
        "requested": requested,
        "sizes": final,
        "space_exhausted": total == task.n_distinct and total < sum(requested.values()),
        "overlap_train_test": overlap(out["train"], out["test"]),
        "overlap_train_val": overlap(out["train"], out["val"]),
    }
    return out, meta


def inputs_targets(pals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, T) palindromes -> inputs (N, T-1) and targets (N,): the last digit."""
    return pals[:, :-1], pals[:, -1]


def tensors(pals: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, T) palindromes -> int64 tensors: inputs (N, T-1) and targets (N,)."""
    x, y = inputs_targets(pals)
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))


def data_dir(root: Path, T: int) -> Path:
    """Where the splits of length T live under a study's data folder."""
    return Path(root) / f"T{T}"


def save(out_dir: Path, splits: dict[str, np.ndarray], meta: dict) -> None:
    """np.save writes no timestamps, so identical arrays give identical bytes (real DVC cache hits)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for k, arr in splits.items():
        np.save(out_dir / f"{k}.npy", arr, allow_pickle=False)
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load(data_dir: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read the splits written by :func:`save`, failing clearly if they are missing or malformed."""
    data_dir = Path(data_dir)
    meta_path = data_dir / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path} not found: run the generate stage first (dvc repro)")
    meta = json.loads(meta_path.read_text())
    T = meta["task"]["T"]
    splits = {}
    for k in SPLITS:
        try:
            arr = np.load(data_dir / f"{k}.npy", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(f"{data_dir / (k + '.npy')} is unreadable ({exc}); re-run the generate stage") from exc
        if arr.ndim != 2 or arr.shape[1] != T or arr.dtype != np.uint8:
            raise DataError(f"{data_dir / (k + '.npy')}: expected uint8 (N, {T}), got {arr.dtype} {arr.shape}")
        splits[k] = arr
    return splits, meta
