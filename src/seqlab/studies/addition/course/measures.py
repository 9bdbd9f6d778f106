"""The course's data and what its losses allow, in closed form (numpy only: the training, the
evaluation, the figures and the ledger all read these).

The course's operands (q3.py ``gen_seq``), one problem per sample::

    c ~ U[0, 2^L),  a ~ U[0, c],  b = c − a          L = 3, c = 6, a = 4, b = 2:
                                                      a bits 0 0 1 0
    bits least significant first, L+1 steps:          b bits 0 1 0 0
    x (n, L+1, 2) = (a_t, b_t), y (n, L+1) = c_t      c bits 0 1 1 0    (the top bit is always 0)

Unlike seqlab's ``tasks.addition.generate`` (two independent operands), the sum never carries out
of its L bits, and small operands are favoured: P(a, b) ∝ 1/(a+b+1).
"""

from __future__ import annotations

import math

import numpy as np

from seqlab.tasks.addition import INPUT_DIM, from_bits, to_bits


def course_problems(L: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` problems drawn the course's way: x (n, L+1, 2) and y (n, L+1) as float32 bits, c (n,)."""
    if L < 1:
        raise ValueError(f"L must be >= 1, got {L}")
    c = rng.integers(0, 2**L, size=n, dtype=np.int64)  # (n,)
    a = rng.integers(0, c + 1, dtype=np.int64)  # (n,): each uniform on [0, c]
    x = np.zeros((n, L + 1, INPUT_DIM), dtype=np.float32)
    x[:, :, 0], x[:, :, 1] = to_bits(a, L + 1), to_bits(c - a, L + 1)
    return x, to_bits(c, L + 1).astype(np.float32), c


def shown_problems(L: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` problems with sums spread evenly over [0, 2^L) (0 and 2^L − 1 included), each with
    a ~ U[0, c] as the course drew it: the rows of the per-step output figure, sorted by c."""
    c = np.unique(np.round(np.linspace(0, 2**L - 1, n)).astype(np.int64))  # (<= n,)
    a = rng.integers(0, c + 1, dtype=np.int64)
    x = np.zeros((len(c), L + 1, INPUT_DIM), dtype=np.float32)
    x[:, :, 0], x[:, :, 1] = to_bits(a, L + 1), to_bits(c - a, L + 1)
    return x, to_bits(c, L + 1).astype(np.float32), c


def decode(bits: np.ndarray) -> np.ndarray:
    """(n, T) bits, least significant first -> (n,) ints: the course's ``pred.dot(2**arange(T))``."""
    return from_bits(np.asarray(bits).astype(np.int64))


def thresholded(outputs: np.ndarray) -> np.ndarray:
    """The course's prediction: each sigmoid output above 0.5 is a 1."""
    return (np.asarray(outputs) > 0.5).astype(np.int64)


def lowest_set_bit(c: np.ndarray) -> np.ndarray:
    """c & −c: the value of c's lowest set bit (0 for c = 0), what a model trained on the
    time-position cross-entropy decodes to."""
    c = np.asarray(c, dtype=np.int64)
    return c & -c


def ce_target(bits: np.ndarray) -> np.ndarray:
    """The course's cross-entropy target, ``np.argmax(y, axis=1)``: the first maximum of the bits,
    i.e. the position of the lowest set bit, and 0 (the class of every odd sum) when the sum is 0."""
    return np.argmax(np.asarray(bits), axis=1)


def ce_ceiling(L: int) -> float:
    """Whole-number accuracy of the best model the time-position cross-entropy can train: it
    decodes to c & −c, right only for c = 0 and the L powers of two below 2^L, so (L+1)/2^L of
    the uniformly drawn sums."""
    return (L + 1) / 2**L


def ce_loss_floor(L: int) -> float:
    """The lowest time-position cross-entropy there is: scores squashed into (0, 1), the best is
    1 at the target and 0 at the L other steps, −1 + log(e + L)."""
    return math.log(math.e + L) - 1.0


def ce_ideal_bit_accuracy(L: int) -> float:
    """Per-bit accuracy of that best model (c & −c against c): it misses each set bit of c but
    the lowest, 1 − (E[popcount c] − P(c > 0)) / (L+1) = 1 − (L/2 − 1 + 2^−L) / (L+1). High, so
    bit accuracy hides the failure."""
    return 1.0 - (L / 2 - 1 + 2.0**-L) / (L + 1)


def distinct_problems(L: int) -> int:
    """How many (a, b) the course's sampling can draw: sum over c < 2^L of (c+1)."""
    return 2**L * (2**L + 1) // 2
