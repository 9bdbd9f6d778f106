"""What the report stage reads: every study's section, each validated by its own schema."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.params import MlflowConfig, mlflow_config
from seqlab.params import adding, addition, mnist, palindrome, recall, sweep


@dataclass(frozen=True)
class ReportParams:
    palindrome: palindrome.PalindromeParams
    sweep: sweep.SweepParams
    gradflow: sweep.GradflowParams
    recall: recall.RecallParams
    addition: addition.AdditionParams
    adding: adding.AddingParams
    mnist: mnist.MnistParams
    mlflow: MlflowConfig


def parse(raw: dict) -> ReportParams:
    return ReportParams(
        palindrome=palindrome.parse(raw),
        sweep=sweep.parse(raw),
        gradflow=sweep.parse_gradflow(raw),
        recall=recall.parse(raw),
        addition=addition.parse(raw),
        adding=adding.parse(raw),
        mnist=mnist.parse(raw),
        mlflow=mlflow_config(raw),
    )
