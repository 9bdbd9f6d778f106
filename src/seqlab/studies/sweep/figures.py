"""Stage sweep_figures: test accuracy against length for every cell (PNG), and each run's curve
in MLflow.

    python -m seqlab.studies.sweep.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.models.recurrent import label
from seqlab.studies.sweep.params import SweepParams
from seqlab.present.viz import COLORS, log_run_curves, save_figure

STUDY = "sweep"


def plot_sweep(table: pd.DataFrame, target: float, chance: float, path: Path) -> Path:
    """Final test accuracy against T, mean ± std over seeds, one line per cell."""
    fig, ax = plt.subplots(figsize=(6.6, 3.8))
    for m, g in table.groupby("model", sort=False):
        s = g.groupby("T")["test_acc"].agg(["mean", "std"]).fillna(0.0)
        ax.errorbar(s.index, s["mean"], yerr=s["std"], color=COLORS.get(m), marker="o", ms=4, capsize=3,
                    label=label(m))
    ax.axhline(target, color="0.4", ls="--", lw=1, label=f"target {target:.0%}")
    ax.axhline(chance, color="0.6", ls=":", lw=1, label=f"chance (base {round(1 / chance)})")
    ax.set(xlabel="palindrome length T", ylabel="test accuracy (mean ± std over seeds)", ylim=(0, 1.03),
           title="Where each cell breaks: accuracy against length")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def make_figures(p: SweepParams, tracker=None) -> None:
    table = pd.read_csv(paths.study_plots(STUDY) / "accuracy_by_length.csv")
    plot_sweep(table, p.evaluate.target_acc, 1 / p.data.base, paths.study_figures(STUDY) / "accuracy_vs_length.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("sweep.evaluate.target_acc", "sweep.data.base"))}

if __name__ == "__main__":
    run_stage(__doc__, SweepParams, STEPS, experiment=STUDY)
