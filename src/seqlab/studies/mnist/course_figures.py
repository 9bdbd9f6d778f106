"""Stage mnist_course_figures: the EE6132 course's MNIST curves, one panel per model as its report
showed them (q1.py's plot: test accuracy, that step's training loss and test loss against the
step), and every model's final test accuracy.

    python -m seqlab.studies.mnist.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.judging.verdicts import accuracy_se
from seqlab.present.viz import COLORS, save_figure
from seqlab.studies.mnist.course.params import STUDY, CourseParams

# The report's figure order: LSTM (its figures 1-3), RNN (4-6), GRU (7-9); each row one kind.
REPORT_ORDER = ("lstm", "rnn", "gru")
# q1.py's three curves and its legend's words; validation is seqlab's, drawn beside them.
SERIES = (("test_acc", "Accuracy (test)", "tab:blue", "-"), ("train_loss", "Loss (train)", "tab:orange", "-"),
          ("test_loss", "Loss (test)", "tab:green", "-"), ("val_acc", "accuracy (validation)", "0.4", "--"))


def plot_curves(models: list[dict], curves: dict[str, pd.DataFrame], path: Path) -> Path:
    """A grid of the course's per-model plots: a row per kind in the report's order, a column
    per layout; each seed's curves drawn alike."""
    kinds = [k for k in REPORT_ORDER if any(m["kind"] == k for m in models)]
    labels = list(dict.fromkeys(m["label"] for m in models))
    fig, axes = plt.subplots(len(kinds), len(labels), figsize=(3.6 * len(labels), 2.6 * len(kinds)), sharex=True,
                             sharey=True, squeeze=False, layout="constrained")
    for m in models:
        ax = axes[kinds.index(m["kind"])][labels.index(m["label"])]
        for _, c in curves[m["name"]].groupby("seed"):
            for col, _, color, ls in SERIES:
                ax.plot(c["step"], c[col], color=color, ls=ls, lw=1.2, marker=".", ms=3)
        ax.set_title(f"{m['kind'].upper()} {m['label']}: test {m['test_acc']:.3f}", fontsize=9)
        ax.grid(alpha=0.3)
    top = max(2.5, max(float(c[["train_loss", "test_loss"]].max().max()) for c in curves.values()) * 1.05)
    for ax in axes[-1]:
        ax.set(xlabel="update", ylim=(0, min(top, 4.0)))  # a diverged loss would flatten every accuracy
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy / loss")
    handles = [Line2D([], [], color=color, ls=ls, label=label) for _, label, color, ls in SERIES]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle("The course's protocol (q1.py): each model's curves, as the report's figures drew them", fontsize=10)
    return save_figure(fig, path)


def plot_final(models: list[dict], n_test: int, path: Path) -> Path:
    """Final test accuracy per kind and layout, ± 2 standard errors (binomial on the test images,
    with the seeds' spread where there are several)."""
    labels = list(dict.fromkeys(m["label"] for m in models))
    kinds = [k for k in REPORT_ORDER if any(m["kind"] == k for m in models)]
    width = 0.8 / len(kinds)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(labels), 3.6), layout="constrained")
    for i, kind in enumerate(kinds):
        for m in (m for m in models if m["kind"] == kind):
            x = labels.index(m["label"]) + (i - (len(kinds) - 1) / 2) * width
            ax.bar(x, m["test_acc"], width, yerr=2 * accuracy_se(m["test_acc_seeds"], n_test), capsize=3,
                   color=COLORS[kind],
                   label=kind.upper() if m["label"] == labels[0] else None)
            ax.scatter(np.full(len(m["test_acc_seeds"]), x), m["test_acc_seeds"], s=8, color="black", zorder=3)
    ax.set_xticks(range(len(labels)), labels)
    ax.set(xlabel="hidden (the course's -l list; (64, 64): a frozen map before 64)", ylabel="test accuracy",
           ylim=(0, 1), title=f"Final test accuracy on {n_test:,} images, ± 2 SE (dots: seeds)")
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    plots = paths.study_plots(STUDY)
    curves = {m["name"]: pd.read_csv(plots / f"{m['name']}.csv") for m in res["models"]}
    out = paths.study_figures(STUDY)
    plot_curves(res["models"], curves, out / "curves.png")
    plot_final(res["models"], res["n_test"], out / "final_accuracy.png")


SCHEMA = CourseParams  # the course protocol's params (mnist.course), not the mnist package's
STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the evaluate step's outputs

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
