"""Stage mnist_figures: learning curves per view, the best classifier's confusion matrix, the
autoencoder's reconstructions (PNG), and each run's curve in MLflow.

    python -m seqlab.studies.mnist.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.studies.mnist.params import MnistParams
from seqlab.present.viz import COLORS, log_run_curves, save_figure

STUDY = "mnist"

HIDDEN_STYLE = ["-", "--", ":", "-."]


SPLIT_LABELS = {"train": "training (mean over the epoch)", "val": "validation (end of the epoch)",
          "test": "test (end of the epoch)"}


def plot_curves(curves: dict[str, pd.DataFrame], title: str, path: Path, chance: float | None = None) -> Path:
    """Loss (top) and accuracy (bottom) per epoch on the training batches, the validation split
    and the test split, for every model of one view. Colour: RNN / LSTM / GRU; line style:
    hidden layout; thin: bidirectional (one legend for the three, below the panels). A grey line
    marks chance accuracy when given."""
    fig, axes = plt.subplots(2, len(SPLIT_LABELS), figsize=(12, 6), sharex=True, sharey="row", layout="constrained")
    layouts = sorted({n.split("-")[1] for n in curves}, key=lambda h: (h.count("x"), h))
    for name, c in sorted(curves.items()):
        kind, hidden, direction, _ = name.split("-")
        style = dict(color=COLORS.get(kind), ls=HIDDEN_STYLE[layouts.index(hidden) % 4],
                     lw=0.9 if direction == "bi" else 1.8, marker=".", ms=3)
        for (loss_ax, acc_ax), split in zip(axes.T, SPLIT_LABELS):
            loss_ax.plot(c["epoch"], c[f"{split}_loss"], **style)
            acc_ax.plot(c["epoch"], c[f"{split}_acc"], **style)
    # Accuracy up to just above the best curve: pixel models that climb from 0.10 to 0.25 would
    # be a flat line on a 0-1 axis.
    best = max(c[f"{split}_acc"].max() for c in curves.values() for split in SPLIT_LABELS)
    top = min(1.0, np.ceil((best + 0.02) * 10) / 10)
    for (loss_ax, acc_ax), label in zip(axes.T, SPLIT_LABELS.values()):
        loss_ax.set_title(label)
        acc_ax.set(ylim=(0, top), xlabel="epoch")
        acc_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if chance is not None:
            acc_ax.axhline(chance, color="grey", lw=0.8, ls=":")
    axes[0][0].set_ylabel("cross-entropy")
    axes[1][0].set_ylabel("accuracy")
    # One legend for the three encodings, not one entry per model: 18 lines in 3 colours would need
    # a legend too small to read.
    kinds = sorted({n.split("-")[0] for n in curves}, key=["rnn", "lstm", "gru"].index)
    handles = ([Line2D([], [], color=COLORS.get(k), lw=2, label=k.upper()) for k in kinds]
               + [Line2D([], [], color="0.3", ls=HIDDEN_STYLE[i % 4], label=f"hidden {h}") for i, h in enumerate(layouts)]
               + [Line2D([], [], color="0.3", lw=1.8, label="one direction"),
                  Line2D([], [], color="0.3", lw=0.9, label="bidirectional")]
               + ([Line2D([], [], color="grey", lw=0.8, ls=":", label="chance")] if chance is not None else []))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_confusion(cm: np.ndarray, class_names: list[str], model: str, path: Path) -> Path:
    """Test confusion matrix: rows are the true class, columns the prediction."""
    fig, ax = plt.subplots(figsize=(5.6, 5), layout="constrained")
    ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if v > cm.max() / 2 else "black")
    ax.set(xticks=range(len(class_names)), yticks=range(len(class_names)), xlabel="predicted", ylabel="true",
           title=f"Best classifier on validation: {model} (test set)")
    ax.set_xticklabels(class_names, rotation=45, ha="right", fontsize=7)
    ax.set_yticklabels(class_names, fontsize=7)
    return save_figure(fig, path)


def plot_reconstructions(originals: np.ndarray, reconstructions: np.ndarray, path: Path) -> Path:
    """Test digits (top row) above the autoencoder's row-by-row reconstructions (bottom row)."""
    n = len(originals)
    fig, axes = plt.subplots(2, n, figsize=(1.1 * n, 2.5), layout="constrained")
    for i in range(n):
        for row, img in enumerate((originals[i], reconstructions[i])):
            axes[row][i].imshow(img, cmap="gray_r", vmin=0, vmax=1)
            axes[row][i].axis("off")
    axes[0][0].set_title("original", fontsize=8, loc="left")
    axes[1][0].set_title("reconstruction", fontsize=8, loc="left")
    return save_figure(fig, path)


def make_figures(p: MnistParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    out = paths.study_figures(STUDY)
    plots = paths.study_plots(STUDY)
    table = pd.DataFrame(res["runs"])
    for view in p.classifiers.views:
        names = table.loc[(table["view"] == view) & (table["kind"] != "autoencoder"), "name"]
        how = "permuted pixels" if view == "permuted" else f"{view} by {view}"
        plot_curves({n: pd.read_csv(plots / f"{n}.csv") for n in names}, f"{res['data']['source']}, {how}",
                    out / f"curves_{view}.png", chance=res["chance"])
    plot_confusion(np.array(res["confusion"]), res["data"]["class_names"], res["best"], out / "confusion_best.png")
    pair = np.load(paths.study_results(STUDY).parent / "reconstructions.npy")
    plot_reconstructions(pair[0], pair[1], out / "autoencoder_reconstructions.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("mnist.classifiers.views",))}

if __name__ == "__main__":
    run_stage(__doc__, MnistParams, STEPS, experiment=STUDY)
