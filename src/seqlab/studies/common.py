"""What the studies after the palindrome share: files, histories, curves, runs in MLflow.

A study's train stage builds a list of jobs, runs them with :func:`seqlab.parallel.run_parallel`
(workers train; this process writes files and talks to MLflow), and records each run with
:func:`record_run`.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab.figures import plot_run_curve
from seqlab.train import History, Metric


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def mean_std(values) -> tuple[float, float]:
    """Mean and sample std (ddof=1; 0 for a single value), as plain floats."""
    arr = np.asarray(list(values), dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


@dataclass
class RunResult:
    """What a training worker sends back: everything the main process writes and logs."""

    history: History
    state_dict: dict
    n_params: int


def history_frame(hist: History, metric: str) -> pd.DataFrame:
    """One row per step: train loss and metric; validation (and any monitored set's) metric and
    loss where evaluated."""
    df = pd.DataFrame({"step": np.arange(1, len(hist.train_loss) + 1), "train_loss": hist.train_loss,
                       f"train_{metric}": hist.train_metric})
    val = pd.DataFrame(eval_series(hist, metric), index=pd.Index(hist.eval_step, name="step"))
    return df.join(val, on="step")


def eval_series(hist: History, metric: str) -> dict[str, list[float]]:
    """Every series measured at the validation points: val_<metric>, val_loss, then the same
    for each monitored set (e.g. test_acc, test_loss)."""
    out = {f"val_{metric}": hist.val_metric, "val_loss": hist.val_loss}
    for name in hist.monitor_metric:
        out |= {f"{name}_{metric}": hist.monitor_metric[name], f"{name}_loss": hist.monitor_loss[name]}
    return out


def curves(frames: list[pd.DataFrame], metric: str) -> pd.DataFrame:
    """Mean and std over seeds at each validation step; train loss averaged over each interval.

    Runs that stopped early contribute only up to their last step, so ``n_seeds`` says how many
    runs each row averages.
    """
    per_seed = []
    col = f"val_{metric}"
    for f in frames:
        evals = f.dropna(subset=[col])
        interval = np.searchsorted(evals["step"].to_numpy(), f["step"].to_numpy())  # step -> its eval point
        loss = f.groupby(interval)["train_loss"].mean().to_numpy()
        per_seed.append(pd.DataFrame({"step": evals["step"].to_numpy(), col: evals[col].to_numpy(),
                                      "train_loss": loss}))
    g = pd.concat(per_seed).groupby("step")
    out = pd.DataFrame({
        f"{col}_mean": g[col].mean(), f"{col}_std": g[col].std(ddof=1).fillna(0.0),
        "train_loss_mean": g["train_loss"].mean(), "train_loss_std": g["train_loss"].std(ddof=1).fillna(0.0),
        "n_seeds": g[col].count(),
    })
    return out.reset_index().round(6)


def record_run(out: Path, arch: dict, result: RunResult, metric: Metric, title: str,
               tracker=None, name: str = "", params: dict | None = None, parent_id: str | None = None) -> str | None:
    """Write a run's checkpoint, history and run.json; log it as an MLflow run (a child of
    ``parent_id``) with its curves and curve figure. Returns the MLflow run id (None untracked)."""
    out.mkdir(parents=True, exist_ok=True)
    hist = result.history
    frame = history_frame(hist, metric.name)
    frame.to_csv(out / "history.csv", index=False)
    torch.save({"arch": arch, "state_dict": result.state_dict}, out / "model.pt")
    ctx = tracker.run(name, params or {}, parent_id) if tracker else nullcontext()
    with ctx as run_id:
        write_json(out / "run.json", {
            "run_id": run_id, "parent_run_id": parent_id, "train_seconds": round(hist.seconds, 3),
            "n_params": result.n_params, "steps_run": len(hist.train_loss), "stopped_early": hist.stopped_early,
        })
        if tracker:
            steps = frame["step"].tolist()
            tracker.log_series(run_id, {
                "train_loss": (steps, hist.train_loss),
                f"train_{metric.name}": (steps, hist.train_metric),
                **{key: (hist.eval_step, values) for key, values in eval_series(hist, metric.name).items()},
            })
            tracker.log_metrics(run_id, {"train_seconds": hist.seconds})
            label = f"validation {metric.name}"
            plot_run_curve(frame, title, out / "curve.png", column=f"val_{metric.name}", label=label,
                           unit_range=metric.higher_is_better)
            tracker.log_artifact(run_id, out / "curve.png")
    return run_id


def parent_run(tracker, name: str, params: dict):
    """An MLflow parent run grouping a configuration's seeds (a no-op context untracked)."""
    return tracker.run(name, params) if tracker else nullcontext()


# Steps that record MLflow runs; the others never open the store.
TRACKED_STEPS = ("train", "train_classifiers", "train_autoencoder", "evaluate", "measure")


def study_stage(description: str, parse, study) -> None:
    """The whole of a study's stage script: ``python stages/<study>.py <step>``.

    ``study`` is the study's module: its ``STEPS`` maps each step name to a function
    ``(params, tracker) -> None``, and ``STUDY`` names its MLflow experiment.
    """
    from seqlab.cli import run_stage
    from seqlab.tracking import Tracker

    def body(p, args):
        tracker = Tracker(p.mlflow.tracking_uri, study.STUDY) if args.step in TRACKED_STEPS else None
        study.STEPS[args.step](p, tracker)

    run_stage(description, parse, body, lambda ap: ap.add_argument("step", choices=list(study.STEPS)))
