"""Stages lstmae_course_<step>: train the course's synthetic-signal autoencoder per seed as
lstm_ae_toy.py@7633b39 ran it, then score every run.

    python -m seqlab.studies.lstmae.course.steps {synthetic,evaluate}

The signals are drawn from ``lstmae.course.synthetic.data.seed`` in the step that needs them (no
data stage: 10,000 x 50 values take milliseconds and come back bit for bit). Each run is Keras's
``model.fit``: a fresh shuffle per epoch, Keras's Adam (update.KerasStep), validation on all the
validation signals after every epoch, and the training curve as Keras's ``history['loss']`` (the
epoch's batch losses, each taken before its update, weighted by batch size).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import Metric, mean_std
from seqlab.studies.lstmae.course.data import SPLITS, course_signals, course_split
from seqlab.studies.lstmae.course.network import KerasLSTMAEConfig, trainable_parameters
from seqlab.studies.lstmae.course.params import COURSE_SYNTHETIC, CourseParams, Synthetic
from seqlab.studies.lstmae.course.update import KERAS_EPSILON, KerasStep, epoch_means
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "lstmae_course"  # its outputs: models/lstmae_course/, reports/lstmae_course/, ...
EXPERIMENT = "lstmae_course"  # MLflow
SYNTHETIC = "synthetic"
DEVICE_KEY = "lstmae.course.synthetic.train.device"
FALLING_WINDOW = 5  # "still falling": the last validation MSE below the one this many epochs before
# Keras's 'mse' per signal: the mean over its T x F values, (B, T, F) -> (B,)
SIGNAL_MSE = Metric("mse", lambda out, y: ((out - y) ** 2).flatten(1).mean(1), higher_is_better=False, bounded=False)


def run_dir(seed: int) -> Path:
    return paths.run_dir(STUDY, SYNTHETIC, seed=seed)


def signals(s: Synthetic) -> dict[str, torch.Tensor]:
    """The course's train / val / test signals, (n_split, T, 1) each."""
    x = torch.from_numpy(course_signals(s.data.n, s.data.length, np.random.default_rng(s.data.seed)))
    return dict(zip(SPLITS, (x[part] for part in course_split(s.data.n))))


def model_config(s: Synthetic) -> KerasLSTMAEConfig:
    return KerasLSTMAEConfig(length=s.data.length, hidden=s.model.hidden)  # Dense(1, tanh), as toy.py


def steps_per_epoch(s: Synthetic, n_train: int) -> int:
    return math.ceil(n_train / s.train.batch_size)  # Keras's last batch is short: 188 at 6,000 / 32


def _train_job(job: tuple[Synthetic, int]) -> RunResult:
    s, seed = job
    t = s.train
    device = resolve_device(t.device, DEVICE_KEY)
    data = {k: v.to(device) for k, v in signals(s).items()}
    seed_everything(seed)  # the initial weights depend on the seed alone
    net = model_config(s).build().to(device)
    per_epoch = steps_per_epoch(s, len(data["train"]))
    # clip_norm is unused (KerasStep clips by value, if at all); validation after every epoch
    cfg = FitConfig(t.epochs * per_epoch, t.batch_size, t.lr, math.inf, per_epoch)
    hist = fit(net, (data["train"], data["train"]), (data["val"], data["val"]), cfg, seed,
               name=f"lstmae course synthetic h={s.model.hidden}", progress=False, metric=SIGNAL_MSE,
               step=KerasStep(net, t.lr, t.clip_value))
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, trainable_parameters(net))


