"""Where every artifact lives, relative to the repository root (stages run from there).

Every study uses the same layout, keyed by its name; dvc.yaml spells the same paths. A study
whose stages are split per model (the palindromes: one chain per model) passes the model as
``part``.

    data/<study>/                       generated datasets
    models/<study>/<config>/seed<s>/    one training run: model.pt, history.csv, run.json
    reports/metrics/<study>.json        metrics (DVC metrics)
    reports/<study>/results.json        everything else the report reads
    reports/plots/<study>/              curves as CSV (DVC plots)
    reports/figures/<study>/            PNG figures
    reports/provenance/<stage>.json     the commit, machine and wall time of each stage's run
"""

from pathlib import Path

PARAMS = Path("params.yaml")
DATA = Path("data")
MODELS = Path("models")
REPORTS = Path("reports")
REPORT_MD = REPORTS / "report.md"
REPORT_HTML = REPORTS / "report.html"


def _under(root: Path, study: str, part: str | None) -> Path:
    return root / study if part is None else root / study / part


def study_data(study: str, part: str | None = None) -> Path:
    return _under(DATA, study, part)


def study_models(study: str, part: str | None = None) -> Path:
    return _under(MODELS, study, part)


def run_dir(study: str, *config: str, seed: int | None = None) -> Path:
    """One training run's folder: models/<study>/<config...>[/seed<seed>]."""
    path = MODELS.joinpath(study, *config)
    return path if seed is None else path / f"seed{seed}"


def length_run(study: str, model: str, T: int, seed: int) -> Path:
    """A run of one model at one sequence length: models/<study>/<model>/T<T>/seed<seed>. The
    palindrome, sweep and adding studies lay out their runs so; gradient flow reads the sweep's."""
    return run_dir(study, model, f"T{T}", seed=seed)


def study_metrics(study: str, part: str | None = None) -> Path:
    return (REPORTS / "metrics" / study / f"{part}.json") if part else (REPORTS / "metrics" / f"{study}.json")


def study_results(study: str, part: str | None = None) -> Path:
    """Everything the report needs beyond the metrics: per-seed values, tables, examples."""
    return _under(REPORTS, study, part) / "results.json"


def study_plots(study: str, part: str | None = None) -> Path:
    """Curves as CSV, declared as DVC plots."""
    return _under(REPORTS / "plots", study, part)


def study_figures(study: str) -> Path:
    return REPORTS / "figures" / study


def provenance(stage: str) -> Path:
    """What ran a DVC stage, and where: reports/provenance/<stage>.json ('@' becomes '-')."""
    return REPORTS / "provenance" / f"{stage.replace('@', '-')}.json"

# A training run's record in its run folder (seqlab.training.runs writes it; evaluation, figures
# and the judge read it): the per-step history, the checkpoint, and run.json.
HISTORY = "history.csv"
CHECKPOINT = "model.pt"
RUN = "run.json"
