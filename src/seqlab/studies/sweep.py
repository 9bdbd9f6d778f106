"""The palindrome length sweep: every cell at T = 5 .. 60, to find where each one breaks.

A cell's *critical length* is the largest T at which its mean test accuracy reaches
``sweep.evaluate.target_acc``. Stages: generate -> train -> evaluate -> figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab import paths
from seqlab.models import build_model, count_parameters
from seqlab.models.recurrent import SequenceClassifier
from seqlab.parallel import run_parallel
from seqlab.params.sweep import SweepParams
from seqlab.seeding import seed_everything
from seqlab.studies.common import RunResult, curves, mean_std, parent_run, read_json, record_run, write_json
from seqlab.tasks import palindrome
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.train import ACCURACY, FitConfig, evaluate, fit, resolve_device

STUDY = "sweep"
# Relative cost of a step, for ordering jobs longest-first (measured, benchmarks/bench_cells.py).
_STEP_COST = {"rnn": 0.4, "lstm": 1.0, "gru": 1.0, "peephole": 1.2}


def data_dir(T: int):
    return paths.study_data(STUDY) / f"T{T}"


def run_dir(model: str, T: int, seed: int):
    return paths.study_models(STUDY) / model / f"T{T}" / f"seed{seed}"


def generate_data(p: SweepParams, tracker=None) -> None:
    sizes = {"train": p.n_train, "val": p.n_val, "test": p.n_test}
    for T in p.T:
        splits, meta = palindrome.generate(PalindromeTask(T, p.base), sizes, p.seed)
        palindrome.save(data_dir(T), splits, meta)


def tensors(pals: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = palindrome.inputs_targets(pals)
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))


def arch(p: SweepParams, model: str, T: int) -> dict:
    task = PalindromeTask(T, p.base)
    return {"model": model, "impl": p.impls[model], "input_dim": task.input_dim, "hidden": p.hidden,
            "num_classes": task.num_classes, "forget_bias": p.train.forget_bias}


def init_model(a: dict, seed: int) -> SequenceClassifier:
    """The model a sweep run starts from: its initial weights depend on the seed alone."""
    seed_everything(seed)
    return build_model(a["model"], a["impl"], a["input_dim"], a["hidden"], a["num_classes"], a["forget_bias"])


def load_model(path) -> SequenceClassifier:
    ckpt = torch.load(path / "model.pt", map_location="cpu", weights_only=True)
    a = ckpt["arch"]
    model = build_model(a["model"], a["impl"], a["input_dim"], a["hidden"], a["num_classes"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def _train_job(job: tuple[SweepParams, str, int, int]) -> RunResult:
    p, m, T, seed = job
    splits, _ = palindrome.load(data_dir(T))
    device = resolve_device(p.train.device, "sweep.train.device")
    model = init_model(arch(p, m, T), seed).to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every, stop_at=p.stop_at)
    train, val = (tuple(a.to(device) for a in tensors(splits[s])) for s in ("train", "val"))
    hist = fit(model, train, val, cfg, seed, name=f"sweep {m} T={T}", progress=False)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: SweepParams, tracker=None) -> None:
    jobs = sorted(((p, m, T, s) for m in p.models for T in p.T for s in p.train.seeds),
                  key=lambda j: -j[2] * _STEP_COST.get(j[1], 1.0))
    workers = 1 if resolve_device(p.train.device, "sweep.train.device").type == "cuda" else p.workers
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, "sweep")))
    t = p.train
    for m in p.models:
        for T in p.T:
            params = {**arch(p, m, T), "T": T, "steps": t.steps, "stop_at": p.stop_at, "batch_size": t.batch_size,
                      "lr": t.lr}
            with parent_run(tracker, f"{m}-T{T}", params) as parent_id:
                for s in t.seeds:
                    record_run(run_dir(m, T, s), arch(p, m, T), results[(m, T, s)], ACCURACY,
                               f"sweep {m} T={T} seed={s}", tracker, f"{m}-T{T}-seed{s}", {**params, "seed": s},
                               parent_id)


def critical_length(accs: dict[int, float], target: float) -> tuple[int | None, int | None]:
    """(largest T with mean accuracy >= target, smallest T below it); None where there is none."""
    passed = [T for T, a in accs.items() if a >= target]
    failed = [T for T, a in accs.items() if a < target]
    return (max(passed) if passed else None), (min(failed) if failed else None)


def evaluate_study(p: SweepParams, tracker=None) -> dict:
    """Test accuracy for every cell, T and seed; critical lengths; curves."""
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    rows, metrics = [], {"critical_length": {}, "first_failure": {}}
    tests = {T: tensors(palindrome.load(data_dir(T))[0]["test"]) for T in p.T}
    for m in p.models:
        means = {}
        for T in p.T:
            accs, frames = [], []
            for s in p.train.seeds:
                d = run_dir(m, T, s)
                acc, _ = evaluate(load_model(d), *tests[T], ACCURACY)
                run = read_json(d / "run.json")
                accs.append(acc)
                frames.append(pd.read_csv(d / "history.csv"))
                rows.append({"model": m, "T": T, "seed": s, "test_acc": round(acc, 6), **run})
                if tracker and run["run_id"]:
                    tracker.log_metrics(run["run_id"], {"test_acc": acc})
            mean, std = mean_std(accs)
            means[T] = mean
            metrics.setdefault(m, {})[f"T{T}"] = {"test_acc_mean": round(mean, 6), "test_acc_std": round(std, 6)}
            curves(frames, ACCURACY.name).to_csv(plots / f"{m}_T{T}.csv", index=False)
        metrics["critical_length"][m], metrics["first_failure"][m] = critical_length(means, p.target_acc)
    table = pd.DataFrame(rows)
    table[["model", "T", "seed", "test_acc", "steps_run", "stopped_early", "train_seconds"]].to_csv(
        plots / "accuracy_by_length.csv", index=False)
    data = {str(T): palindrome.load(data_dir(T))[1] for T in p.T}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"metrics": metrics, "runs": rows, "data": data,
                                            "target_acc": p.target_acc, "stop_at": p.stop_at})
    return metrics


def make_figures(p: SweepParams, tracker=None) -> None:
    from seqlab.figures_algorithmic import plot_sweep

    table = pd.read_csv(paths.study_plots(STUDY) / "accuracy_by_length.csv")
    plot_sweep(table, p.target_acc, paths.study_figures(STUDY) / "accuracy_vs_length.png")


STEPS = {"generate": generate_data, "train": train, "evaluate": evaluate_study, "figures": make_figures}
