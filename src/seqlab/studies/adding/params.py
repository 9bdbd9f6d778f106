"""The adding-task study's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.params import (
    MlflowConfig,
    TrainSettings,
    choice_list,
    int_list,
    integer,
    mlflow_config,
    positive_number,
    section,
    train_settings,
    workers,
)
from seqlab.models.recurrent import KINDS


@dataclass(frozen=True)
class AddingParams:
    models: tuple[str, ...]
    impls: dict[str, str]  # per model: KINDS[m].fastest_impl(device), the faster on this device
    T: tuple[int, ...]
    n_train: int
    n_val: int
    n_test: int
    seed: int
    hidden: int
    train: TrainSettings
    solved_mse: float
    workers: int
    mlflow: MlflowConfig


def parse(raw: dict) -> AddingParams:
    a = section(raw, "adding")
    models = choice_list(a, "adding.models", KINDS)
    d, t = section(a, "adding.data"), section(a, "adding.train")
    settings = train_settings(t, "adding.train")
    return AddingParams(
        models=models,
        impls={m: KINDS[m].fastest_impl(settings.device) for m in models},
        T=int_list(a, "adding.T", 2, "sequence lengths (two marked steps need T >= 2)"),
        n_train=integer(d, "adding.data.n_train", 1),
        n_val=integer(d, "adding.data.n_val", 1),
        n_test=integer(d, "adding.data.n_test", 1),
        seed=integer(d, "adding.data.seed", 0),
        hidden=integer(t, "adding.train.hidden", 1),
        train=settings,
        solved_mse=positive_number(section(a, "adding.evaluate"), "adding.evaluate.solved_mse"),
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )
