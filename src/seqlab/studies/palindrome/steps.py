"""Stages palindrome_<step>@<model>: generate, train and evaluate one model's palindromes.

    python -m seqlab.studies.palindrome.steps {generate,train,evaluate} --model lstm

Each step reads and writes only the files under seqlab.core.paths for its model, so the
models' chains are independent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.palindrome.params import PalindromeParams, model_section
from seqlab.tasks import palindrome
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import ACCURACY, mean_std, steps_held, steps_to
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, curves, parent_run, record_run, seed_curves
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.seeding import seed_everything

STUDY = "palindrome"


def data_dir(model: str, T: int) -> Path:
    # Data is generated per model so that each model's chain of stages depends only on the
    # lengths it trains on; the bytes for a given T are identical across models, and DVC's
    # content-addressed cache stores them once.
    return palindrome.data_dir(paths.study_data(STUDY, model), T)


# --- generate ---------------------------------------------------------------------------------


def generate(params: PalindromeParams, tracker=None, model: str = "") -> list[Path]:
    """Write the seeded train/val/test splits for every length in ``<model>.T``."""
    d = params.palindrome.data
    sizes = {"train": d.n_train, "val": d.n_val, "test": d.n_test}
    tasks = [PalindromeTask(T, d.base) for T in model_section(params, model).T]
    for task in tasks:  # check every length before writing any
        palindrome.split_sizes(sizes, task.n_distinct)
    written = []
    for task in tasks:
        splits, meta = palindrome.generate(task, sizes, d.seed)
        out = data_dir(model, task.T)
        palindrome.save(out, splits, meta)
        written.append(out)
    return written


# --- train ------------------------------------------------------------------------------------


def config(params: PalindromeParams, model: str, task: PalindromeTask) -> SequenceClassifierConfig:
    t = params.palindrome.train
    return SequenceClassifierConfig(kind=model, impl=model_section(params, model).impl, input_dim=task.input_dim,
                                    hidden=t.hidden, num_classes=task.num_classes, forget_bias=t.forget_bias)


def _train_job(job: tuple[PalindromeParams, str, int, int]) -> RunResult:
    params, model, T, seed = job
    cfg = params.palindrome.train
    device = resolve_device(cfg.device, "palindrome.train.device")
    splits, meta = palindrome.load(data_dir(model, T))
    train_set, val = (tuple(t.to(device) for t in palindrome.tensors(splits[s])) for s in ("train", "val"))
    fit_cfg = FitConfig(cfg.steps, cfg.batch_size, cfg.lr, cfg.clip_norm, cfg.eval_every, cfg.eval_batch_size,
                        stop_at=cfg.stop_at, stop_after=cfg.stop_after)
    seed_everything(seed)  # the model's initial weights depend on the seed alone
    m = config(params, model, PalindromeTask(**meta["task"])).build().to(device)
    hist = fit(m, train_set, val, fit_cfg, seed, name=f"{model} T={T}", progress=False)
    return RunResult(hist, {k: v.cpu() for k, v in m.state_dict().items()}, count_parameters(m))


def train(params: PalindromeParams, tracker=None, model: str = "") -> None:
    """Train ``model`` on each of its lengths for every seed; save checkpoints and histories.

    The runs go ``compute.workers`` at a time, one thread each (seqlab.training.parallel),
    longest sequences first; the results do not depend on the worker count."""
    section = model_section(params, model)
    cfg = params.palindrome.train
    jobs = [(params, model, T, seed) for T in sorted(section.T, reverse=True) for seed in cfg.seeds]
    # A missing or malformed data folder fails here, before any worker starts. The task (its
    # base) is the data's, as generated: this step reads no palindrome.data key.
    data = {T: palindrome.load(data_dir(model, T)) for T in section.T}
    workers = workers_for(resolve_device(cfg.device, "palindrome.train.device"), params.runtime.workers)
    results = dict(zip([j[2:] for j in jobs], run_parallel(_train_job, jobs, workers, f"{STUDY} {model}")))
    for T in section.T:
        splits, meta = data[T]
        task = PalindromeTask(**meta["task"])
        net = config(params, model, task)
        run_params = {"model": model, "impl": net.impl, "input_dim": net.input_dim, "hidden": net.hidden,
                      "num_classes": net.num_classes, "forget_bias": net.forget_bias, "T": T, "base": task.base,
                      "steps": cfg.steps, "stop_at": cfg.stop_at, "stop_after": cfg.stop_after,
                      "batch_size": cfg.batch_size, "lr": cfg.lr, "clip_norm": cfg.clip_norm,
                      "n_train": len(splits["train"])}
        with parent_run(tracker, f"{model}-T{T}", run_params) as parent_id:
            for seed in cfg.seeds:
                record_run(paths.length_run(STUDY, model, T, seed), net, results[(T, seed)], tracker,
                           f"{model}-T{T}-seed{seed}", {**run_params, "seed": seed}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def evaluate_model(params: PalindromeParams, tracker=None, model: str = "") -> dict:
    """Test accuracy per seed, how fast each seed got there, curves and metrics for every length.

    "Steps to target" is counted two ways: the first validation point at or above the target,
    and the point from which validation accuracy stayed there to the end ("reached and held").
    A seed that touched the target and fell back reached it in the first sense only.
    """
    section = model_section(params, model)
    target = params.palindrome.evaluate.target_acc
    metrics, results = {}, {"model": model, "impl": section.impl, "target_acc": target, "lengths": {}}
    curve_dir = paths.study_plots(STUDY, model)
    curve_dir.mkdir(parents=True, exist_ok=True)
    seed_dir = paths.study_results(STUDY, model).parent / "seeds"
    seed_dir.mkdir(parents=True, exist_ok=True)
    for T in section.T:
        splits, meta = palindrome.load(data_dir(model, T))
        x_test, y_test = palindrome.tensors(splits["test"])
        seeds, frames = [], []
        for seed in params.palindrome.train.seeds:
            run = paths.length_run(STUDY, model, T, seed)
            frame = pd.read_csv(run / HISTORY)
            record = read_json(run / RUN)
            acc, _ = evaluate(SequenceClassifierConfig.load(run / CHECKPOINT), x_test, y_test)
            val = frame["val_acc"].dropna()
            frames.append(frame)
            seeds.append({"seed": seed, "test_acc": round(acc, 6), "first_reached": steps_to(frame, "val_acc", target),
                          "reached_and_held": steps_held(frame, "val_acc", target),
                          "peak_val_acc": round(float(val.max()), 6), "final_val_acc": round(float(val.iloc[-1]), 6),
                          **record})
            if tracker and record["run_id"]:
                tracker.log_metrics(record["run_id"], {"test_acc": acc})
        acc_mean, acc_std = mean_std([s["test_acc"] for s in seeds])
        first = [s["first_reached"] for s in seeds if s["first_reached"] is not None]
        held = [s["reached_and_held"] for s in seeds if s["reached_and_held"] is not None]
        metrics[f"T{T}"] = {
            "test_acc_mean": round(acc_mean, 6), "test_acc_std": round(acc_std, 6), "n_seeds": len(seeds),
            "n_test": len(y_test),
            "seeds_reached": len(first), "steps_reached_mean": round(float(np.mean(first)), 1) if first else None,
            "seeds_held": len(held), "steps_held_mean": round(float(np.mean(held)), 1) if held else None,
        }
        curves(frames, ACCURACY.name).to_csv(curve_dir / f"T{T}.csv", index=False)
        seed_curves(frames, ACCURACY.name, list(params.palindrome.train.seeds)).round(6).to_csv(
            seed_dir / f"T{T}.csv", index=False)
        results["lengths"][str(T)] = {"data": meta, "seeds": seeds, **metrics[f"T{T}"]}
        parent = seeds[0].get("parent_run_id")
        if tracker and parent:
            tracker.log_metrics(parent, {"test_acc_mean": acc_mean, "test_acc_std": acc_std})
    write_json(paths.study_metrics(STUDY, model), metrics)
    write_json(paths.study_results(STUDY, model), results)
    return metrics


STEPS = {
    "generate": Step(generate, reads=("palindrome.data", "{model}.T")),
    "train": Step(train, reads=("palindrome.train", "{model}")),
    "evaluate": Step(evaluate_model, reads=("palindrome.evaluate", "palindrome.train.seeds", "{model}")),
}

if __name__ == "__main__":
    run_stage(__doc__, PalindromeParams, STEPS, experiment=STUDY,
              add_args=lambda p: p.add_argument("--model", required=True, help="one of palindrome.models"))
