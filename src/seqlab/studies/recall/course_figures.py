"""Stage recall_course_figures: the EE6132 course's digit-recall runs, drawn as the course drew
them (test accuracy after each epoch per hidden size, its logs/Q2-A-L-{H}.png) and by sequence
length on the judge set.

    python -m seqlab.studies.recall.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.present.viz import band, save_figure
from seqlab.studies.recall.course.data import DIGITS
from seqlab.studies.recall.course.params import CourseParams

STUDY = "recall_course"  # the course protocol's outputs, as its steps name them (figures import no training code)
CHANCE = 1 / DIGITS  # digits 0..8


def plot_epochs(curves: dict[int, pd.DataFrame], path: Path) -> Path:
    """One panel per hidden size, as the course's Q2-A-L-{H}.png: the test accuracy after each
    epoch (each seed thin, their mean thick) and the epoch's last training-batch loss (the seeds'
    mean, right axis), which is what the course plotted beside it."""
    fig, axes = plt.subplots(1, len(curves), figsize=(3.6 * len(curves), 3.2), sharey=True, squeeze=False)
    top = max(float(c["last_train_loss"].max()) for c in curves.values()) * 1.05  # one loss scale for every panel
    last = len(curves) - 1
    for i, (ax, (h, c)) in enumerate(zip(axes[0], sorted(curves.items()))):
        for _, run in c.groupby("seed"):
            ax.plot(run["epoch"], run["test_acc"], color="tab:blue", lw=0.7, alpha=0.35)
        mean = c.groupby("epoch")[["test_acc", "last_train_loss"]].mean()
        ax.plot(mean.index, mean["test_acc"], color="tab:blue", lw=2, label=f"test accuracy ({c['seed'].nunique()} seeds)")
        ax.axhline(CHANCE, color="0.6", ls=":", lw=1, label=f"chance (1/{DIGITS})")
        ax.set(title=f"hidden {h}", xlabel="epoch", ylim=(0, 1.02))
        loss = ax.twinx()
        loss.plot(mean.index, mean["last_train_loss"], color="tab:orange", lw=1, label="last training batch's loss")
        loss.set_ylim(0, top)
        loss.tick_params(labelright=i == last, labelsize=7)
        if i == last:
            loss.set_ylabel("training loss (seeds' mean)", fontsize=8)
        if i == 0:
            lines = ax.get_legend_handles_labels()[0] + loss.get_legend_handles_labels()[0]
            ax.legend(lines, [ln.get_label() for ln in lines], fontsize=6, loc="center right")
    axes[0][0].set_ylabel("test accuracy (640 fresh per epoch)")
    fig.suptitle("Digit recall as the course ran it: test accuracy after each epoch", fontsize=10, y=1.02)
    return save_figure(fig, path)


def plot_lengths(by_length: pd.DataFrame, path: Path) -> Path:
    """Judge-set accuracy against the batch's length, mean ± std over seeds, one line per hidden size."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    cmap = plt.get_cmap("viridis")
    sizes = sorted(by_length["hidden"].unique())
    for i, h in enumerate(sizes):
        g = by_length[by_length["hidden"] == h].groupby("length")["acc"]
        color = cmap(0.85 * i / max(1, len(sizes) - 1))  # viridis's last yellow is hard to see on white
        band(ax, g.mean().index, g.mean(), g.std(ddof=1).fillna(0.0), color,
             f"hidden {h}", marker="o", ms=3)
    ax.axhline(CHANCE, color="0.6", ls=":", lw=1, label=f"chance (1/{DIGITS})")
    ax.set(xlabel="sequence length (one per batch)", ylabel="judge-set accuracy (mean ± std)", ylim=(0, 1.02),
           title="Digit recall as the course ran it: accuracy by length")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    plots, figures = paths.study_plots(STUDY), paths.study_figures(STUDY)
    plot_epochs({h: pd.read_csv(plots / f"h{h}.csv") for h in p.course.train.hidden}, figures / "test_by_epoch.png")
    plot_lengths(pd.read_csv(plots / "by_length.csv"), figures / "accuracy_by_length.png")


SCHEMA = CourseParams  # the course protocol's params (recall.course), not the recall package's
STEPS = {"figures": Step(make_figures, reads=("recall.course.train.hidden",))}

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
