"""Stage adding_figures: training loss per T beside the mean-predicting baseline (PNG), and each
run's curve in MLflow.

    python -m seqlab.studies.adding.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.models.recurrent import label
from seqlab.studies.adding.params import AddingParams
from seqlab.present.viz import COLORS, log_run_curves, save_figure

STUDY = "adding"


def plot_adding_losses(curves: dict[tuple[str, int], pd.DataFrame], baseline: dict[int, float], path: Path) -> Path:
    """Training loss (log scale) against step, one panel per T, every model; the dashed line is
    the MSE of always predicting the mean, its value written in each panel. RNN and LSTM are drawn
    boldest, side by side."""
    lengths = sorted({T for _, T in curves})
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, T in zip(axes[0], lengths):
        for (m, T2), c in curves.items():
            if T2 != T:
                continue
            bold = m in ("rnn", "lstm")
            ax.plot(c["step"], c["train_loss_mean"], color=COLORS.get(m), lw=1.8 if bold else 1.0,
                    alpha=1.0 if bold else 0.7, label=label(m))
        # each panel labels its own T's baseline: one legend entry could only carry one T's value
        ax.axhline(baseline[T], color="0.3", ls="--", lw=1, label="predict the mean (dashed)")
        ax.annotate(f"predict the mean: {baseline[T]:.3f}", (0.98, baseline[T]), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=7, color="0.3")
        ax.set(title=f"T = {T}", xlabel="training step", yscale="log")
    axes[0][0].set_ylabel("training MSE (mean over each eval interval)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("Adding task: training loss")
    return save_figure(fig, path)


def make_figures(p: AddingParams, tracker=None) -> None:
    plots = paths.study_plots(STUDY)
    frames = {(m, T): pd.read_csv(plots / f"{m}_T{T}.csv") for m in p.models for T in p.T}
    baseline = read_json(paths.study_results(STUDY))["metrics"]["baseline_mse"]
    plot_adding_losses(frames, {int(k[1:]): v for k, v in baseline.items()}, paths.study_figures(STUDY) / "loss.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("adding.models", "adding.T"))}

if __name__ == "__main__":
    run_stage(__doc__, AddingParams, STEPS, experiment=STUDY)
