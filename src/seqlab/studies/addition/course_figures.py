"""Stage addition_course_figures: binary addition as the EE6132 course ran it, and why its
"hackish" cross-entropy cannot give a binary number.

    python -m seqlab.studies.addition.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.present.viz import save_figure
from seqlab.studies.addition.course.measures import ce_ceiling, ce_loss_floor, lowest_set_bit
from seqlab.studies.addition.course.params import CourseParams

STUDY = "addition_course"  # the course protocol's outputs, as its steps name them (figures import no training code)
MSE, CE = "mse", "time_position_ce"
CE_COLOR = "tab:red"


def _label(loss: str, hidden: int) -> str:
    return f"{'MSE' if loss == MSE else 'course CE'}, h={hidden}"


def _colors(configs: list[tuple[str, int]]) -> dict[tuple[str, int], object]:
    """MSE runs in viridis by size, CE runs in reds."""
    mse = sorted(h for loss, h in configs if loss == MSE)
    ce = sorted(h for loss, h in configs if loss == CE)
    cmap, reds = plt.get_cmap("viridis"), plt.get_cmap("Reds")
    out = {(MSE, h): cmap(0.85 * i / max(1, len(mse) - 1)) for i, h in enumerate(mse)}
    out |= {(CE, h): reds(0.6 + 0.4 * i / max(1, len(ce) - 1)) for i, h in enumerate(ce)}
    return out


def _configs(frame: pd.DataFrame) -> list[tuple[str, int]]:
    keys = frame[["loss", "hidden"]].drop_duplicates().itertuples(index=False)
    return sorted(((str(loss), int(h)) for loss, h in keys), key=lambda k: (k[0] != MSE, k[1]))


def plot_outputs(outputs: pd.DataFrame, path: Path) -> Path:
    """Per-step sigmoid outputs of an MSE and a CE model (same size and seed) on the shown
    problems, one row each (sorted by the sum c), beside the target bits."""
    L1 = outputs["step"].max() + 1
    rows = outputs.sort_values(["c", "step"])
    cs = rows.drop_duplicates("problem")["c"].to_numpy()
    panels = [("target bits of c", "target"), ("MSE: sigmoid outputs", MSE),
              ("course's CE: sigmoid outputs", CE)]
    fig, axes = plt.subplots(1, 3, figsize=(11, 0.32 * len(cs) + 1.6), sharey=True, layout="constrained")
    for ax, (title, col) in zip(axes, panels):
        grid = rows[col].to_numpy().reshape(len(cs), L1)  # (problems, L+1)
        im = ax.imshow(grid, vmin=0, vmax=1, cmap="Greys", aspect="auto")
        for (i, t), v in np.ndenumerate(grid):
            ax.text(t, i, f"{v:.2f}" if col != "target" else f"{v:.0f}", ha="center", va="center", fontsize=6,
                    color="white" if v > 0.5 else "black")
        ax.set(title=title, xlabel="step t (bit 2^t, least significant first)", xticks=range(L1))
    axes[0].set_yticks(range(len(cs)), [f"c = {c}" for c in cs], fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.6, label="output (> 0.5 reads as 1)")
    fig.suptitle("The course's cross-entropy trains one high step per sum, at its lowest set bit; MSE writes the bits",
                 fontsize=10)
    return save_figure(fig, path)


def plot_decoded(decoded: pd.DataFrame, L: int, path: Path) -> Path:
    """Decoded prediction against the true sum c on the judge set: MSE on the diagonal, the CE
    model on c & −c. Marker area: how many problems."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True, layout="constrained")
    top = 2**L - 1
    every = np.arange(0, 2**L)
    for ax, (loss, title) in zip(axes, ((MSE, "MSE"), (CE, "course's CE"))):
        counts = decoded.groupby(["c", loss]).size().reset_index(name="n")
        ax.scatter(counts["c"], counts[loss], s=4 + 60 * counts["n"] / counts["n"].max(), alpha=0.6,
                   color=CE_COLOR if loss == CE else "tab:blue", label="predictions (area: count)")
        ax.plot([0, top], [0, top], color="0.5", lw=0.8, ls=":", label="prediction = c")
        ax.step(every, lowest_set_bit(every), where="mid", color="tab:orange", lw=0.9, label="c & −c (lowest set bit)")
        ax.set(title=title, xlabel="true sum c")
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("decoded prediction")
    fig.suptitle(f"Decoded predictions at L = {L} (the judge set)", fontsize=10)
    return save_figure(fig, path)


