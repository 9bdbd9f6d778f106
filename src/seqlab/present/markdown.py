"""Formatting every report section shares: tables, mean ± std, figure links, training cost.

The study sections (seqlab/studies/<name>/report.py) use these; seqlab.report assembles them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json


def table(rows: list[dict]) -> str:
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def pm(mean: float, std: float, digits: int = 3) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def fig(study: str, name: str, alt: str) -> str:
    """A link to one of the study's figures, relative to the report (reports/)."""
    return f"![{alt}]({(paths.study_figures(study) / name).relative_to(paths.REPORTS)})"


def training_cost(runs: list[dict]) -> str:
    """How many runs trained and for how long, from their run.json records."""
    secs = [r["train_seconds"] for r in runs]
    return f"{len(secs)} training runs, {sum(secs):.0f} s of training in total ({sum(secs) / len(secs):.1f} s per run)"


def recorded_sweep(folder: Path, missing: str) -> list[str]:
    """A sweep recorded by ``python -m seqlab.tools.experiment_grid --out <folder>`` (an input the
    user commits, not a stage output): its table, the setting chosen on validation, its figure.
    ``missing`` is said instead when the folder holds no sweep.json."""
    summary = folder / "sweep.json"
    if not summary.is_file():
        return [missing, ""]
    s = read_json(summary)
    best, rows = s["best"], s["rows"]
    cols = [*s["by"], s["metric"], *s.get("show", [])]
    side = "lowest" if s["lower_is_better"] else "highest"
    lines = [{"experiment": r["name"], **{c: r.get(c, "") for c in cols},
              "chosen": f"◀ {side} validation" if r["name"] == best["name"] else ""} for r in rows]
    png = folder / "sweep.png"
    return [
        f"Recorded from `dvc exp show --json` at commit `{s['baseline'][:10]}` ({s['recorded']}): {len(rows)} "
        f"experiments with the metric, {len(s['skipped'])} without it. Chosen on `{s['metric']}` ({side}) only; "
        "any test column is shown, never used.",
        "",
        table(lines),
        "",
        f"![Sweep: {folder.name}]({Path(os.path.relpath(png, paths.REPORTS)).as_posix()})" if png.is_file() else "",
        "",
    ]
