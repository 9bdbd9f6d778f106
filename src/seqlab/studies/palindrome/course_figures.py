"""Stage palindrome_course_figures: the CS324 palindrome runs per epoch, as the student's scripts
printed them (validation accuracy, training loss), one figure per network, one row per length.

    python -m seqlab.studies.palindrome.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.viz import save_figure
from seqlab.studies.palindrome.course.params import CourseParams

STUDY = "palindrome_course"  # the course protocol's outputs, as its steps name them (figures import no training code)
# line style, marker (drawn where a run has too few epochs for a line), legend text
STUDENT = ("-", "o", "the student's (softmax, then CrossEntropyLoss)")
STYLES = {"lstm": STUDENT, "lstm_corrected": ("--", "x", "one softmax (logits into the loss)"), "rnn": STUDENT}


def plot_network(groups: list[dict], plots: Path, floor: float, title: str, path: Path) -> Path:
    """One row per length: validation accuracy (left) and training loss (right) per epoch, a colour
    per seed, a line style per output; the double softmax's loss floor dotted."""
    lengths = sorted({g["T"] for g in groups})
    fig, axes = plt.subplots(len(lengths), 2, figsize=(11, 3.4 * len(lengths)), squeeze=False, layout="constrained")
    for (acc, loss), T in zip(axes, lengths):
        for g in (g for g in groups if g["T"] == T):
            style, point, what = STYLES[g["variant"]]
            curves = pd.read_csv(plots / f"{g['variant']}_T{T}.csv")
            for i, (seed, run) in enumerate(curves.groupby("seed")):
                marker = point if len(run) < 3 else None  # a one-epoch run is a point
                acc.plot(run["epoch"], run["val_acc"], color=f"C{i}", ls=style, marker=marker, lw=1.2,
                         label=f"seed {seed}: {what}")
                loss.plot(run["epoch"], run["train_loss"], color=f"C{i}", ls=style, marker=marker, lw=1.2)
        last = max(g["epochs"] for g in groups if g["T"] == T)
        for ax in (acc, loss):
            if last < 3:  # a run of one or two epochs: frame its points
                ax.set_xlim(0.5, last + 0.5)
            ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole
        acc.set(xlabel="epoch", ylabel="validation accuracy", ylim=(-0.02, 1.02), title=f"T = {T}")
        acc.legend(fontsize=6.5)
        loss.axhline(floor, color="0.5", ls=":", lw=1, label=f"the double softmax's floor, {floor:.5f}")
        loss.set(xlabel="epoch", ylabel="training loss (the epoch's batches)", yscale="log", title=f"T = {T}")
        loss.legend(fontsize=6.5)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    plots, figures = paths.study_plots(STUDY), paths.study_figures(STUDY)
    res = read_json(paths.study_results(STUDY))
    lstm = [g for g in res["groups"] if g["kind"] == "lstm"]
    rnn = [g for g in res["groups"] if g["kind"] == "rnn"]
    plot_network(lstm, plots, res["loss_floor"], "The student's LSTM (assignment 3) as its script ran it",
                 figures / "lstm.png")
    plot_network(rnn, plots, res["loss_floor"], "The student's RNN (assignment 2) as its script ran it",
                 figures / "rnn.png")


SCHEMA = CourseParams  # the course protocol's params (palindrome.course), not the palindrome study's
STEPS = {"figures": Step(make_figures, reads=())}

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
