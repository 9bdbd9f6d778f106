"""The length sweep's section of params.yaml (and the gradient-flow study's, which reads the
sweep's trained models): validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.models import REGISTRY
from seqlab.params import (
    MlflowConfig,
    ParamsError,
    choice_list,
    fraction,
    int_list,
    integer,
    mlflow_config,
    section,
)
from seqlab.params.common import TrainSettings, fastest_impls, stop_at, train_settings, workers
from seqlab.tasks.palindrome import PalindromeTask


@dataclass(frozen=True)
class SweepParams:
    models: tuple[str, ...]
    impls: dict[str, str]
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
    models = choice_list(sw, "sweep.models", REGISTRY)
    d, t = section(sw, "sweep.data"), section(sw, "sweep.train")
    p = SweepParams(
        models=models,
        impls=fastest_impls(models),
        T=tuple(sorted(int_list(sw, "sweep.T", 2, "palindrome lengths"))),
        base=integer(d, "sweep.data.base", 2),
        n_train=integer(d, "sweep.data.n_train", 1),
        n_val=integer(d, "sweep.data.n_val", 1),
        n_test=integer(d, "sweep.data.n_test", 1),
        seed=integer(d, "sweep.data.seed", 0),
        hidden=integer(t, "sweep.train.hidden", 1),
        train=train_settings(t, "sweep.train"),
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


@dataclass(frozen=True)
class GradflowParams:
    sweep: SweepParams
    T: tuple[int, ...]
    seed: int
    batch_size: int
    mlflow: MlflowConfig


def parse_gradflow(raw: dict) -> GradflowParams:
    sweep = parse(raw)
    g = section(raw, "gradflow")
    T = int_list(g, "gradflow.T", 2, "lengths to measure, each one of sweep.T")
    missing = [v for v in T if v not in sweep.T]
    if missing:
        raise ParamsError(f"params.yaml: 'gradflow.T' has {missing}, not in 'sweep.T' {list(sweep.T)}: "
                          f"the trained models come from the sweep")
    seed = integer(g, "gradflow.seed", 0)
    if seed not in sweep.train.seeds:
        raise ParamsError(f"params.yaml: 'gradflow.seed' is {seed}; allowed values: the sweep's seeds "
                          f"{list(sweep.train.seeds)} ('sweep.train.seeds')")
    return GradflowParams(sweep, T, seed, integer(g, "gradflow.batch_size", 1), mlflow_config(raw))
