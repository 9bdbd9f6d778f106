"""Stage gan_course_figures: the course protocol's grids as the course saved them (its first three,
its "halfway" three and its last three), the Fréchet distance across training beside seqlab's own
GAN and the recorded course-scale run, and the interpolation paths read by the judge.

    python -m seqlab.studies.gan.course_figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.gallery import show, tile
from seqlab.present.viz import save_figure
from seqlab.studies.gan.course.params import CourseParams
from seqlab.tasks import mnist

SCHEMA = CourseParams
STUDY = "gan_course"
SNAPSHOTS = "snapshots.npz"
OURS = "gan"  # seqlab's own GAN: its scores beside the course's
RECORD = Path("sweeps") / STUDY  # the course-scale run, recorded once (docs/experiments.md)
ORDER = ("first", "halfway", "end")  # the report's three figures, in its order


def plot_windows(steps: np.ndarray, grids: np.ndarray, windows: dict[str, list[int]], path: Path) -> Path:
    """The report's three figures side by side: each window's middle snapshot, its 25 images 5 x 5
    as the course saved them (every grid is in the run's snapshots)."""
    index = {int(s): i for i, s in enumerate(steps)}
    shown = [(name, windows[name][len(windows[name]) // 2]) for name in ORDER if windows.get(name)]
    fig, axes = plt.subplots(1, len(shown), figsize=(2.6 * len(shown), 2.9), squeeze=False)
    for ax, (name, step) in zip(axes[0], shown):
        show(ax, tile(mnist.normalise(grids[index[step]]), 5), f"{name}: batch {step:,}", fontsize=8)
    return save_figure(fig, path)


def plot_frechet(course: pd.DataFrame, ours: pd.DataFrame, record: pd.DataFrame | None, floor: float,
                 path: Path) -> Path:
    """The Fréchet distance against the update, log scale: each course-protocol seed, seqlab's own
    GAN, and (right) the course-scale run where one is recorded; the floor is real digits'."""
    panels = 2 if record is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 3.8), squeeze=False)
    ax = axes[0][0]
    for seed, g in course.groupby("seed"):
        ax.plot(g["step"], g["frechet"], marker="o", ms=2, label=f"course protocol, seed {seed}")
    ax.plot(ours["step"], ours["frechet"], marker="s", ms=2, color="0.35", label="seqlab's GAN")
    ax.axhline(floor, color="tab:green", ls=":", label=f"floor: training vs test digits ({floor:.2f})")
    ax.set(xlabel="update (batch)", ylabel="Fréchet distance (judge's features)", yscale="log",
           title="This run")
    ax.legend(fontsize=7)
    if record is not None:
        ax = axes[0][1]
        ax.plot(record["step"], record["frechet"], lw=1, color="tab:purple", label="course protocol, its own scale")
        ax.axhline(floor, color="tab:green", ls=":", label="floor (this run's)")
        ax.set(xlabel="update (batch)", ylabel="Fréchet distance", yscale="log", title="Recorded course-scale run")
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_paths(images: np.ndarray, labels: list[list[int]], path: Path) -> Path:
    """Row 0: the course's path as test_gan.py drew it (9 images, both ends repeated); then more
    paths' 7 points. Each frame titled with the judge's label."""
    shown = images.shape[0]
    k = images.shape[1] + 2
    fig, axes = plt.subplots(shown, k, figsize=(0.95 * k, 1.1 * shown + 0.3), squeeze=False)
    for i in range(shown):
        frames = list(images[i])
        names = list(labels[i])
        if i == 0:  # the course's grid: [begin] + 7 points + [end]
            frames, names = [frames[0], *frames, frames[-1]], [names[0], *names, names[-1]]
        for j in range(k):
            if j < len(frames):
                show(axes[i][j], mnist.normalise(frames[j]), str(names[j]), fontsize=8)
            else:
                axes[i][j].axis("off")
        axes[i][0].set_ylabel("course's" if i == 0 else f"path {i}", fontsize=7)
    fig.suptitle("Latent interpolation through the final generator (title: the judge's label)", fontsize=9)
    return save_figure(fig, path)


def make_figures(p: CourseParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    out = paths.study_figures(STUDY)
    seed = str(res["seeds"][0])
    with np.load(paths.run_dir(STUDY, "mlp", seed=int(seed)) / SNAPSHOTS) as f:
        steps, grids = f["step"], f["grid"]
    plot_windows(steps, grids, res["runs"][seed]["windows"], out / "windows.png")
    course = pd.read_csv(paths.study_plots(STUDY) / "scores.csv")
    ours = pd.read_csv(paths.study_plots(OURS) / "scores.csv")
    record = pd.read_csv(RECORD / "scores.csv") if (RECORD / "scores.csv").is_file() else None  # gan_record's
    plot_frechet(course, ours, record, res["metrics"]["frechet_floor"], out / "frechet.png")
    with np.load(paths.study_results(STUDY).parent / "interpolations.npz") as f:
        images = f[f"seed{seed}"]
    plot_paths(images[:4], res["runs"][seed]["interpolation"]["labels"][:4], out / "interpolation.png")


STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the runs' and evaluate's outputs

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=STUDY)
