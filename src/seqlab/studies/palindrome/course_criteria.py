"""The criteria that judge the CS324 report's palindrome claims: pure functions, numbers in and a
Verdict out, each docstring the rule in words (tests/test_palindrome_course.py feeds them inputs
whose verdict is known).

The report gives no number, only the lengths 5 and 20 and its plots of the validation accuracy
per epoch, so a run's answer is its last epoch's validation accuracy against the study's target
(palindrome.evaluate.target_acc). The curves' other features (the first epoch at the target, the
times a run fell back below it) are evidence beside the verdict, not part of it.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from seqlab.judging.metrics import steps_held, steps_to
from seqlab.judging.verdicts import NOT_COMPARABLE, Verdict, by_seed, fmt


def _by_epoch(curve: Sequence[float]) -> pd.DataFrame:
    """A per-epoch curve as the history frame seqlab.judging.metrics reads: epochs 1.. as steps."""
    return pd.DataFrame({"step": range(1, len(curve) + 1), "value": list(curve)})


def first_reached(curve: Sequence[float], target: float) -> int | None:
    """The first epoch (1-based) whose value reaches ``target``; None if none does."""
    return steps_to(_by_epoch(curve), "value", target)


def held_from(curve: Sequence[float], target: float) -> int | None:
    """The epoch (1-based) from which every later value stays at or above ``target``; None if the
    last one is below it."""
    return steps_held(_by_epoch(curve), "value", target)


def falls(curve: Sequence[float], target: float) -> int:
    """How many times the curve went from at or above ``target`` to below it."""
    return sum(a >= target > b for a, b in zip(curve, curve[1:]))


def performs_well(final: dict[int, Sequence[float]], target: float, lengths: Sequence[int]) -> Verdict:
    """"Performs well on palindromes with different lengths": every seed's final accuracy reaches
    ``target`` at every one of ``lengths``. Holds if every (length, seed) run does, does not hold
    if none does, mixed otherwise; not comparable when a length did not run."""
    missing = [T for T in lengths if not final.get(T)]
    if not lengths or missing:
        return Verdict(NOT_COMPARABLE, f"not trained in this run: T={', '.join(map(str, missing)) or 'none'}")
    passed = [a >= target for T in lengths for a in final[T]]
    evidence = "; ".join(f"T={T}: {fmt(final[T])} ({sum(a >= target for a in final[T])}/{len(final[T])} reach "
                         f"{target:g})" for T in lengths)
    return Verdict(by_seed(passed), evidence,
                   {f"T{T}": {"values": list(final[T]), "reached": sum(a >= target for a in final[T])}
                    for T in lengths})


def fails_long(final: Sequence[float], target: float, T: int) -> Verdict:
    """"Failed to accurately predict the last digit of a long palindrome": at the long length T, no
    seed's final accuracy reaches ``target``. Holds if none does, does not hold if every one does,
    mixed otherwise; not comparable without a run at T."""
    if not final:
        return Verdict(NOT_COMPARABLE, f"not trained in this run: T={T}")
    reached = sum(a >= target for a in final)
    return Verdict(by_seed([a < target for a in final]),
                   f"T={T}: {fmt(final)} ({reached}/{len(final)} reach {target:g})",
                   {f"T{T}": {"values": list(final), "reached": reached}})
