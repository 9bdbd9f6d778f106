"""The course's Add2DigitsDataset (Northwestern HW4, question 2; ../shared/COURSES.md §5), drawn
from a seeded numpy stream.

A sequence is L digits 0..9; one position ``a``, uniform in [0, L-3], is overwritten by the
marker -1; the label is the digit right after the marker plus the last digit (0..18, 19
classes). The network reads it one-hot over 11 tokens: the digits at 0..9 and the marker at 10
(the course's ``one_hot[i, j, data[i, j]] = 1`` puts -1 at index 10 by negative indexing).
Worked example, L = 6::

    digits   4 7 1 9 3 5        a = 2 (uniform in [0, 3])
    sequence 4 7 -1 9 3 5       tokens 4 7 10 9 3 5
    label    9 + 5 = 14         the digit after the marker, plus the last digit

a + 1 <= L - 2, so the digit after the marker is never the last digit, and the marker never
overwrites either addend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DIGITS = 10
MARKER = 10  # the -1 token's one-hot index
TOKENS = 11  # input width: the digits and the marker
CLASSES = 19  # sums 0..18
MIN_LENGTH = 3  # the course's assert: the marker needs a digit after it that is not the last


@dataclass(frozen=True)
class Add2Digits:
    """Sequences of one length ``L``; :meth:`sample` draws (tokens, labels) from a numpy stream."""

    L: int

    def __post_init__(self):
        if self.L < MIN_LENGTH:
            raise ValueError(f"Add2Digits needs L >= {MIN_LENGTH} (a marker, the digit after it, the last digit), "
                             f"got {self.L}")

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` examples: tokens (n, L) uint8 in 0..10, labels (n,) int64 in 0..18."""
        digits = rng.integers(0, DIGITS, size=(n, self.L))  # (n, L)
        a = rng.integers(0, self.L - 2, size=n)  # (n,): the marker's position, 0..L-3
        rows = np.arange(n)
        labels = digits[rows, a + 1] + digits[:, -1]  # (n,)
        tokens = digits.astype(np.uint8)
        tokens[rows, a] = MARKER
        return tokens, labels.astype(np.int64)


def keys(tokens: np.ndarray) -> list[bytes]:
    """One hashable key per sequence (its token bytes), to tell which sequences two sets share."""
    return [row.tobytes() for row in np.ascontiguousarray(tokens, dtype=np.uint8)]


def shared_fraction(tokens: np.ndarray, others: np.ndarray) -> float:
    """The fraction of the sequences in ``tokens`` that also occur in ``others``."""
    seen = set(keys(others))
    return sum(k in seen for k in keys(tokens)) / len(tokens)


def fresh_stream(task: Add2Digits, rng: np.random.Generator, n: int,
                 exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``n`` examples from ``rng`` with every sequence of ``exclude`` (the judge set) left out, so
    a score on it is a score on sequences never trained on. Only short L can repeat a sequence: at
    L = 5 there are 3 x 10^4 of them, so a 100,000-example stream would hold most of the judge set."""
    banned = set(keys(exclude))
    xs, ys, have = [], [], 0
    while have < n:
        x, y = task.sample(rng, n - have + n // 8 + 16)
        keep = np.fromiter((k not in banned for k in keys(x)), dtype=bool, count=len(x))
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]
