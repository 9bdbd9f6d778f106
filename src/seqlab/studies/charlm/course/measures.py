"""The course's protocol in numbers: its training metric, its temperature convention, and
measures of what it judged by eye in generated text (spelling, syntax, phrases learnt from the
data). Each is closed-form on small inputs (tests/test_charlm_course.py).

The course's words about its samples become these proxies, each against the model's own
training text:

- *spelling*: the share of a text's words found in the training text's vocabulary (a made-up
  word is not in it);
- *syntax*: the share of a text's adjacent word pairs found in the training text (word pairs a
  grammar allows recur in real text; random word salad rarely does);
- *longer dependencies frequent in the data*: at each position, the longest stretch of the text
  that occurs verbatim in the training text, in characters, averaged over the positions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

# A word is a run of letters (any script), lower-cased: "now-Devildres-bacly" is three words and
# "don't" two ("don", "t"), the same cut on the training text and on the generated one.
WORD = re.compile(r"[^\W\d_]+")
MATCH_CAP = 100  # longest verbatim stretch counted, characters: a longer one only costs time to find


def batch_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The course's accuracy: the argmax at every position of a batch, right or wrong, over all
    of them: (B, T, V) logits and (B, T) targets -> a share of B * T."""
    return (logits.argmax(-1) == targets).float().mean().item()


def course_probs(logits: torch.Tensor, beta: float) -> torch.Tensor:
    """The course's sampling distribution, softmax(beta * logits): its "temperature" beta is an
    inverse temperature, so a large beta sharpens the distribution."""
    return F.softmax(beta * logits, dim=-1)


def course_tau(beta: float) -> float:
    """seqlab's temperature for the course's beta: softmax(logits / tau) with tau = 1 / beta is the
    same distribution, so the course's 0.5 is seqlab's 2 and the reverse."""
    return 1.0 / beta


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def inner_words(text: str) -> list[str]:
    """The words of a text but its first and last: a sample or a chunk of text may begin or end
    mid-word, so neither edge word is judged."""
    return words(text)[1:-1]


@dataclass(frozen=True)
class CorpusWords:
    """The training text's words and adjacent word pairs, and its characters for verbatim matches."""

    text: str
    vocab: frozenset[str]
    bigrams: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, text: str) -> CorpusWords:
        ws = words(text)
        return cls(text, frozenset(ws), frozenset(zip(ws, ws[1:])))

    def in_vocab(self, text: str) -> float | None:
        """The share of the text's inner words found in the vocabulary; None without any."""
        ws = inner_words(text)
        return sum(w in self.vocab for w in ws) / len(ws) if ws else None

    def bigram_share(self, text: str) -> float | None:
        """The share of the text's adjacent inner-word pairs found in the training text; None
        without any pair."""
        ws = inner_words(text)
        pairs = list(zip(ws, ws[1:]))
        return sum(p in self.bigrams for p in pairs) / len(pairs) if pairs else None

    def match_lengths(self, text: str, cap: int = MATCH_CAP) -> list[int]:
        """For each position of ``text``, the longest stretch starting there (at most ``cap``
        characters) that occurs verbatim in the training text. A stretch that occurs contains
        every shorter one, so each position starts from the previous one's length minus one."""
        out, n = [], 0
        for i in range(len(text)):
            n = max(n - 1, 0)
            while n < cap and i + n < len(text) and text[i : i + n + 1] in self.text:
                n += 1
            out.append(n)
        return out

    def mean_match(self, text: str, cap: int = MATCH_CAP) -> float:
        lengths = self.match_lengths(text, cap)
        return sum(lengths) / len(lengths) if lengths else float("nan")


def chunks(text: str, length: int) -> list[str]:
    """Consecutive pieces of ``length`` characters (the incomplete tail dropped)."""
    return [text[i : i + length] for i in range(0, len(text) - length + 1, length)]


def accuracy_windows(steps: Sequence[int], acc: Sequence[float], width: int) -> list[dict]:
    """The training-batch accuracy read at steps width, 2 * width, ...: the mean over the
    ``width`` batches ending there, with its standard error (sample sd over sqrt(n)). The course
    read one batch every 10 steps off its curve; a window of them is the same metric, less noisy."""
    out = []
    last = max(steps, default=0)
    for end in range(width, last + 1, width):
        vals = [a for s, a in zip(steps, acc) if end - width < s <= end]
        n = len(vals)
        mean = sum(vals) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
        out.append({"step": end, "mean": round(mean, 6), "sd": round(sd, 6), "se": round(sd / math.sqrt(n), 6),
                    "n": n})
    return out
