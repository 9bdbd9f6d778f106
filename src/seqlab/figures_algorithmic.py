"""Figures for the algorithmic studies: recall, binary addition, adding, length sweep, gradient flow.

Same conventions as seqlab.figures: PNG only, one colour per model, no metadata in the file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.figures import COLORS, LABELS, save_figure


def _band(ax, x, mean, std, color, label):
    ax.plot(x, mean, color=color, label=label)
    ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, lw=0)


def plot_recall_curves(curves: dict[int, pd.DataFrame], path: Path) -> Path:
    """Validation accuracy against step, mean ± std over seeds, one line per hidden size."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    cmap = plt.get_cmap("viridis")
    for i, (h, c) in enumerate(sorted(curves.items())):
        _band(ax, c["step"], c["val_acc_mean"], c["val_acc_std"], cmap(i / max(1, len(curves) - 1)), f"hidden {h}")
    ax.axhline(0.1, color="0.6", ls=":", lw=1, label="chance (0.1)")
    ax.set(xlabel="training step", ylabel="validation accuracy (mean ± std)", ylim=(0, 1.02),
           title="Digit recall: LSTM accuracy by hidden size")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


LOSS_STYLE = {"bce": "-", "mse": "--"}
LOSS_LABEL = {"bce": "cross-entropy", "mse": "MSE"}


def plot_addition_losses(curves: dict[tuple[int, int, str], pd.DataFrame], path: Path) -> Path:
    """MSE vs cross-entropy: validation bit accuracy against step, one panel per training L,
    colour by hidden size, solid = cross-entropy, dashed = MSE (mean ± std over seeds)."""
    lengths = sorted({k[0] for k in curves})
    hiddens = sorted({k[1] for k in curves})
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False, layout="constrained")
    for ax, L in zip(axes[0], lengths):
        for (L2, h, loss), c in sorted(curves.items()):
            if L2 != L:
                continue
            color = cmap(hiddens.index(h) / max(1, len(hiddens) - 1))
            ax.plot(c["step"], c["val_bit_acc_mean"], color=color, ls=LOSS_STYLE.get(loss, ":"),
                    label=f"h={h}, {LOSS_LABEL.get(loss, loss)}")
            ax.fill_between(c["step"], c["val_bit_acc_mean"] - c["val_bit_acc_std"],
                            c["val_bit_acc_mean"] + c["val_bit_acc_std"], color=color, alpha=0.12, lw=0)
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
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False, layout="constrained")
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


def plot_adding_losses(curves: dict[tuple[str, int], pd.DataFrame], baseline: dict[int, float], path: Path) -> Path:
    """Training loss (log scale) against step, one panel per T, every model; the dashed line is
    the MSE of always predicting the mean. RNN and LSTM are drawn boldest, side by side."""
    lengths = sorted({T for _, T in curves})
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False, layout="constrained")
    for ax, T in zip(axes[0], lengths):
        for (m, T2), c in curves.items():
            if T2 != T:
                continue
            bold = m in ("rnn", "lstm")
            ax.plot(c["step"], c["train_loss_mean"], color=COLORS.get(m), lw=1.8 if bold else 1.0,
                    alpha=1.0 if bold else 0.7, label=LABELS.get(m, m))
        ax.axhline(baseline[T], color="0.3", ls="--", lw=1, label=f"predict the mean ({baseline[T]:.3f})")
        ax.set(title=f"T = {T}", xlabel="training step", yscale="log")
    axes[0][0].set_ylabel("training MSE (mean over each eval interval)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("Adding task: training loss")
    return save_figure(fig, path)


def plot_sweep(table: pd.DataFrame, target: float, path: Path) -> Path:
    """Final test accuracy against T, mean ± std over seeds, one line per cell."""
    fig, ax = plt.subplots(figsize=(6.6, 3.8))
    for m, g in table.groupby("model", sort=False):
        s = g.groupby("T")["test_acc"].agg(["mean", "std"]).fillna(0.0)
        ax.errorbar(s.index, s["mean"], yerr=s["std"], color=COLORS.get(m), marker="o", ms=4, capsize=3,
                    label=LABELS.get(m, m))
    ax.axhline(target, color="0.4", ls="--", lw=1, label=f"target {target:.0%}")
    ax.axhline(0.1, color="0.6", ls=":", lw=1, label="chance (base 10)")
    ax.set(xlabel="palindrome length T", ylabel="test accuracy (mean ± std over seeds)", ylim=(0, 1.03),
           title="Where each cell breaks: accuracy against length")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_gradflow(norms: pd.DataFrame, metrics: dict, path: Path) -> Path:
    """||dL/ds(t)|| against t on a log scale: a row per T, at initialisation and after training,
    one line per cell; the legend gives each cell's fitted per-step decay factor."""
    lengths = sorted(norms["T"].unique())
    phases = ["init", "trained"]
    fig, axes = plt.subplots(len(lengths), 2, figsize=(10, 3.4 * len(lengths)), squeeze=False, layout="constrained")
    for r, T in enumerate(lengths):
        for c, phase in enumerate(phases):
            ax = axes[r][c]
            sub = norms[(norms["T"] == T) & (norms["phase"] == phase)]
            for m, g in sub.groupby("model", sort=False):
                decay = metrics.get(m, {}).get(f"T{T}", {}).get(f"decay_{phase}")
                label = f"{LABELS.get(m, m)} (×{decay:.3f}/step)" if decay is not None else LABELS.get(m, m)
                ax.plot(g["t"], g["state_norm"].clip(lower=1e-300), color=COLORS.get(m), label=label)
            ax.set(yscale="log", title=f"T = {T}, {'at initialisation' if phase == 'init' else 'after training'}",
                   xlabel="time step t")
            ax.legend(fontsize=7)
        axes[r][0].set_ylabel("||dL/ds(t)|| (batch mean)")
    fig.suptitle("Gradient flow back through time (loss at the last step)")
    return save_figure(fig, path)
