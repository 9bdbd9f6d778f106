"""Stage palindrome_figures: accuracy curves per T and RNN vs LSTM loss as T grows (PNG), and
each training run's curve attached to its MLflow run.

    python -m seqlab.studies.palindrome.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.models.recurrent import label
from seqlab.studies.palindrome.params import MODELS, PalindromeParams, model_section
from seqlab.present.viz import COLORS, log_run_curves, save_figure

STUDY = "palindrome"


def plot_accuracy_curves(curves: dict[str, dict[int, pd.DataFrame]], path: Path) -> Path:
    """Validation accuracy against step, one panel per T, every model: each seed a thin line,
    their mean a bold one (per-seed lines show a plateau-then-jump that a mean would smear)."""
    lengths = sorted({T for per_T in curves.values() for T in per_T})
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.4), sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for model, per_T in curves.items():
            if T not in per_T:
                continue
            c = per_T[T]
            for _, one in c.groupby("seed"):
                ax.plot(one["step"], one["val_acc"], color=COLORS.get(model), lw=0.6, alpha=0.45)
            mean = c.groupby("step")["val_acc"].mean()
            ax.plot(mean.index, mean.values, color=COLORS.get(model), lw=1.6, label=label(model))
        ax.set_title(f"T = {T}")
        ax.set_xlabel("training step")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("validation accuracy (thin: seeds; bold: mean)")
    axes[0][-1].legend(loc="lower right")
    return save_figure(fig, path)


def plot_loss_by_length(curves: dict[str, dict[int, pd.DataFrame]], models: tuple[str, ...], path: Path) -> Path:
    """Training loss as T grows, one panel per model (RNN vs LSTM), one line per T: the mean over
    seeds, with the band from the lowest to the highest seed (on a log axis a mean ± std band
    would reach below zero)."""
    shown = [m for m in models if m in curves]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 3.4), sharey=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, model in zip(axes[0], shown):
        lengths = sorted(curves[model])
        for k, T in enumerate(lengths):
            g = curves[model][T].groupby("step")["train_loss"]
            color = cmap(k / max(1, len(lengths) - 1))
            mean, low, high = g.mean(), g.min(), g.max()
            ax.plot(mean.index, mean.values, color=color, label=f"T = {T}")
            ax.fill_between(mean.index, low.values, high.values, color=color, alpha=0.15, lw=0)
        ax.set_title(label(model))
        ax.set_xlabel("training step")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0][0].set_ylabel("training loss (mean; band: min–max over seeds)")
    return save_figure(fig, path)


def make_figures(params: PalindromeParams, tracker=None) -> list[Path]:
    """The study's figures, from the per-seed curves the evaluate stages wrote."""
    frames = {m: {T: pd.read_csv(paths.study_results(STUDY, m).parent / "seeds" / f"T{T}.csv")
                  for T in model_section(params, m).T}
              for m in params.palindrome.models}
    out = paths.study_figures(STUDY)
    written = [plot_accuracy_curves(frames, out / "accuracy_vs_step.png"),
               plot_loss_by_length(frames, ("rnn", "lstm"), out / "rnn_vs_lstm_loss.png")]
    for m in params.palindrome.models:
        log_run_curves(tracker, paths.study_models(STUDY, m), f"{STUDY} {m}")
    for path in written:
        print(f"wrote {path}")
    return written


# The models drawn and every model's lengths (one section per kind of cell, listed or not).
STEPS = {"figures": Step(make_figures, reads=("palindrome.models", *(f"{m}.T" for m in MODELS)))}

if __name__ == "__main__":
    run_stage(__doc__, PalindromeParams, STEPS, experiment=STUDY)
