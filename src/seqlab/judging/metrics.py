"""How runs are scored, and the summaries the studies draw from the scores.

A :class:`Metric` scores each sample of a model's output; the loop averages it over a batch or
a split. Every task's metric lives here (a new one, such as bits per character, is one more
entry), so the loop, the run records and the figures look a metric up by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch


@dataclass(frozen=True)
class Metric:
    """How a task scores a model's output: per-sample scores, averaged over the samples."""

    name: str  # "acc", "mse", "bit_acc": the column and MLflow key suffix
    per_sample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (output, targets) -> (B,)
    higher_is_better: bool = True
    bounded: bool = True  # a score in [0, 1] (an accuracy): figures pin its axis there

    def reached(self, value: float, target: float) -> bool:
        return value >= target if self.higher_is_better else value <= target


def _class_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(-1) == targets).float()  # (B, C), (B,) -> (B,)


def _squared_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target) ** 2  # (B,)


def _bit_accuracy(logits: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return ((logits > 0).float() == bits).float().mean(dim=1)  # (B, L+1) -> (B,)


def _sum_accuracy(logits: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    return ((logits > 0).float() == bits).all(dim=1).float()  # every bit right: the sum is right


ACCURACY = Metric("acc", _class_accuracy)
MSE = Metric("mse", _squared_error, higher_is_better=False, bounded=False)
BIT_ACCURACY = Metric("bit_acc", _bit_accuracy)  # per-step bits, predicted as logit > 0
SUM_ACCURACY = Metric("sum_acc", _sum_accuracy)  # a whole binary sum right
METRICS = {m.name: m for m in (ACCURACY, MSE, BIT_ACCURACY, SUM_ACCURACY)}


# --- summaries over runs ------------------------------------------------------------------------


def mean_std(values) -> tuple[float, float]:
    """Mean and sample std (ddof=1; 0 for a single value), as plain floats."""
    arr = np.asarray(list(values), dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def steps_to(history: pd.DataFrame, column: str, target: float) -> int | None:
    """The first validation step at which ``column`` reached ``target``; None if it never did."""
    hit = history.loc[history[column] >= target, "step"]
    return int(hit.iloc[0]) if len(hit) else None


def steps_held(history: pd.DataFrame, column: str, target: float) -> int | None:
    """The first validation step from which ``column`` stayed at or above ``target`` to the end
    of the run; None if the run ended below it. A run that touched the target and fell back has
    not reached it in this sense."""
    evals = history.dropna(subset=[column])
    held = None
    for step, value in zip(evals["step"], evals[column]):
        held = (held if held is not None else int(step)) if value >= target else None
    return held


def critical_length(accs: dict[int, float], target: float) -> tuple[int | None, int | None]:
    """(critical length, first failing length): the first length whose accuracy falls short of
    ``target``, and the longest length before it (every shorter one reached it). None where there
    is none. A longer length that reaches the target again does not move either: a model that
    fails at T=30 has not mastered T=40 by passing it."""
    lengths = sorted(accs)
    first_failure = next((T for T in lengths if accs[T] < target), None)
    before = [T for T in lengths if first_failure is None or T < first_failure]
    return (before[-1] if before else None), first_failure


# --- the shape of a learning curve ---------------------------------------------------------------


def plateaus(steps: Sequence[int], values: Sequence[float], min_steps: int, tol: float) -> list[tuple[int, int, float]]:
    """Stretches where ``values`` stay within ``tol`` of their first value for at least
    ``min_steps``: (start step, end step, mean level), longest stretches found greedily."""
    out, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and abs(values[j + 1] - values[i]) <= tol:
            j += 1
        if steps[j] - steps[i] >= min_steps:
            level = sum(values[i : j + 1]) / (j + 1 - i)
            out.append((steps[i], steps[j], level))
        i = j + 1
    return out


def still_improving(values: Sequence[float], window: int = 5, min_gain: float = 0.02) -> bool:
    """Did a run end on the way up? The mean of its last ``window`` evaluations is at least
    ``min_gain`` above the mean of the ``window`` before them. A run that stopped there hit its
    budget; one that did not had reached a plateau."""
    if len(values) < 2 * window:
        return len(values) >= 2 and values[-1] - values[0] >= min_gain
    last, before = values[-window:], values[-2 * window : -window]
    return sum(last) / window - sum(before) / window >= min_gain
