"""The course's digit sequences, drawn as q2.py's gen_seq drew them, one batch at a time:

    L = randint(3, 10)                       # one length for the whole batch: 3..9
    d = randint(0, 9, size=(32, L))          # digits 0..8: high is exclusive, so a 9 never occurs
    x[b, t, d[b, t]] = 1                     # one-hot over 10: column 9 is never set
    y = d[:, 1]                              # the digit at 0-based index 1

    e.g. d = [3, 5, 8, 6, 8] -> y = 5 (the report's own example)

seqlab draws a run's batches up front from a seeded numpy Generator and stores them padded to
``max_len`` with all-zero rows: a batch of one length L has exactly L non-zero rows per sequence,
so its length is read back from the data (:func:`length`) and :func:`unpad` hands the LSTM the
batch as the course had it, L steps and no padding.
"""

from __future__ import annotations

import numpy as np
import torch

DIGITS = 9  # randint(low=0, high=9): digits 0..8
INPUT_DIM = 10  # the course's one-hot width (column 9 stays empty)
NUM_CLASSES = 10  # its Linear(H, 10)


def course_batches(rng: np.random.Generator, n_batches: int, batch_size: int, min_len: int, max_len: int,
                   position: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_batches`` i.i.d. batches of the course's data.

    Returns:
        x: (N, B, max_len, 10) float32, one-hot rows for each batch's first L steps, zero after;
        y: (N, B) int64, the digit at ``position``.
    """
    lengths = rng.integers(min_len, max_len + 1, size=n_batches)  # (N,): one per batch
    digits = rng.integers(0, DIGITS, size=(n_batches, batch_size, max_len))  # (N, B, T)
    real = np.arange(max_len) < lengths[:, None, None]  # (N, 1, T): the batch's first L steps
    x = (digits[..., None] == np.arange(INPUT_DIM)) & real[..., None]  # (N, B, T, 10)
    return x.astype(np.float32), digits[:, :, position].astype(np.int64)


def length(batch: torch.Tensor) -> int:
    """The one length of a stored batch (B, T, 10): the number of one-hot rows of its first sequence."""
    return int(batch[0].sum().item())


def lengths(x: torch.Tensor) -> torch.Tensor:
    """Each stored batch's length: (N, B, T, 10) -> (N,)."""
    return x[:, 0].sum(dim=(1, 2)).long()


def unpad(batch: torch.Tensor) -> torch.Tensor:
    """A stored batch (B, T, 10) as the course fed it to the LSTM: (B, L, 10), no padding."""
    return batch[:, : length(batch)]
