"""The gradient-flow study's section of params.yaml, checked against the sweep keys it measures
(``sweep.models``, ``sweep.T``, ``sweep.train.seeds``, ``sweep.evaluate.target_acc``): validated,
typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import MlflowConfig, choice_list, fraction, int_list, integer, mlflow_config, section
from seqlab.models.recurrent import KINDS


@dataclass(frozen=True)
class GradflowParams:
    models: tuple[str, ...]  # the sweep's models: every one is measured
    T: tuple[int, ...]  # lengths to measure, each one the sweep trained
    seed: int  # which sweep run (and its initial weights)
    batch_size: int  # a fixed batch: the first palindromes of the sweep's test split
    target_acc: float  # the sweep's bar for a solved task, to say whether the measured run solved it
    mlflow: MlflowConfig


def parse(raw: dict) -> GradflowParams:
    sweep = section(raw, "sweep")
    sweep_T = sorted(int_list(sweep, "sweep.T", 2, "palindrome lengths"))
    seeds = int_list(section(sweep, "sweep.train"), "sweep.train.seeds", 0, "training seeds")
    g = section(raw, "gradflow")
    T = int_list(g, "gradflow.T", 2, "lengths to measure, each one of sweep.T")
    missing = [v for v in T if v not in sweep_T]
    if missing:
        raise ParamsError(f"params.yaml: 'gradflow.T' has {missing}, not in 'sweep.T' {sweep_T}: "
                          f"the trained models come from the sweep")
    seed = integer(g, "gradflow.seed", 0)
    if seed not in seeds:
        raise ParamsError(f"params.yaml: 'gradflow.seed' is {seed}; allowed values: the sweep's seeds "
                          f"{list(seeds)} ('sweep.train.seeds')")
    return GradflowParams(models=choice_list(sweep, "sweep.models", KINDS), T=T, seed=seed,
                          batch_size=integer(g, "gradflow.batch_size", 1),
                          target_acc=fraction(section(sweep, "sweep.evaluate"), "sweep.evaluate.target_acc"),
                          mlflow=mlflow_config(raw))
