"""Stage addition_figures: MSE vs cross-entropy curves and length generalisation (PNG), and each
run's curve in MLflow.

    python -m seqlab.studies.addition.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.studies.addition.params import AdditionParams
from seqlab.present.viz import band, log_run_curves, save_figure

STUDY = "addition"
LOSS_STYLE = {"bce": "-", "mse": "--"}
LOSS_LABEL = {"bce": "cross-entropy", "mse": "MSE"}


def plot_addition_losses(curves: dict[tuple[int, int, str], pd.DataFrame], path: Path) -> Path:
    """MSE vs cross-entropy: validation bit accuracy against step, one panel per training L,
    colour by hidden size, solid = cross-entropy, dashed = MSE (mean ± std over seeds)."""
    lengths = sorted({k[0] for k in curves})
    hiddens = sorted({k[1] for k in curves})
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, L in zip(axes[0], lengths):
        for (L2, h, loss), c in sorted(curves.items()):
            if L2 == L:
                band(ax, c["step"], c["val_bit_acc_mean"], c["val_bit_acc_std"],
                     cmap(hiddens.index(h) / max(1, len(hiddens) - 1)), f"h={h}, {LOSS_LABEL.get(loss, loss)}",
                     alpha=0.12, ls=LOSS_STYLE.get(loss, ":"))
        ax.set(title=f"trained at L={L}", xlabel="training step", ylim=(0.45, 1.01))
    axes[0][0].set_ylabel("validation bit accuracy")
    axes[0][-1].legend(fontsize=7, ncol=2)
    fig.suptitle("Binary addition: MSE (dashed) vs cross-entropy (solid)")
    return save_figure(fig, path)


def plot_addition_by_length(table: pd.DataFrame, path: Path) -> Path:
    """Whole-sum test accuracy against evaluation length, one panel per training length."""
    lengths = sorted(table["L"].unique())
    hiddens = sorted(table["hidden"].unique())
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, L in zip(axes[0], lengths):
        sub = table[table["L"] == L]
        for (h, loss), g in sub.groupby(["hidden", "loss"], sort=True):
            m = g.groupby("L_eval")["sum_acc"].mean()
            ax.plot(m.index, m.values, color=cmap(hiddens.index(h) / max(1, len(hiddens) - 1)),
                    ls=LOSS_STYLE.get(loss, ":"), marker=".", label=f"h={h}, {LOSS_LABEL.get(loss, loss)}")
        ax.axvline(L, color="0.5", lw=0.8, ls=":")
        ax.set(title=f"trained at L={L}", xlabel="evaluation length L (bits)", ylim=(-0.02, 1.02))
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes[0][0].set_ylabel("whole-sum accuracy (mean over seeds)")
    axes[0][-1].legend(fontsize=7, ncol=2)
    fig.suptitle("Binary addition: length generalisation (dotted line: training length)")
    return save_figure(fig, path)


def make_figures(p: AdditionParams, tracker=None) -> None:
    plots = paths.study_plots(STUDY)
    table = pd.read_csv(plots / "by_length.csv")
    frames = {(L, h, loss): pd.read_csv(plots / "curves" / f"L{L}-h{h}-{loss}.csv")
              for L in p.data.lengths for h in p.train.hidden for loss in p.train.losses}
    out = paths.study_figures(STUDY)
    plot_addition_losses(frames, out / "mse_vs_bce.png")
    plot_addition_by_length(table, out / "accuracy_by_length.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("addition.data.lengths", "addition.train.hidden", "addition.train.losses"))}

if __name__ == "__main__":
    run_stage(__doc__, AdditionParams, STEPS, experiment=STUDY)
