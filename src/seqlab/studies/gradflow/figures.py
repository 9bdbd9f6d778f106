"""Stage gradflow_figures: ||dL/ds(t)|| against t for every cell, at initialisation and after
training (PNG).

    python -m seqlab.studies.gradflow.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.models.recurrent import label
from seqlab.studies.gradflow.params import GradflowParams
from seqlab.present.viz import COLORS, save_figure

STUDY = "gradflow"


def plot_gradflow(norms: pd.DataFrame, metrics: dict, path: Path) -> Path:
    """||dL/ds(t)|| against t on a log scale: a row per T, at initialisation and after training,
    one line per cell; the legend gives each cell's fitted per-step decay factor."""
    lengths = sorted(norms["T"].unique())
    phases = ["init", "trained"]
    fig, axes = plt.subplots(len(lengths), 2, figsize=(10, 3.4 * len(lengths)), squeeze=False, layout="constrained")
    for r, T in enumerate(lengths):
        for c, phase in enumerate(phases):
            ax = axes[r][c]
            sub = norms[(norms["T"] == T) & (norms["phase"] == phase)]
            for m, g in sub.groupby("model", sort=False):
                decay = metrics.get(m, {}).get(f"T{T}", {}).get(f"decay_{phase}")
                name = f"{label(m)} (×{decay:.3f}/step)" if decay is not None else label(m)
                ax.plot(g["t"], g["state_norm"].clip(lower=1e-300), color=COLORS.get(m), label=name)
            ax.set(yscale="log", title=f"T = {T}, {'at initialisation' if phase == 'init' else 'after training'}",
                   xlabel="time step t")
            ax.legend(fontsize=7)
        axes[r][0].set_ylabel("||dL/ds(t)|| (batch mean)")
    fig.suptitle("Gradient flow back through time (loss at the last step)")
    return save_figure(fig, path)


def make_figures(p: GradflowParams, tracker=None) -> None:
    norms = pd.read_csv(paths.study_plots(STUDY) / "norms.csv")
    plot_gradflow(norms, read_json(paths.study_metrics(STUDY)), paths.study_figures(STUDY) / "gradient_norms.png")


STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the measure stage's outputs

if __name__ == "__main__":
    run_stage(__doc__, GradflowParams, STEPS)
