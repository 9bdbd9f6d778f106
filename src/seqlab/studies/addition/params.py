"""The binary-addition study's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    MlflowConfig,
    TrainSettings,
    choice_list,
    int_list,
    integer,
    mlflow_config,
    section,
    train_settings,
    workers,
)
from seqlab.models.sequence import BIT_LOSSES


@dataclass(frozen=True)
class AdditionData:
    lengths: tuple[int, ...]  # L, the bits per operand, to train at
    eval_max_len: int  # every model is tested at L = 1 .. eval_max_len
    n_train: int
    n_val: int
    n_test: int
    seed: int


@dataclass(frozen=True)
class AdditionParams:
    data: AdditionData
    hidden: tuple[int, ...]
    losses: tuple[str, ...]
    train: TrainSettings
    workers: int
    mlflow: MlflowConfig


# 2**62 + 2**62 still fits in int64, so sums never overflow.
MAX_BITS = 62


def parse(raw: dict) -> AdditionParams:
    add = section(raw, "addition")
    d = section(add, "addition.data")
    data = AdditionData(
        lengths=int_list(d, "addition.data.lengths", 1, "operand lengths L in bits"),
        eval_max_len=integer(d, "addition.data.eval_max_len", 1),
        n_train=integer(d, "addition.data.n_train", 1),
        n_val=integer(d, "addition.data.n_val", 1),
        n_test=integer(d, "addition.data.n_test", 1),
        seed=integer(d, "addition.data.seed", 0),
    )
    for key, value in (("addition.data.lengths", max(data.lengths)), ("addition.data.eval_max_len", data.eval_max_len)):
        if value > MAX_BITS:
            raise ParamsError(f"params.yaml: '{key}' has {value}; operands are int64, so L <= {MAX_BITS}")
    if data.eval_max_len < max(data.lengths):
        raise ParamsError(f"params.yaml: 'addition.data.eval_max_len' ({data.eval_max_len}) must be >= the longest "
                          f"training length in 'addition.data.lengths' ({max(data.lengths)})")
    t = section(add, "addition.train")
    return AdditionParams(
        data=data,
        hidden=int_list(t, "addition.train.hidden", 1, "LSTM hidden sizes"),
        losses=choice_list(t, "addition.train.losses", BIT_LOSSES),
        train=train_settings(t, "addition.train"),
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )
