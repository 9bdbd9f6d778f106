"""Measures of text that the course judged by eye: how repetitive a text is, whether it has
fallen into a loop, and the n-gram baselines a language model must beat. Each is closed-form on
small inputs (tests/test_textstats.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

import numpy as np

LN2 = math.log(2)


def bits_per_char(nats: float) -> float:
    """Cross-entropy in nats per character -> bits per character."""
    return nats / LN2


def repeated_ngrams(text: str, n: int) -> float:
    """The fraction of the text's n-grams that repeat an earlier one: 1 - distinct / total
    ("rep-n", Welleck et al. 2020, "Neural text generation with unlikelihood training").
    0 for a text with every n-gram new; near 1 for a loop. NaN for a text shorter than n."""
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return 1.0 - len(set(grams)) / len(grams) if grams else float("nan")


@dataclass(frozen=True)
class Loop:
    period: int  # characters per cycle
    onset: int  # the index where the periodic tail begins


def find_loop(text: str, min_repeats: int = 2, min_chars: int = 20) -> Loop | None:
    """The cycle a text ends in, if it ends in one: the smallest period p whose periodic tail
    (the longest suffix with text[i] == text[i - p]) spans at least ``min_repeats`` full cycles and
    ``min_chars`` characters. ``min_chars`` keeps "ll" or "...." in ordinary prose from counting
    as a loop. Greedy decoding is deterministic given its state, so once its text repeats a cycle
    it usually repeats it forever."""
    n = len(text)
    for p in range(1, n // min_repeats + 1):
        i = n - 1
        while i >= p and text[i] == text[i - p]:
            i -= 1
        tail = n - 1 - i + p  # the periodic suffix text[i - p + 1:], first cycle included
        if i < p:  # the whole text is periodic
            tail = n
        if tail >= max(min_repeats * p, min_chars):
            return Loop(p, n - tail)
    return None


def longest_shared(a: str, b: str) -> int:
    """The length of the longest passage two texts share (difflib's longest matching block).
    autojunk is off: on a text over 200 characters it would treat every character that makes up
    more than 1% of it, letters and spaces alike, as junk and miss the passage."""
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def shared_passages(texts: list[str]) -> list[int]:
    """The longest passage shared by each pair of texts, pairs in order (0, 1), (0, 2), ...:
    texts generated from different starts that share a long passage have converged on the same
    text, a loop across samples that no single sample's repetition shows."""
    return [longest_shared(a, b) for a, b in combinations(texts, 2)]


def chunk_repetition(text: str, n: int, length: int) -> float:
    """rep-n of the text itself, at the length of a sample: the mean over its consecutive
    chunks of ``length`` characters (rep-n grows with length, so a sample is compared with text
    of its own length)."""
    chunks = [text[i : i + length] for i in range(0, len(text) - length + 1, length)]
    return float(np.mean([repeated_ngrams(c, n) for c in chunks])) if chunks else float("nan")


# --- n-gram baselines ---------------------------------------------------------------------------


def unigram_nll(train: np.ndarray, test: np.ndarray, vocab_size: int) -> float:
    """Cross-entropy (nats per character) of ``test`` under character frequencies counted on
    ``train``, add-one (Laplace) smoothed so a character never seen in training costs a finite
    amount. Scores test[1:], the characters every model here predicts."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[test[1:]].mean())


def bigram_nll(train: np.ndarray, test: np.ndarray, vocab_size: int) -> float:
    """Cross-entropy (nats per character) of test[1:] given each previous character, under
    add-one smoothed bigram counts from ``train``."""
    pairs = np.bincount(train[:-1] * vocab_size + train[1:], minlength=vocab_size**2).reshape(vocab_size, vocab_size)
    counts = pairs + 1.0  # (V, V): counts[a, b] of "b after a"
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-logp[test[:-1], test[1:]].mean())


def unigram_accuracy(train: np.ndarray, test: np.ndarray, vocab_size: int) -> float:
    """Always guessing training's most frequent character."""
    return float((test[1:] == np.bincount(train, minlength=vocab_size).argmax()).mean())


def bigram_accuracy(train: np.ndarray, test: np.ndarray, vocab_size: int) -> float:
    """Guessing training's most frequent successor of the previous character."""
    pairs = np.bincount(train[:-1] * vocab_size + train[1:], minlength=vocab_size**2).reshape(vocab_size, vocab_size)
    return float((pairs.argmax(axis=1)[test[:-1]] == test[1:]).mean())
