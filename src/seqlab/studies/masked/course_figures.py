"""Stage masked_course_figures: the course's network beside seqlab's on the same left-masked test
digits, and the loss per epoch as the homework asked for it ("a plot of your reconstruction loss
vs. epochs").

    python -m seqlab.studies.masked.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.gallery import show
from seqlab.present.viz import save_figure
from seqlab.studies.masked.course.params import QUOTED_LOSSES, CourseParams

STUDY = "masked_course"  # the course protocol's outputs, as its steps name them (figures import no training code)
EXAMPLES = "examples.npz"


def plot_examples(arrays: dict[str, np.ndarray], examples: list[dict], seed: int, path: Path) -> Path:
    """Four rows (original, masked input, the course's network, seqlab's network), one column per
    test digit; each image titled with the judge's reading of it, red where that is not the digit."""
    rows = (("original", "original", "read_original"), ("masked", "masked input", "read_masked"),
            ("course", f"course network\n(seed {seed})", "read_course"), ("seqlab", "seqlab network", "read_seqlab"))
    n = len(examples)
    fig, axes = plt.subplots(len(rows), n, figsize=(0.85 * n + 1.4, 4.6), squeeze=False)
    for j, e in enumerate(examples):
        for i, (key, label, read) in enumerate(rows):
            ax = axes[i][j]
            show(ax, arrays[key][j])
            ax.set_title(f"read {e[read]}", fontsize=7, color="tab:red" if e[read] != e["truth"] else "black", pad=2)
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle("Left half hidden: the course's network and seqlab's on the same test digits "
                 "(title: the judge's reading; red: not the digit)", fontsize=9, y=1.02)
    return save_figure(fig, path)


def plot_loss(curves: pd.DataFrame, path: Path) -> Path:
    """Left: the mean batch loss per epoch (what the copy printed), each course seed and seqlab's
    network, with the copy's printed values (60,000 images) as crosses. Right: the validation
    split's pixel MSE after each epoch."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    course = curves[curves["network"] == "course"]
    for i, (seed, run) in enumerate(course.groupby("seed")):
        for ax, col in ((left, "train_loss"), (right, "val_mse")):
            ax.plot(run["epoch"], run[col], color=f"C{i}", lw=1.3, label=f"course network, seed {int(seed)}")
    seqlab = curves[curves["network"] == "seqlab"]
    for ax, col in ((left, "train_loss"), (right, "val_mse")):
        ax.plot(seqlab["epoch"], seqlab[col], color="k", lw=1.6, ls="--", label="seqlab network")
    left.plot(list(QUOTED_LOSSES), list(QUOTED_LOSSES.values()), "x", color="tab:red", ms=8, mew=2,
              label="the copy's printed loss (quoted; 60,000 images)")
    left.set(yscale="log", xlabel="epoch", ylabel="pixel MSE", title="training: mean batch loss per epoch")
    right.set(xlabel="epoch", title="validation split after each epoch")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    with np.load(paths.study_results(STUDY).parent / EXAMPLES) as f:
        arrays = {k: f[k] for k in f.files}
    out = paths.study_figures(STUDY)
    plot_examples(arrays, res["examples"], res["examples_seed"], out / "reconstructions.png")
    plot_loss(pd.read_csv(paths.study_plots(STUDY) / "loss.csv"), out / "loss.png")


SCHEMA = CourseParams  # the course protocol's params (masked.course), not the masked package's
STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the evaluate step's outputs

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
