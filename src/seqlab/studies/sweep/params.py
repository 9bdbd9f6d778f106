"""The length sweep's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    MlflowConfig,
    TrainSettings,
    choice_list,
    fraction,
    int_list,
    integer,
    mlflow_config,
    section,
    stop_at,
    train_settings,
    workers,
)
from seqlab.models.recurrent import KINDS
from seqlab.tasks.palindrome import PalindromeTask


@dataclass(frozen=True)
class SweepParams:
    models: tuple[str, ...]
    impls: dict[str, str]  # per model: KINDS[m].fastest_impl(device), the faster on this device
    T: tuple[int, ...]
    base: int
    n_train: int
    n_val: int
    n_test: int
    seed: int
    hidden: int
    train: TrainSettings
    stop_at: float | None
    target_acc: float
    workers: int
    mlflow: MlflowConfig


def parse(raw: dict) -> SweepParams:
    sw = section(raw, "sweep")
    models = choice_list(sw, "sweep.models", KINDS)
    d, t = section(sw, "sweep.data"), section(sw, "sweep.train")
    settings = train_settings(t, "sweep.train")
    p = SweepParams(
        models=models,
        impls={m: KINDS[m].fastest_impl(settings.device) for m in models},
        T=tuple(sorted(int_list(sw, "sweep.T", 2, "palindrome lengths"))),
        base=integer(d, "sweep.data.base", 2),
        n_train=integer(d, "sweep.data.n_train", 1),
        n_val=integer(d, "sweep.data.n_val", 1),
        n_test=integer(d, "sweep.data.n_test", 1),
        seed=integer(d, "sweep.data.seed", 0),
        hidden=integer(t, "sweep.train.hidden", 1),
        train=settings,
        stop_at=stop_at(t, "sweep.train.stop_at"),
        target_acc=fraction(section(sw, "sweep.evaluate"), "sweep.evaluate.target_acc"),
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )
    for T in p.T:
        if PalindromeTask(T, p.base).n_distinct < 3:
            raise ParamsError(f"params.yaml: 'sweep.T' has {T}: too short for base {p.base} "
                              f"(fewer than 3 distinct palindromes to split)")
    return p
