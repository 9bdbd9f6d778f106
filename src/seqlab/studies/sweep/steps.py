"""Stages sweep_<step>: generate palindromes at every length, train every cell at every length
and seed (stopping a run once it is perfect), evaluate them and find each cell's critical length:
the longest T before its first failing one.

    python -m seqlab.studies.sweep.steps {generate,train,evaluate}
"""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.sweep.params import SweepParams
from seqlab.tasks import palindrome
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import ACCURACY, critical_length, mean_std, still_improving
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, curves, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "sweep"
# Relative cost of a step, for ordering jobs longest-first (measured, benchmarks/bench_cells.py).
_STEP_COST = {"rnn": 0.4, "lstm": 1.0, "gru": 1.0, "peephole": 1.2}


def data_dir(T: int):
    return palindrome.data_dir(paths.study_data(STUDY), T)


def generate(p: SweepParams, tracker=None) -> None:
    d = p.data
    p.check_lengths()  # every length, before writing any
    sizes = {"train": d.n_train, "val": d.n_val, "test": d.n_test}
    for T in p.T:
        splits, meta = palindrome.generate(PalindromeTask(T, d.base), sizes, d.seed)
        palindrome.save(data_dir(T), splits, meta)


def task_of(T: int) -> PalindromeTask:
    """The task of length T as generated (its base is the data's: training reads no sweep.data key)."""
    return PalindromeTask(**palindrome.load(data_dir(T))[1]["task"])


def config(p: SweepParams, model: str, task: PalindromeTask) -> SequenceClassifierConfig:
    return SequenceClassifierConfig(kind=model, impl=p.impls[model], input_dim=task.input_dim, hidden=p.train.hidden,
                                    num_classes=task.num_classes, forget_bias=p.train.forget_bias)


def _train_job(job: tuple[SweepParams, str, int, int]) -> RunResult:
    p, m, T, seed = job
    splits, meta = palindrome.load(data_dir(T))
    device = resolve_device(p.train.device, "sweep.train.device")
    seed_everything(seed)  # the initial weights depend on the seed alone (gradient flow rebuilds them)
    model = config(p, m, PalindromeTask(**meta["task"])).build().to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every, stop_at=t.stop_at)
    train_set, val = (tuple(a.to(device) for a in palindrome.tensors(splits[s])) for s in ("train", "val"))
    hist = fit(model, train_set, val, cfg, seed, name=f"sweep {m} T={T}", progress=False)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: SweepParams, tracker=None) -> None:
    jobs = sorted(((p, m, T, s) for m in p.models for T in p.T for s in p.train.seeds),
                  key=lambda j: -j[2] * _STEP_COST.get(j[1], 1.0))
    tasks = {T: task_of(T) for T in p.T}  # a missing data folder fails here, before any worker starts
    workers = workers_for(resolve_device(p.train.device, "sweep.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    t = p.train
    for m in p.models:
        for T in p.T:
            net = config(p, m, tasks[T])
            params = {"model": m, "impl": net.impl, "input_dim": net.input_dim, "hidden": net.hidden,
                      "num_classes": net.num_classes, "forget_bias": net.forget_bias, "T": T, "steps": t.steps,
                      "stop_at": t.stop_at, "batch_size": t.batch_size, "lr": t.lr}
            with parent_run(tracker, f"{m}-T{T}", params) as parent_id:
                for s in t.seeds:
                    record_run(paths.length_run(STUDY, m, T, s), net, results[(m, T, s)], tracker, f"{m}-T{T}-seed{s}",
                               {**params, "seed": s}, parent_id)


def evaluate_study(p: SweepParams, tracker=None) -> dict:
    """Test accuracy for every cell, T and seed; critical lengths; curves. A run that falls short
    of the target is *capped* when it used its whole step budget and its validation accuracy was
    still rising at the end (more steps would likely have solved it), a *plateau* otherwise."""
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    rows, metrics = [], {"critical_length": {}, "first_failure": {}}
    tests = {T: palindrome.tensors(palindrome.load(data_dir(T))[0]["test"]) for T in p.T}
    for m in p.models:
        means = {}
        for T in p.T:
            accs, frames, capped = [], [], 0
            for s in p.train.seeds:
                run = paths.length_run(STUDY, m, T, s)
                acc, _ = evaluate(SequenceClassifierConfig.load(run / CHECKPOINT), *tests[T], ACCURACY)
                record = read_json(run / RUN)
                frame = pd.read_csv(run / HISTORY)
                short = acc < p.evaluate.target_acc
                cap = short and record["steps_run"] == p.train.steps and still_improving(
                    frame["val_acc"].dropna().tolist())
                accs.append(acc)
                frames.append(frame)
                capped += cap
                rows.append({"model": m, "T": T, "seed": s, "test_acc": round(acc, 6),
                             "final_val_acc": round(float(frame["val_acc"].dropna().iloc[-1]), 6),
                             "short_of_target": short, "budget_capped": cap, **record})
                if tracker and record["run_id"]:
                    tracker.log_metrics(record["run_id"], {"test_acc": acc})
            mean, std = mean_std(accs)
            means[T] = mean
            metrics.setdefault(m, {})[f"T{T}"] = {
                "test_acc_mean": round(mean, 6), "test_acc_std": round(std, 6), "n_seeds": len(accs),
                "n_test": len(tests[T][1]),
                "seeds_reached": sum(a >= p.evaluate.target_acc for a in accs), "seeds_capped": capped}
            curves(frames, ACCURACY.name).to_csv(plots / f"{m}_T{T}.csv", index=False)
        metrics["critical_length"][m], metrics["first_failure"][m] = critical_length(means, p.evaluate.target_acc)
    table = pd.DataFrame(rows)
    table[["model", "T", "seed", "test_acc", "steps_run", "stopped_early", "budget_capped", "train_seconds"]].to_csv(
        plots / "accuracy_by_length.csv", index=False)
    data = {str(T): palindrome.load(data_dir(T))[1] for T in p.T}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"metrics": metrics, "runs": rows, "data": data,
                                            "target_acc": p.evaluate.target_acc, "stop_at": p.train.stop_at})
    return metrics


STEPS = {
    "generate": Step(generate, reads=("sweep.data", "sweep.T")),
    "train": Step(train, reads=("sweep.models", "sweep.T", "sweep.train")),
    "evaluate": Step(evaluate_study, reads=("sweep.models", "sweep.T", "sweep.train.seeds", "sweep.train.steps",
                                            "sweep.train.stop_at", "sweep.evaluate")),
}

if __name__ == "__main__":
    run_stage(__doc__, SweepParams, STEPS, experiment=STUDY)
