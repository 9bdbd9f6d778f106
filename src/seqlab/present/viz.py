"""Figure helpers every study's figures stage shares. PNG only (matplotlib, no display): the
report embeds them, and nothing loads from a CDN.

Training and evaluation never import this module: a figure can change without re-running them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: stages run headless
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from seqlab.core.files import read_json  # noqa: E402
from seqlab.judging.metrics import METRICS  # noqa: E402

# One colour per recurrent kind across every figure, so a reader learns them once.
COLORS = {"rnn": "tab:red", "lstm": "tab:blue", "peephole": "tab:green", "gru": "tab:purple"}
DPI = 110


def save_figure(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No metadata: the same curves give the same PNG bytes.
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def band(ax, x, mean, std, color, label, alpha: float = 0.2, **line) -> None:
    """A mean line with a ± std band around it."""
    ax.plot(x, mean, color=color, label=label, **line)
    ax.fill_between(x, mean - std, mean + std, color=color, alpha=alpha, lw=0)


def plot_run_curve(history: pd.DataFrame, title: str, path: Path, column: str = "val_acc",
                   label: str = "validation accuracy", unit_range: bool = True) -> Path:
    """One run: train loss per step and the validation metric (the MLflow run's artifact).

    ``unit_range`` pins the metric's axis to [0, 1] (accuracies); regression metrics float.
    """
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(history["step"], history["train_loss"], color="0.6", lw=0.6, label="train loss")
    ax.set_xlabel("step")
    ax.set_ylabel("train loss")
    ax2 = ax.twinx()
    val = history.dropna(subset=[column])
    ax2.plot(val["step"], val[column], color="tab:blue", label=label)
    if unit_range:
        ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(label)
    ax.set_title(title)
    return save_figure(fig, path)


def log_run_curves(tracker, runs: Path, title: str) -> int:
    """Draw every training run under ``runs`` (each folder with a run.json and history.csv, as
    seqlab.training.runs records them) and attach the curve to its MLflow run as curve.png.
    Returns how many were logged; untracked runs (no run id) are skipped."""
    if tracker is None:
        return 0
    logged = 0
    with tempfile.TemporaryDirectory() as tmp:
        for run_json in sorted(Path(runs).rglob("run.json")):
            run_id = read_json(run_json)["run_id"]
            if not run_id:
                continue
            history = pd.read_csv(run_json.parent / "history.csv")
            name = next(c[len("train_"):] for c in history.columns if c.startswith("train_") and c != "train_loss")
            metric = METRICS[name]
            png = Path(tmp) / str(logged) / "curve.png"
            plot_run_curve(history, f"{title} {run_json.parent.relative_to(runs).as_posix()}", png,
                           column=f"val_{name}", label=f"validation {name}", unit_range=metric.bounded)
            tracker.log_artifact(run_id, png)
            logged += 1
    return logged
