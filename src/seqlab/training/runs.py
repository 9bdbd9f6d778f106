"""A training run's record on disk and in MLflow, and the curves averaged over its seeds.

A study's train step builds jobs, runs them with :func:`seqlab.training.parallel.run_parallel`
(workers train; the main process writes files and talks to MLflow), and records each with
:func:`record_run`: the checkpoint, the per-step history and run.json under the run's folder
(``seqlab.core.paths.run_dir``), and an MLflow run with the whole curves. Nothing here draws:
each study's figures stage plots the run curves and attaches them to these MLflow runs.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.core import tally
from seqlab.core.files import write_json
from seqlab.core.paths import CHECKPOINT, HISTORY, RUN  # noqa: F401 (the run record's file names, re-exported)
from seqlab.models.config import ModelConfig
from seqlab.training.loop import History



@dataclass
class RunResult:
    """What a training worker sends back: everything the main process writes and logs."""

    history: History
    state_dict: dict
    n_params: int


def history_frame(hist: History) -> pd.DataFrame:
    """One row per step: train_<scalar> for each step scalar; the evaluation series (validation
    and monitored sets) where evaluated."""
    df = pd.DataFrame({"step": np.arange(1, len(hist.train_loss) + 1),
                       **{f"train_{name}": values for name, values in hist.train.items()}})
    evals = pd.DataFrame(hist.evals, index=pd.Index(hist.eval_step, name="step"))
    return df.join(evals, on="step")


def seed_curves(frames: list[pd.DataFrame], metric: str, seeds: list[int]) -> pd.DataFrame:
    """Each seed's curve, one row per validation step: the validation metric, and the train loss
    averaged over the interval that ends there. Columns: seed, step, val_<metric>, train_loss."""
    per_seed = []
    col = f"val_{metric}"
    for seed, f in zip(seeds, frames):
        evals = f.dropna(subset=[col])
        interval = np.searchsorted(evals["step"].to_numpy(), f["step"].to_numpy())  # step -> its eval point
        loss = f.groupby(interval)["train_loss"].mean().to_numpy()
        per_seed.append(pd.DataFrame({"seed": seed, "step": evals["step"].to_numpy(), col: evals[col].to_numpy(),
                                      "train_loss": loss}))
    return pd.concat(per_seed, ignore_index=True)


def curves(frames: list[pd.DataFrame], metric: str) -> pd.DataFrame:
    """Mean and std over seeds at each validation step; train loss averaged over each interval.

    Runs that stopped early contribute only up to their last step, so ``n_seeds`` says how many
    runs each row averages.
    """
    col = f"val_{metric}"
    g = seed_curves(frames, metric, list(range(len(frames)))).groupby("step")
    out = pd.DataFrame({
        f"{col}_mean": g[col].mean(), f"{col}_std": g[col].std(ddof=1).fillna(0.0),
        "train_loss_mean": g["train_loss"].mean(), "train_loss_std": g["train_loss"].std(ddof=1).fillna(0.0),
        "n_seeds": g[col].count(),
    })
    return out.reset_index().round(6)


def record_run(out: Path, config: ModelConfig, result: RunResult, tracker=None, name: str = "",
               params: dict | None = None, parent_id: str | None = None) -> str | None:
    """Write a run's checkpoint, history and run.json; log it as an MLflow run (a child of
    ``parent_id``) with its curves. Returns the MLflow run id (None untracked)."""
    out.mkdir(parents=True, exist_ok=True)
    hist = result.history
    frame = history_frame(hist)
    frame.to_csv(out / HISTORY, index=False)
    config.save(out / CHECKPOINT, result.state_dict)
    ctx = tracker.run(name, params or {}, parent_id) if tracker else nullcontext()
    with ctx as run_id:
        write_json(out / RUN, {
            "run_id": run_id, "parent_run_id": parent_id, "train_seconds": round(hist.seconds, 3),
            "samples": hist.samples, "samples_per_s": round(hist.samples_per_s, 1),
            "n_params": result.n_params, "steps_run": len(hist.train_loss), "stopped_early": hist.stopped_early,
        })
        if tracker:
            steps = frame["step"].tolist()
            tracker.log_series(run_id, {
                **{f"train_{key}": (steps, values) for key, values in hist.train.items()},
                **{key: (hist.eval_step, values) for key, values in hist.evals.items()},
            })
            tracker.log_metrics(run_id, {"train_seconds": hist.seconds, "samples_per_s": hist.samples_per_s})
    tally.add(hist.samples, hist.seconds)
    return run_id


def parent_run(tracker, name: str, params: dict):
    """An MLflow parent run grouping a configuration's seeds (a no-op context untracked)."""
    return tracker.run(name, params) if tracker else nullcontext()