def train_synthetic(p: CourseParams, tracker=None) -> None:
    """Every seed, ``compute.workers`` at a time."""
    s = p.course.synthetic
    d, t = s.data, s.train
    workers = workers_for(resolve_device(t.device, DEVICE_KEY), p.runtime.workers)
    results = run_parallel(_train_job, [(s, seed) for seed in t.seeds], workers, f"{STUDY} {SYNTHETIC}")
    config = model_config(s)
    params = {"protocol": "course", "part": SYNTHETIC, "model": "keras_lstm_ae", "hidden": s.model.hidden,
              "n": d.n, "length": d.length, "data_seed": d.seed, "split": "60/20/20 in order", "init": "keras",
              "optimizer": f"keras adam (eps {KERAS_EPSILON})", "lr": t.lr, "batch_size": t.batch_size,
              "epochs": t.epochs, "clip_value": "none" if t.clip_value is None else t.clip_value}
    with parent_run(tracker, f"course-synthetic-h{s.model.hidden}", params) as parent_id:
        for seed, result in zip(t.seeds, results):
            record_run(run_dir(seed), config, result, tracker, f"course-synthetic-h{s.model.hidden}-seed{seed}",
                       {**params, "seed": seed}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def epoch_curve(frame: pd.DataFrame, n_train: int, s: Synthetic) -> pd.DataFrame:
    """A run's history per epoch, as Keras's History held it: ``loss`` (the running training
    loss) and ``val_loss`` (all validation signals at the epoch's end, in eval mode)."""
    evals = frame.dropna(subset=["val_loss"])  # one row per epoch: its last step
    return pd.DataFrame({"epoch": np.arange(1, len(evals) + 1), "step": evals["step"].to_numpy(),
                         "train_loss": epoch_means(frame["train_loss"].tolist(), n_train, s.train.batch_size),
                         "val_loss": evals["val_loss"].to_numpy()})


def still_falling(val: list[float], window: int = FALLING_WINDOW) -> dict:
    """Whether validation was still improving at the end: the last value against the one
    ``window`` epochs before it (None where the run is not that long)."""
    if len(val) <= window:
        return {"falling": None, "change": None}
    change = val[-1] / val[-1 - window] - 1
    return {"falling": bool(val[-1] < val[-1 - window]), "change": round(change, 6)}


def plateau(x: torch.Tensor) -> float:
    """The MSE of predicting each signal's own mean: its variance, averaged over the signals.
    An autoencoder that has learnt nothing but the mean (0.5 for every course signal) sits here."""
    return x.double().var(dim=1, unbiased=False).mean().item()


def evaluate_synthetic(s: Synthetic, tracker=None) -> tuple[dict, dict, pd.DataFrame]:
    """Per seed: the final validation MSE (the report's "0.0003" is judged on it), the test MSE
    beside it, the last training loss, and whether validation was still falling."""
    data = signals(s)
    n_train = len(data["train"])
    frames, runs = [], []
    for seed in s.train.seeds:
        model = KerasLSTMAEConfig.load(run_dir(seed) / CHECKPOINT)
        scores = {k: evaluate(model, data[k], data[k], metric=SIGNAL_MSE)[0] for k in ("val", "test")}
        curve = epoch_curve(pd.read_csv(run_dir(seed) / HISTORY), n_train, s)
        run = read_json(run_dir(seed) / RUN)
        runs.append({"seed": seed, "val_mse": round(scores["val"], 8), "test_mse": round(scores["test"], 8),
                     "final_train_loss": round(float(curve["train_loss"].iloc[-1]), 8), "epochs": len(curve),
                     "val_last_epochs": still_falling(curve["val_loss"].tolist()), **run})
        frames.append(curve.assign(seed=seed))
        if tracker and run["run_id"]:
            tracker.log_metrics(run["run_id"], {"val_mse": scores["val"], "test_mse": scores["test"]})
    (val, val_std), (test, test_std) = (mean_std([r[k] for r in runs]) for k in ("val_mse", "test_mse"))
    floor = {k: round(plateau(data[k]), 6) for k in ("val", "test")}
    metrics = {"val_mse": round(val, 8), "val_mse_std": round(val_std, 8), "test_mse": round(test, 8),
               "test_mse_std": round(test_std, 8), "plateau": floor["val"], "n_seeds": len(runs),
               "still_falling": sum(bool(r["val_last_epochs"]["falling"]) for r in runs)}
    results = {"params": {"data": vars(s.data), "model": vars(s.model),
                          "train": {**vars(s.train), "seeds": list(s.train.seeds)}},
               "course": COURSE_SYNTHETIC, "deviations": s.deviations(),
               "sizes": {k: len(v) for k, v in data.items()}, "steps_per_epoch": steps_per_epoch(s, n_train),
               "plateau": floor, "falling_window": FALLING_WINDOW, "metrics": metrics, "runs": runs}
    curves = pd.concat(frames)[["seed", "epoch", "step", "train_loss", "val_loss"]]
    return metrics, results, curves


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """The course's parts (the synthetic signals, so far): reports/lstmae_course/results.json, the
    metrics JSON and a per-epoch curve CSV per part."""
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, results, curves = evaluate_synthetic(p.course.synthetic, tracker)
    curves.round(8).to_csv(plots / f"{SYNTHETIC}.csv", index=False)
    write_json(paths.study_metrics(STUDY), {SYNTHETIC: metrics})
    write_json(paths.study_results(STUDY), {SYNTHETIC: results})
    return {SYNTHETIC: metrics}


STEPS = {
    SYNTHETIC: Step(train_synthetic, reads=("lstmae.course.synthetic",)),
    "evaluate": Step(evaluate_study, reads=("lstmae.course.synthetic",)),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=EXPERIMENT)
