"""Stage charlm_course_figures: the char-LSTM as the UvA course ran it beside seqlab's run, on the
course's metric (training-batch accuracy) and on the held-out text.

    python -m seqlab.studies.charlm.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.present.viz import save_figure
from seqlab.studies.charlm.course.params import CourseParams
from seqlab.studies.charlm.layout import STUDY as CHARLM

STUDY = "charlm_course"  # the course protocol's outputs, as its steps name them (figures import no training code)
REPORTED = (5000, 0.65)  # the report's "approximately 0.65" at "approximately 5000 steps" (quoted)


def plot_protocols(course_train: pd.DataFrame, course_heldout: pd.DataFrame, seqlab: pd.DataFrame, window: int,
                   path: Path) -> Path:
    """Two panels, one per protocol: training-batch accuracy (the course's metric) and held-out
    accuracy against the step; the report's quoted 0.65 as a line."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    ax = axes[0]
    ax.plot(course_train["step"], course_train["train_acc"], color="0.75", lw=0.6, label="one training batch")
    every = int(course_train["step"].diff().median()) if len(course_train) > 1 else 1  # steps between rows
    smooth = course_train["train_acc"].rolling(max(1, window // every), min_periods=1).mean()
    ax.plot(course_train["step"], smooth, color="tab:gray", label=f"training batches, mean over {window} steps")
    ax.plot(course_heldout["step"], course_heldout["acc"], color="tab:blue", marker="o", ms=3, label="held-out text")
    ax.set_title("as the course ran it: 2 × 256, constant lr", fontsize=9)
    ax = axes[1]
    ax.plot(seqlab["step"], seqlab["train_acc"], color="tab:gray", label="training batches (mean per interval)")
    ax.plot(seqlab["step"], seqlab["heldout_acc"], color="tab:blue", marker="o", ms=3, label="held-out text")
    ax.set_title("seqlab's run: 2 × 128, lr decay", fontsize=9)
    for ax in axes:
        ax.axhline(REPORTED[1], color="tab:orange", ls=":", lw=1,
                   label=f"the report's ~{REPORTED[1]} at ~{REPORTED[0]:,} steps (quoted, Grimm)")
        ax.set(xlabel="training step", ylim=(0, 1))
        ax.legend(fontsize=7, loc="lower right")
    axes[0].set_ylabel("next-character accuracy")
    fig.suptitle("Char-LSTM: the course's protocol and seqlab's, on the same text", fontsize=10)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    plots = paths.study_plots(STUDY)
    plot_protocols(pd.read_csv(plots / "train_acc.csv"), pd.read_csv(plots / "heldout.csv"),
                   pd.read_csv(paths.study_plots(CHARLM) / "curves.csv"), p.course.train.acc_window,
                   paths.study_figures(STUDY) / "protocols.png")


SCHEMA = CourseParams  # the course protocol's params (charlm.course), not the charlm package's
STEPS = {"figures": Step(make_figures, reads=("charlm.course.train.acc_window",))}

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
