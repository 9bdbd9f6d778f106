"""Stage lstmae_course_figures: the LSTM-AE course's runs drawn as the course drew them, loss per
epoch on a log axis (its ``plt.yscale('log')``), one figure per part.

    python -m seqlab.studies.lstmae.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.viz import save_figure
from seqlab.studies.lstmae.course.params import CourseParams

STUDY = "lstmae_course"  # the course protocol's outputs, as its steps name them (figures import no training code)


def plot_synthetic(curves: pd.DataFrame, res: dict, path: Path) -> Path:
    """Left: the chosen run per seed, training (dashed) and validation loss. Right: the validation
    loss of each variant beside the chosen run at the same seed. The mean-signal plateau dotted."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    chosen = res["chosen"]
    floor = res["plateau"]["val"]
    for i, (seed, run) in enumerate(curves[curves["label"] == chosen].groupby("seed")):
        color = f"C{i}"
        left.plot(run["epoch"], run["val_loss"], color=color, lw=1.5, label=f"seed {seed}: validation")
        left.plot(run["epoch"], run["train_loss"], color=color, lw=1, ls="--", label=f"seed {seed}: training")
    variant_seed = res["params"]["variant_seed"]
    same = curves[(curves["label"] == chosen) & (curves["seed"] == variant_seed)]
    right.plot(same["epoch"], same["val_loss"], color="k", lw=2, label=f"{chosen} (chosen)")
    for i, (label, run) in enumerate(curves[curves["label"] != chosen].groupby("label", sort=False)):
        right.plot(run["epoch"], run["val_loss"], color=f"C{i + 3}", lw=1.2, label=label)
    for ax, title in ((left, f"the report's chosen run ({chosen})"), (right, f"one change each (seed {variant_seed})")):
        ax.axhline(floor, color="0.5", ls=":", lw=1, label="predicting each signal's mean")
        ax.set(yscale="log", xlabel="epoch", title=title)
        ax.legend(fontsize=6.5, ncol=2 if ax is left else 1)
    left.set_ylabel("MSE (Keras's loss and val_loss)")
    fig.suptitle("Synthetic signals as the course ran them", fontsize=10)
    return save_figure(fig, path)


def plot_mnist(curves: pd.DataFrame, path: Path) -> Path:
    """Left: reconstruction MSE per epoch, row by row and pixel by pixel. Right: the classifier's
    accuracy per epoch, with and without recurrent dropout (training as Keras logged it: the
    epoch's running accuracy with dropout on)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, name in enumerate(("recon_row", "recon_pixel")):
        for seed, run in curves[curves["run"] == name].groupby("seed"):
            left.plot(run["epoch"], run["val_loss"], color=f"C{i}", marker="o" if len(run) < 3 else None,
                      lw=1.5, label=f"{name.split('_')[1]} by {name.split('_')[1]}: validation (seed {seed})")
            left.plot(run["epoch"], run["train_loss"], color=f"C{i}", ls="--", lw=1, marker="x" if len(run) < 3 else None,
                      label="training")
    left.set(yscale="log", xlabel="epoch", ylabel="MSE", title="reconstruction")
    left.legend(fontsize=7)
    for i, name in enumerate(("classifier_dropout", "classifier_no_dropout")):
        label = "no recurrent dropout" if name.endswith("no_dropout") else "recurrent dropout"
        for seed, run in curves[curves["run"] == name].groupby("seed"):
            right.plot(run["epoch"], run["val_acc"], color=f"C{i + 2}", lw=1.5, label=f"{label}: validation")
            right.plot(run["epoch"], run["train_acc"], color=f"C{i + 2}", ls="--", lw=1, label=f"{label}: training")
    right.set(xlabel="epoch", ylabel="ten-way accuracy", title="classifier (BCE on one-hot)")
    right.legend(fontsize=7)
    fig.suptitle("MNIST as the course ran it", fontsize=10)
    return save_figure(fig, path)


def plot_prices(curves: pd.DataFrame, path: Path) -> Path:
    """Left: the reconstruction model's loss. Right: the prediction model's two branches on the
    validation windows (the course's "similarly minimized")."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    recon = curves[curves["model"] == "reconstruct"]
    left.plot(recon["epoch"], recon["val_loss"], lw=1.5, label="validation")
    left.plot(recon["epoch"], recon["train_loss"], ls="--", lw=1, label="training")
    left.set(yscale="log", xlabel="epoch", ylabel="MSE (window scale)", title="reconstruction (question 2)")
    left.legend(fontsize=7)
    pred = curves[curves["model"] == "predict"]
    right.plot(pred["epoch"], pred["val_recon_loss"], lw=1.5, label="reconstruction branch (validation)")
    right.plot(pred["epoch"], pred["val_predict_loss"], lw=1.5, label="prediction branch (validation)")
    right.set(yscale="log", xlabel="epoch", title="reconstruction + prediction (question 3)")
    right.legend(fontsize=7)
    fig.suptitle("S&P 500 windows as the course ran them", fontsize=10)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    plots, figures = paths.study_plots(STUDY), paths.study_figures(STUDY)
    res = read_json(paths.study_results(STUDY))
    plot_synthetic(pd.read_csv(plots / "synthetic.csv"), res["synthetic"], figures / "synthetic.png")
    plot_mnist(pd.read_csv(plots / "mnist.csv"), figures / "mnist.png")
    plot_prices(pd.read_csv(plots / "prices.csv"), figures / "prices.png")


SCHEMA = CourseParams  # the course protocol's params (lstmae.course), not the lstmae package's
STEPS = {"figures": Step(make_figures, reads=())}

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
