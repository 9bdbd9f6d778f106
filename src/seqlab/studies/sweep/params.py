"""The length sweep's section of params.yaml (``sweep``): each key declared once, as a field of
the schema below (seqlab.core.schema). The gradient-flow study reads some of its keys through
the same schema (:class:`Sweep`)."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import choice_list, fraction, int_list, integer, stop_at
from seqlab.core.schema import Runtime, TrainSettings, param, parser, part, settings
from seqlab.models.recurrent import KINDS
from seqlab.tasks.palindrome import PalindromeTask


def _lengths(mapping: dict, key: str) -> tuple[int, ...]:
    """The palindrome lengths, in increasing order."""
    return tuple(sorted(int_list(mapping, key, 2, "palindrome lengths")))


@dataclass(frozen=True)
class SweepData:
    base: int = param(integer, 2)
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    seed: int = param(integer, 0)


@dataclass(frozen=True)
class SweepTrain(TrainSettings):
    hidden: int = param(integer, 1)
    stop_at: float | None = param(stop_at)  # stop a run at this validation accuracy (None: never)


@dataclass(frozen=True)
class SweepEvaluate:
    target_acc: float = param(fraction)  # a length is solved when the mean test accuracy reaches it


@dataclass(frozen=True)
class Sweep:
    """The ``sweep`` section's keys."""

    models: tuple[str, ...] = param(choice_list, KINDS)
    T: tuple[int, ...] = param(_lengths)
    data: SweepData = part(SweepData)
    train: SweepTrain = part(SweepTrain)
    evaluate: SweepEvaluate = part(SweepEvaluate)

    @property
    def impls(self) -> dict[str, str]:
        """Per model: KINDS[m].fastest_impl(device), the faster on this device."""
        return {m: KINDS[m].fastest_impl(self.train.device) for m in self.models}

    def check(self, key: str) -> None:
        self.check_lengths(key)

    def check_lengths(self, key: str = "sweep") -> None:
        """Every length must have enough distinct palindromes in the base for three splits."""
        for T in self.T:
            if PalindromeTask(T, self.data.base).n_distinct < 3:
                raise ParamsError(f"params.yaml: '{key}.T' has {T}: too short for base {self.data.base} "
                                  f"(fewer than 3 distinct palindromes to split)")


@dataclass(frozen=True)
class SweepParams(Sweep):
    SECTION = "sweep"

    runtime: Runtime = settings()


parse = parser(SweepParams)
