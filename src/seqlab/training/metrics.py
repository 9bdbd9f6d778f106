"""How runs are scored, and the summaries the studies draw from the scores.

A :class:`Metric` scores each sample of a model's output; the loop averages it over a batch or
a split. Every task's metric lives here (a new one, such as bits per character, is one more
entry), so the loop, the run records and the figures look a metric up by its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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


def critical_length(accs: dict[int, float], target: float) -> tuple[int | None, int | None]:
    """(largest length whose accuracy reaches ``target``, smallest length below it); None where
    there is none. The second can be the smaller when accuracy is not monotone in length."""
    passed = [T for T, a in accs.items() if a >= target]
    failed = [T for T, a in accs.items() if a < target]
    return (max(passed) if passed else None), (min(failed) if failed else None)
