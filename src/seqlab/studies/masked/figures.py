"""Stage masked_figures: masked input, reconstruction and original for chosen test digits; the
judge's confusion matrices; the run's curve in MLflow.

    python -m seqlab.studies.masked.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.gallery import show
from seqlab.studies.masked.params import MaskedParams
from seqlab.present.viz import log_run_curves, save_figure

STUDY = "masked"
ROWS = (("masked", "masked input"), ("reconstruction", "reconstruction"), ("original", "original"))


def plot_examples(arrays: dict[str, np.ndarray], examples: list[dict], path: Path) -> Path:
    """Three rows (masked input, reconstruction, original), one column per example; each column
    titled with the true digit and the judge's reading of the reconstruction (red if wrong)."""
    n = len(examples)
    fig, axes = plt.subplots(3, n, figsize=(0.95 * n + 1.2, 3.4), squeeze=False)
    for j, e in enumerate(examples):
        for i, (key, label) in enumerate(ROWS):
            ax = axes[i][j]
            show(ax, arrays[key][j])
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
        wrong = e["read_reconstruction"] != e["truth"]
        tag = "ghost" if e["kind"] == "ghost" else "pair"
        axes[0][j].set_title(f"{e['truth']}→{e['read_reconstruction']}\n{tag}", fontsize=8,
                             color="tab:red" if wrong else "black")
    fig.suptitle("Masked autoencoder on test digits (title: truth → the judge's reading of the reconstruction)",
                 fontsize=9, y=1.05)
    return save_figure(fig, path)


def plot_confusions(confusions: dict[str, list[list[int]]], path: Path) -> Path:
    """The judge's confusion matrices, rows the true digit, columns its reading, one panel per
    input (originals, masked inputs, reconstructions); the diagonal is left out of the colour
    scale so that the confusions show."""
    names = {"original": "originals", "masked": "masked inputs", "reconstruction": "reconstructions"}
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
    off = [np.array(confusions[n]) * (1 - np.eye(len(confusions[n]))) for n in names]
    vmax = max(1, max(int(o.max()) for o in off))
    for ax, (name, title), o in zip(axes, names.items(), off):
        cm = np.array(confusions[name])
        ax.imshow(o, cmap="Reds", vmin=0, vmax=vmax)
        for (r, c), v in np.ndenumerate(cm):
            if v:
                color = "0.3" if r == c else "white" if v > vmax / 2 else "black"
                ax.text(c, r, str(v), ha="center", va="center", fontsize=6, color=color)
        ax.set(xticks=range(len(cm)), yticks=range(len(cm)), xlabel="judge's reading", ylabel="true digit",
               title=f"{title}: {np.trace(cm) / cm.sum():.1%} read right")
        ax.tick_params(labelsize=7)
    return save_figure(fig, path)


def make_figures(p: MaskedParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    with np.load(paths.study_results(STUDY).parent / "examples.npz") as f:
        arrays = {k: f[k] for k in f.files}
    out = paths.study_figures(STUDY)
    plot_examples(arrays, res["examples"], out / "reconstructions.png")
    plot_confusions(res["confusion"], out / "confusion.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the evaluate step's outputs

if __name__ == "__main__":
    run_stage(__doc__, MaskedParams, STEPS, experiment=STUDY)
