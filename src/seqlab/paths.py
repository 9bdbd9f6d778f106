"""Where every artifact lives, relative to the repository root (stages run from there).

dvc.yaml spells the same paths; keep the two in step.
"""

from pathlib import Path

PARAMS = Path("params.yaml")
DATA = Path("data")
MODELS = Path("models")
REPORTS = Path("reports")


def palindrome_data(model: str, T: int) -> Path:
    # Data is generated per model so that each model's chain of stages depends only on the
    # lengths it trains on; the bytes for a given T are identical across models, and DVC's
    # content-addressed cache stores them once.
    return DATA / "palindrome" / model / f"T{T}"


def palindrome_models(model: str) -> Path:
    return MODELS / "palindrome" / model


def palindrome_run(model: str, T: int, seed: int) -> Path:
    return palindrome_models(model) / f"T{T}" / f"seed{seed}"


def palindrome_metrics(model: str) -> Path:
    return REPORTS / "metrics" / "palindrome" / f"{model}.json"


def palindrome_results(model: str) -> Path:
    return REPORTS / "palindrome" / model / "results.json"


def palindrome_curves(model: str) -> Path:
    return REPORTS / "plots" / "palindrome" / model


# --- every later study: the same layout, keyed by the study's name -----------------------------


def study_data(study: str) -> Path:
    return DATA / study


def study_models(study: str) -> Path:
    return MODELS / study


def study_metrics(study: str) -> Path:
    return REPORTS / "metrics" / f"{study}.json"


def study_results(study: str) -> Path:
    """Everything the report needs beyond the metrics: per-seed values, tables, examples."""
    return REPORTS / study / "results.json"


def study_plots(study: str) -> Path:
    """Curves as CSV, declared as DVC plots."""
    return REPORTS / "plots" / study


def study_figures(study: str) -> Path:
    return REPORTS / "figures" / study


PALINDROME_FIGURES = REPORTS / "figures" / "palindrome"
PALINDROME_ACCURACY_FIG = PALINDROME_FIGURES / "accuracy_vs_step.png"
PALINDROME_LOSS_FIG = PALINDROME_FIGURES / "rnn_vs_lstm_loss.png"
REPORT_MD = REPORTS / "report.md"
REPORT_HTML = REPORTS / "report.html"
