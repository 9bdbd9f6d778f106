"""Stage recall_figures: validation accuracy by hidden size (PNG), and each run's curve in MLflow.

    python -m seqlab.studies.recall.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.studies.recall.params import RecallParams
from seqlab.tasks.recall import RecallTask
from seqlab.present.viz import band, log_run_curves, save_figure

STUDY = "recall"


def plot_recall_curves(curves: dict[int, pd.DataFrame], chance: float, path: Path) -> Path:
    """Validation accuracy against step, mean ± std over seeds, one line per hidden size."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    cmap = plt.get_cmap("viridis")
    for i, (h, c) in enumerate(sorted(curves.items())):
        band(ax, c["step"], c["val_acc_mean"], c["val_acc_std"], cmap(i / max(1, len(curves) - 1)), f"hidden {h}")
    ax.axhline(chance, color="0.6", ls=":", lw=1, label=f"chance ({chance:g})")
    ax.set(xlabel="training step", ylabel="validation accuracy (mean ± std)", ylim=(0, 1.02),
           title="Digit recall: LSTM accuracy by hidden size")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def make_figures(p: RecallParams, tracker=None) -> None:
    frames = {h: pd.read_csv(paths.study_plots(STUDY) / f"h{h}.csv") for h in p.train.hidden}
    plot_recall_curves(frames, 1 / RecallTask.num_classes, paths.study_figures(STUDY) / "accuracy_by_hidden.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("recall.train.hidden",))}

if __name__ == "__main__":
    run_stage(__doc__, RecallParams, STEPS, experiment=STUDY)
