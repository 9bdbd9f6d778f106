"""Figures as PNG (matplotlib, no display). The report embeds them; nothing loads from a CDN."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: stages run headless
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


# One colour per model across every figure, so a reader learns them once.
COLORS = {"rnn": "tab:red", "lstm": "tab:blue", "peephole": "tab:green", "gru": "tab:purple"}
LABELS = {"rnn": "RNN", "lstm": "LSTM", "peephole": "Peephole LSTM", "gru": "GRU"}
DPI = 110


def save_figure(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No metadata: the same curves give the same PNG bytes.
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def plot_run_curve(history: pd.DataFrame, title: str, path: Path, column: str = "val_acc",
                   label: str = "validation accuracy", unit_range: bool = True) -> Path:
    """One run: train loss per step and the validation metric (the MLflow run's artifact).

    ``unit_range`` pins the metric's axis to [0, 1] (accuracies); regression metrics float.
    """
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(history["step"], history["train_loss"], color="0.6", lw=0.6, label="train loss")
    ax.set_xlabel("step")
    ax.set_ylabel("train loss")
    ax2 = ax.twinx()
    val = history.dropna(subset=[column])
    ax2.plot(val["step"], val[column], color="tab:blue", label=label)
    if unit_range:
        ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(label)
    ax.set_title(title)
    return save_figure(fig, path)


def plot_accuracy_curves(curves: dict[str, dict[int, pd.DataFrame]], path: Path) -> Path:
    """Validation accuracy against step, mean ± std over seeds: one panel per T, every model."""
    lengths = sorted({T for per_T in curves.values() for T in per_T})
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.4), sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for model, per_T in curves.items():
            if T not in per_T:
                continue
            c = per_T[T]
            color = COLORS.get(model)
            ax.plot(c["step"], c["val_acc_mean"], color=color, label=LABELS.get(model, model))
            ax.fill_between(c["step"], c["val_acc_mean"] - c["val_acc_std"], c["val_acc_mean"] + c["val_acc_std"],
                            color=color, alpha=0.2, lw=0)
        ax.set_title(f"T = {T}")
        ax.set_xlabel("training step")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("validation accuracy (mean ± std)")
    axes[0][-1].legend(loc="lower right")
    return save_figure(fig, path)


def plot_loss_by_length(curves: dict[str, dict[int, pd.DataFrame]], models: tuple[str, ...], path: Path) -> Path:
    """Training loss as T grows, one panel per model (RNN vs LSTM), one line per T."""
    shown = [m for m in models if m in curves]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 3.4), sharey=True, squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, model in zip(axes[0], shown):
        lengths = sorted(curves[model])
        for k, T in enumerate(lengths):
            c = curves[model][T]
            color = cmap(k / max(1, len(lengths) - 1))
            ax.plot(c["step"], c["train_loss_mean"], color=color, label=f"T = {T}")
            ax.fill_between(c["step"], c["train_loss_mean"] - c["train_loss_std"],
                            c["train_loss_mean"] + c["train_loss_std"], color=color, alpha=0.15, lw=0)
        ax.set_title(LABELS.get(model, model))
        ax.set_xlabel("training step")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0][0].set_ylabel("training loss (mean over seeds)")
    return save_figure(fig, path)
