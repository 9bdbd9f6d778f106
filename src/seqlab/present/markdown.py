"""Formatting every report section shares: tables, mean ± std, figure links, training cost.

The study sections (seqlab/studies/<name>/report.py) use these; seqlab.report assembles them.
"""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths


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