def plot_by_length(sweep: pd.DataFrame, L: int, path: Path) -> Path:
    """The course's last plot: whole-number accuracy against test length, mean over seeds per
    model, with the CE ceiling (l+1)/2^l."""
    configs = _configs(sweep)
    colors = _colors(configs)
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for key in configs:
        g = sweep[(sweep["loss"] == key[0]) & (sweep["hidden"] == key[1])].groupby("length")["acc"]
        ax.plot(g.mean().index, g.mean().values, marker=".", color=colors[key], label=_label(*key),
                ls="--" if key[0] == CE else "-")
    lengths = np.arange(1, sweep["length"].max() + 1)
    ax.plot(lengths, [ce_ceiling(n) for n in lengths], color="k", lw=0.9, ls=":", label="CE ceiling (l+1)/2^l")
    ax.axvline(L, color="0.6", lw=0.8, ls=":")
    ax.set(xlabel="test length l (bits)", ylabel="whole-number accuracy (mean over seeds)", ylim=(-0.02, 1.02),
           title=f"Trained at L = {L}, tested at every length (the course's sweep)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_training(curves: pd.DataFrame, L: int, path: Path) -> Path:
    """Per epoch: the MSE runs' and the CE runs' training loss (mean over the epoch's batches; one
    line per seed), the CE floor log(e + L) − 1 marked; and the course's train (dashed) and test
    (solid) whole-number accuracy, mean over seeds."""
    configs = _configs(curves)
    colors = _colors(configs)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for key in configs:
        g = curves[(curves["loss"] == key[0]) & (curves["hidden"] == key[1])]
        ax = axes[0] if key[0] == MSE else axes[1]
        for i, (_, s) in enumerate(g.groupby("seed")):
            ax.plot(s["epoch"], s["train_loss"], color=colors[key], lw=1, alpha=0.8, label=_label(*key) if i == 0 else None)
        m = g.groupby("epoch")[["train_acc", "test_acc"]].mean()
        axes[2].plot(m.index, m["test_acc"], color=colors[key], marker=".", label=f"{_label(*key)}: test")
        axes[2].plot(m.index, m["train_acc"], color=colors[key], ls="--", lw=0.9)
    axes[1].axhline(ce_loss_floor(L), color="k", ls=":", lw=0.9, label=f"floor log(e + {L}) − 1 = {ce_loss_floor(L):.3f}")
    axes[2].axhline(ce_ceiling(L), color="k", ls=":", lw=0.9, label=f"CE ceiling (L+1)/2^L = {ce_ceiling(L):.4f}")
    axes[0].set(title="MSE", ylabel="training loss (epoch mean)")
    axes[1].set(title="course's cross-entropy over time positions")
    axes[2].set(title="whole-number accuracy: test (solid), train (dashed)", ylim=(-0.02, 1.02))
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.legend(fontsize=7)
    fig.suptitle(f"Binary addition by the course's protocol, L = {L}", fontsize=10)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    L = p.course.L
    plots, out = paths.study_plots(STUDY), paths.study_figures(STUDY)
    plot_outputs(pd.read_csv(plots / "outputs.csv"), out / "outputs.png")
    plot_decoded(pd.read_csv(plots / "decoded.csv"), L, out / "decoded.png")
    plot_by_length(pd.read_csv(plots / "sweep.csv"), L, out / "accuracy_by_length.png")
    plot_training(pd.read_csv(plots / "curves.csv"), L, out / "training.png")


SCHEMA = CourseParams  # the course protocol's params (addition.course), not the addition package's
STEPS = {"figures": Step(make_figures, reads=("addition.course.L",))}

if __name__ == "__main__":
    run_stage(__doc__, SCHEMA, STEPS)
