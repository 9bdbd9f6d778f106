"""Stage uvapal_figures: the UvA palindromes as the course ran them beside corrected (PNG), the
one-change ablation, and each run's curve in MLflow.

    python -m seqlab.studies.uvapal.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.viz import COLORS, log_run_curves, save_figure
from seqlab.studies.uvapal.params import UvaParams

STUDY = "uvapal"
TITLES = {"course": "as the course ran it (log-softmax over the batch)",
          "corrected": "corrected (log-softmax over the classes)",
          "forget_bias": "the course's, forget bias {forget_bias:g}", "lr": "the course's, Adam lr {lr:g}"}


def _curves(protocol: str, model: str, T: int) -> pd.DataFrame:
    return pd.read_csv(paths.study_plots(STUDY) / f"{protocol}_{model}_T{T}.csv")


def _panel(ax, curves: pd.DataFrame, color: str, majority: float, target: float, title: str) -> None:
    """Per seed: the course's metric on its training batches at its logged steps (solid) and on the
    held-out set (dashed); the majority answer and the target as lines."""
    for i, (seed, c) in enumerate(curves.groupby("seed")):
        pts, val = c.dropna(subset=["course_acc"]), c.dropna(subset=["val_acc"])
        ax.plot(pts["step"], pts["course_acc"], color=color, lw=0.9, alpha=0.45 + 0.2 * i,
                label="training batch (course's metric)" if i == 0 else None)
        ax.plot(val["step"], val["val_acc"], color="0.2", lw=0.8, ls="--", alpha=0.5 + 0.2 * i,
                label="held-out (course's metric)" if i == 0 else None)
    ax.axhline(majority, color="tab:orange", lw=1, ls=":", label=f"majority answer ({majority:.3f})")
    ax.axhline(target, color="0.6", lw=0.8, ls="-.")
    ax.set(ylim=(0.25, 1.03), title=title)
    ax.title.set_fontsize(8)


def plot_protocols(res: dict, T: int, path: Path) -> Path:
    """One figure per length: rows = models, columns = course | corrected."""
    models = [g["model"] for g in res["groups"] if g["protocol"]["name"] == "course" and g["T"] == T]
    protos = [name for name in ("course", "corrected") if any(g["protocol"]["name"] == name for g in res["groups"])]
    fig, axes = plt.subplots(len(models), len(protos), figsize=(5.2 * len(protos), 2.9 * len(models)), squeeze=False,
                             sharex=True)
    for r, m in enumerate(models):
        for c, name in enumerate(protos):
            _panel(axes[r][c], _curves(name, m, T), COLORS[m], res["majority"], res["target_acc"],
                   f"{m}, T={T}: {TITLES[name]}")
    for ax in axes[-1]:
        ax.set_xlabel("training step")
    for row in axes:
        row[0].set_ylabel("accuracy")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"UvA binary palindromes, T={T}: hidden {res['hidden']}, batch {res['batch_size']} "
                 f"({res['scale']} scale), one line per seed", fontsize=10)
    return save_figure(fig, path)


def plot_ablation(res: dict, T: int, path: Path) -> Path:
    """The LSTM at T: the course's protocol and each one-change variant, side by side."""
    groups = [g for g in res["groups"] if g["model"] == "lstm" and g["T"] == T]
    fig, axes = plt.subplots(1, len(groups), figsize=(3.6 * len(groups), 3.0), squeeze=False, sharey=True)
    for ax, g in zip(axes[0], groups):
        pr = g["protocol"]
        _panel(ax, _curves(pr["name"], "lstm", T), COLORS["lstm"], res["majority"], res["target_acc"],
               TITLES[pr["name"]].format(**pr))
        ax.set_xlabel("training step")
    axes[0][0].set_ylabel("accuracy")
    axes[0][0].legend(fontsize=6, loc="lower right")
    fig.suptitle(f"Which change removes the LSTM's plateau? T={T}, one line per seed", fontsize=10)
    return save_figure(fig, path)


def make_figures(p: UvaParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    out = paths.study_figures(STUDY)
    for T in p.lengths:
        plot_protocols(res, T, out / f"protocols_T{T}.png")
    if any(g["protocol"]["name"] in ("forget_bias", "lr") for g in res["groups"]):
        plot_ablation(res, p.ablation.T, out / "ablation.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=("uvapal.lengths", "uvapal.ablation.T"))}

if __name__ == "__main__":
    run_stage(__doc__, UvaParams, STEPS, experiment=STUDY)
