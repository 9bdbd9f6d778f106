"""The digit-recall study's section of params.yaml (``recall``): each key declared once, as a
field of the schema below (seqlab.core.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import int_list, integer
from seqlab.core.schema import Runtime, TrainSettings, param, parser, part, settings


@dataclass(frozen=True)
class RecallData:
    min_len: int = param(integer, 1)  # each sequence's length is drawn from min_len..max_len
    max_len: int = param(integer, 1)
    position: int = param(integer, 0)  # 0-based position of the digit to recall
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    seed: int = param(integer, 0)

    def check(self, key: str) -> None:
        if self.max_len < self.min_len:
            raise ParamsError(f"params.yaml: '{key}.max_len' ({self.max_len}) must be >= "
                              f"'{key}.min_len' ({self.min_len})")
        if self.position >= self.min_len:
            raise ParamsError(f"params.yaml: '{key}.position' ({self.position}, 0-based) must be < "
                              f"'{key}.min_len' ({self.min_len}): every sequence must contain it")


@dataclass(frozen=True)
class RecallTrain(TrainSettings):
    hidden: tuple[int, ...] = param(int_list, 1, "LSTM hidden sizes")


@dataclass(frozen=True)
class RecallReport:
    examples: int = param(integer, 0)  # test sequences printed with each model's prediction


@dataclass(frozen=True)
class RecallParams:
    SECTION = "recall"

    data: RecallData = part(RecallData)
    train: RecallTrain = part(RecallTrain)
    report: RecallReport = part(RecallReport)
    runtime: Runtime = settings()


parse = parser(RecallParams)
