"""The UvA course's binary palindromes (../shared/COURSES.md §1): not seqlab's decimal task.

One sample at "length" T:

1. draw ceil(T/2) digits uniformly from 0..8 (the course's ``randint(0, 9)``);
2. write each in binary without leading zeros (0 is "0", 5 is "101") and join the bits;
3. reverse that bit string with probability 1/2;
4. mirror it into a palindrome (the string, then the string reversed), and left-pad it with -1
   to 4T+2 symbols;
5. the input is the first 4T+1 symbols shifted by +1, so the alphabet is {0 = pad, 1 = bit 0,
   2 = bit 1}; the label is the last symbol, a bit.

Example (T=2): digits [5, 2] -> "101" + "10" = "10110"; not reversed; palindrome "1011001101";
padded to 10 symbols it needs no pad; input 2 1 2 2 1 1 2 2 1 (the last 1 dropped), label 1.

The label is the palindrome's first bit. Unreversed, that is the first digit's leading bit: 1
for the digits 1..8, 0 for 0 (8/9). Reversed, it is the last digit's lowest bit, its parity
(4/9). So P(label = 1) = (8/9 + 4/9) / 2 = 2/3: answering 1 always scores :data:`MAJORITY`.

The bit to recall sits at the first non-pad position. The course's model reads only the first 4T
of the 4T+1 input symbols, so it carries that bit over 2n-3 steps for a palindrome of 2n bits:
from T-3 steps (every digit one bit long) to 4T-3 (every digit four bits long).

Everything is drawn from a numpy ``Generator``: the same seed gives the same samples on every
machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

PAD = 0  # input symbols after the +1 shift: 0 = pad, 1 = bit 0, 2 = bit 1
SYMBOLS = 3
MAJORITY = 2 / 3  # P(label = 1): the accuracy of always answering 1
DIGITS = 9  # digits 0..8

# Each digit's bits, right-aligned in 4 places (the most 8 = 1000 needs), and how many it has.
_WIDTH = 4
_BITS = np.array([[(d >> (_WIDTH - 1 - k)) & 1 for k in range(_WIDTH)] for d in range(DIGITS)], dtype=np.int8)
_NBITS = np.array([max(1, d.bit_length()) for d in range(DIGITS)])  # 0 is written "0": one bit


@dataclass(frozen=True)
class BinaryPalindromeTask:
    T: int

    def __post_init__(self):
        # The longest palindrome is 2 * 4 * ceil(T/2) bits; for odd T that exceeds 4T+2 (the
        # course's generator then emits a longer, unpadded sequence that cannot be batched).
        if self.T < 2 or self.T % 2:
            raise ValueError(f"binary palindrome length T must be even and >= 2, got {self.T}")

    @property
    def digits(self) -> int:
        return math.ceil(self.T / 2)

    @property
    def padded_len(self) -> int:
        return 4 * self.T + 2

    @property
    def input_len(self) -> int:
        return self.padded_len - 1  # the label's symbol is not in the input

    @property
    def n_distinct(self) -> int:
        """Distinct inputs there can be (an upper bound: digit strings times the reversal coin)."""
        return 2 * DIGITS**self.digits

    def palindromes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(n, 4T+2) int8 in {-1, 0, 1}: left-padded binary palindromes."""
        digits = rng.integers(0, DIGITS, size=(n, self.digits))  # (n, D)
        flip = rng.random(n) < 0.5  # (n,)
        valid = np.arange(_WIDTH)[None, None, :] >= (_WIDTH - _NBITS[digits])[..., None]  # (n, D, 4)
        bits = _BITS[digits].reshape(n, -1)  # (n, 4D), right-aligned per digit
        valid = valid.reshape(n, -1)
        order = np.argsort(~valid, axis=1, kind="stable")  # each row's real bits first, in order
        left = np.take_along_axis(bits, order, axis=1)  # (n, 4D): the joined string, then junk
        nb = valid.sum(axis=1)  # (n,) its length
        k = np.arange(left.shape[1])[None, :]
        rev = np.where(k < nb[:, None], nb[:, None] - 1 - k, k)  # reverse each row's first nb bits
        left = np.where(flip[:, None], np.take_along_axis(left, rev, axis=1), left)
        # Position p of the padded sequence: pad before offset, then left[k], then left reversed.
        L = self.padded_len
        offset = (L - 2 * nb)[:, None]  # (n, 1)
        kk = np.arange(L)[None, :] - offset  # index into the palindrome
        src = np.where(kk < nb[:, None], kk, 2 * nb[:, None] - 1 - kk).clip(0, left.shape[1] - 1)
        out = np.take_along_axis(left, src, axis=1).astype(np.int8)
        return np.where(kk >= 0, out, -1).astype(np.int8)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n samples: inputs (n, 4T+1) uint8 in {0, 1, 2}, labels (n,) int64 in {0, 1}."""
        seq = self.palindromes(rng, n)
        return (seq[:, :-1] + 1).astype(np.uint8), seq[:, -1].astype(np.int64)
