"""The digit-recall study's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    MlflowConfig,
    TrainSettings,
    int_list,
    integer,
    mlflow_config,
    section,
    train_settings,
    workers,
)


@dataclass(frozen=True)
class RecallData:
    min_len: int
    max_len: int
    position: int
    n_train: int
    n_val: int
    n_test: int
    seed: int


@dataclass(frozen=True)
class RecallParams:
    data: RecallData
    hidden: tuple[int, ...]
    train: TrainSettings
    examples: int
    workers: int
    mlflow: MlflowConfig


def parse(raw: dict) -> RecallParams:
    rec = section(raw, "recall")
    d = section(rec, "recall.data")
    data = RecallData(
        min_len=integer(d, "recall.data.min_len", 1),
        max_len=integer(d, "recall.data.max_len", 1),
        position=integer(d, "recall.data.position", 0),
        n_train=integer(d, "recall.data.n_train", 1),
        n_val=integer(d, "recall.data.n_val", 1),
        n_test=integer(d, "recall.data.n_test", 1),
        seed=integer(d, "recall.data.seed", 0),
    )
    if data.max_len < data.min_len:
        raise ParamsError(f"params.yaml: 'recall.data.max_len' ({data.max_len}) must be >= "
                          f"'recall.data.min_len' ({data.min_len})")
    if data.position >= data.min_len:
        raise ParamsError(f"params.yaml: 'recall.data.position' ({data.position}, 0-based) must be < "
                          f"'recall.data.min_len' ({data.min_len}): every sequence must contain it")
    t = section(rec, "recall.train")
    return RecallParams(
        data=data,
        hidden=int_list(t, "recall.train.hidden", 1, "LSTM hidden sizes"),
        train=train_settings(t, "recall.train"),
        examples=integer(section(rec, "recall.report"), "recall.report.examples", 0),
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )
