"""The adding-task study's section of params.yaml (``adding``): each key declared once, as a field
of the schema below (seqlab.core.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.params import choice_list, int_list, integer, positive_number
from seqlab.core.schema import Runtime, TrainSettings, param, parser, part, settings
from seqlab.models.recurrent import KINDS


@dataclass(frozen=True)
class AddingData:
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    seed: int = param(integer, 0)


@dataclass(frozen=True)
class AddingTrain(TrainSettings):
    hidden: int = param(integer, 1)


@dataclass(frozen=True)
class AddingEvaluate:
    solved_mse: float = param(positive_number)  # a seed whose test MSE is below this solved the task


@dataclass(frozen=True)
class AddingParams:
    SECTION = "adding"

    models: tuple[str, ...] = param(choice_list, KINDS)
    T: tuple[int, ...] = param(int_list, 2, "sequence lengths (two marked steps need T >= 2)")
    data: AddingData = part(AddingData)
    train: AddingTrain = part(AddingTrain)
    evaluate: AddingEvaluate = part(AddingEvaluate)
    runtime: Runtime = settings()

    @property
    def impls(self) -> dict[str, str]:
        """Per model: KINDS[m].fastest_impl(device), the faster on ``adding.train.device``."""
        return {m: KINDS[m].fastest_impl(self.train.device) for m in self.models}


parse = parser(AddingParams)
