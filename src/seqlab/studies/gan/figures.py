"""Stage gan_figures: the fixed-latent grid at every snapshot (each logged to MLflow) and the
start / middle / end side by side; D and G losses against their equilibrium values; D's
accuracy; the scores across training; the class histogram; the latent interpolations.

    python -m seqlab.studies.gan.figures
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.gallery import save_grid, show, tile
from seqlab.studies.gan.params import GanParams
from seqlab.studies.gan.layout import D_EQUILIBRIUM, G_EQUILIBRIUM, SNAPSHOTS, TRAIN_COLUMNS, run_dir
from seqlab.tasks import mnist
from seqlab.core.paths import HISTORY
from seqlab.present.viz import save_figure

STUDY = "gan"


def grid_columns(n: int) -> int:
    return max(1, int(np.ceil(np.sqrt(n))))


def plot_progress(steps: np.ndarray, grids: np.ndarray, path: Path) -> Path:
    """The fixed-latent grid at the start, the middle and the end of training."""
    picks = sorted({0, len(steps) // 2, len(steps) - 1})
    fig, axes = plt.subplots(1, len(picks), figsize=(3.4 * len(picks), 3.7), squeeze=False)
    for ax, k in zip(axes[0], picks):
        show(ax, tile(mnist.normalise(grids[k]), grid_columns(grids.shape[1])), f"update {steps[k]:,}", fontsize=10)
    return save_figure(fig, path)


def plot_losses(history: pd.DataFrame, scores: pd.DataFrame, path: Path) -> Path:
    """Per-update losses (faint) and their means between snapshots, with the non-saturating
    game's equilibrium values; D's accuracy on real and on fake batches."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    for col, color, label, eq, eq_label in (("d_loss", "tab:blue", "D", D_EQUILIBRIUM, "2 ln 2"),
                                            ("g_loss", "tab:orange", "G", G_EQUILIBRIUM, "ln 2")):
        ax.plot(history["step"], history[col], color=color, alpha=0.15, lw=0.5)
        ax.plot(scores["step"], scores[col], color=color, marker="o", ms=3, label=f"{label} loss (mean per interval)")
        ax.axhline(eq, color=color, ls=":", lw=1, label=f"{label} at equilibrium ({eq_label} = {eq:.3f})")
    ax.set(xlabel="update", ylabel="loss (nats)", title="Losses")
    ax.legend(fontsize=7)
    for col, color, label in (("d_real_acc", "tab:green", "on real"), ("d_fake_acc", "tab:red", "on fake")):
        ax2.plot(scores["step"], scores[col], color=color, marker="o", ms=3, label=f"D's accuracy {label}")
    ax2.axhline(0.5, color="0.6", ls=":", lw=1, label="0.5 (equilibrium)")
    ax2.set(xlabel="update", ylabel="accuracy (mean per interval)", ylim=(0, 1.02), title="Discriminator")
    ax2.legend(fontsize=7)
    return save_figure(fig, path)


def plot_scores(scores: pd.DataFrame, m: dict, judge: str, path: Path) -> Path:
    """Fréchet distance to the test images, between its floor and ceiling; Inception score
    against real test images'."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
    ax.plot(scores["step"], scores["frechet"], marker="o", ms=3, color="tab:purple", label="generator")
    ax.axhline(m["frechet_ceiling"], color="tab:red", ls=":", label=f"ceiling: untrained ({m['frechet_ceiling']:.2f})")
    ax.axhline(m["frechet_floor"], color="tab:green", ls=":", label=f"floor: train vs test ({m['frechet_floor']:.2f})")
    ax.set(xlabel="update", ylabel="Fréchet distance", yscale="log",
           title=f"Fréchet distance, {m['n_samples']} images, judge's features")
    ax.legend(fontsize=7)
    ax2.plot(scores["step"], scores["inception_score"], marker="o", ms=3, color="tab:purple", label="generator")
    ax2.axhline(m["inception_score_real"], color="tab:green", ls=":",
                label=f"real test images ({m['inception_score_real']:.2f})")
    ax2.set(xlabel="update", ylabel="Inception score (judge)", ylim=(0.9, 10.2), title="Classifier Inception score")
    ax2.legend(fontsize=7)
    fig.suptitle(f"Judge: {judge}", fontsize=8)
    return save_figure(fig, path)


def plot_histogram(generated: list[int], real: list[int], path: Path) -> Path:
    """The judge's labels of the final samples against its labels of real test images."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    x = np.arange(len(generated))
    ax.bar(x - 0.2, np.array(generated) / sum(generated), 0.4, label="generated (final)", color="tab:purple")
    ax.bar(x + 0.2, np.array(real) / sum(real), 0.4, label="real test images", color="tab:green")
    ax.axhline(1 / len(x), color="0.6", ls=":", lw=1, label="uniform")
    ax.set(xticks=x, xlabel="the judge's label", ylabel="share of images", title="Which digits the GAN draws")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_interpolations(walks: dict[str, np.ndarray], reads: dict[str, dict], path: Path) -> Path:
    """One row per path (linear, spherical); each frame titled with the judge's label and its
    probability."""
    names = list(walks)
    k = len(walks[names[0]])
    fig, axes = plt.subplots(len(names), k, figsize=(0.95 * k + 0.8, 1.25 * len(names) + 0.3), squeeze=False)
    for i, name in enumerate(names):
        for j in range(k):
            r = reads[name]
            show(axes[i][j], walks[name][j], f"{r['labels'][j]} ({r['confidence'][j]:.2f})")
        axes[i][0].set_ylabel(name, fontsize=8)
    fig.suptitle("Latent interpolation (title: the judge's label and its probability)", fontsize=9)
    return save_figure(fig, path)


def make_figures(p: GanParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    out = paths.study_figures(STUDY)
    with np.load(run_dir() / SNAPSHOTS) as f:
        steps, grids = f["step"], f["grid"]
    columns = grid_columns(grids.shape[1])
    grid_pngs = [save_grid(mnist.normalise(g), columns, f"update {s:,}", out / "grids" / f"update{s:06d}.png")
                 for s, g in zip(steps, grids)]
    plot_progress(steps, grids, out / "progress.png")
    history = pd.read_csv(run_dir() / HISTORY).rename(columns=TRAIN_COLUMNS)
    scores = pd.read_csv(paths.study_plots(STUDY) / "scores.csv")
    losses = plot_losses(history, scores, out / "losses.png")
    plot_scores(scores, res["metrics"], res["judge"], out / "scores.png")
    plot_histogram(res["snapshots"][-1]["histogram"], res["real_histogram"], out / "histogram.png")
    with np.load(paths.study_results(STUDY).parent / "interpolations.npz") as f:
        walks = {k: f[k] for k in f.files}
    plot_interpolations(walks, res["interpolation"], out / "interpolation.png")
    run_id = res["run"]["run_id"]
    if tracker and run_id:
        for png in grid_pngs:
            tracker.log_artifact(run_id, png)
        with tempfile.TemporaryDirectory() as tmp:  # the run's curve, under the name every study uses
            curve = Path(tmp) / "curve.png"
            curve.write_bytes(losses.read_bytes())
            tracker.log_artifact(run_id, curve)


STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the run's and evaluate's outputs

if __name__ == "__main__":
    run_stage(__doc__, GanParams, STEPS, experiment=STUDY)
