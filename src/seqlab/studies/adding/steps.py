"""Stages adding_<step>: generate the adding problems, train every cell at every T and seed,
evaluate them beside the mean-predicting baseline.

    python -m seqlab.studies.adding.steps {generate,train,evaluate}
"""

from __future__ import annotations

import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.sequence import SequenceRegressorConfig
from seqlab.studies.adding.params import AddingParams
from seqlab.tasks import adding
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import MSE, mean_std
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, curves, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "adding"


def generate(p: AddingParams, tracker=None) -> dict:
    d = p.data
    sizes = {"train": d.n_train, "val": d.n_val, "test": d.n_test}
    return adding.write_all(paths.study_data(STUDY), p.T, sizes, d.seed)


def config(p: AddingParams, model: str) -> SequenceRegressorConfig:
    return SequenceRegressorConfig(kind=model, impl=p.impls[model], input_dim=adding.INPUT_DIM, hidden=p.train.hidden,
                                   forget_bias=p.train.forget_bias)


def _tensors(pair):
    return tuple(torch.from_numpy(a) for a in pair)


def _train_job(job: tuple[AddingParams, str, int, int]) -> RunResult:
    p, model_name, T, seed = job
    data = adding.load(paths.study_data(STUDY), T)
    device = resolve_device(p.train.device, "adding.train.device")
    seed_everything(seed)
    model = config(p, model_name).build().to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every)
    train_set, val = (tuple(a.to(device) for a in _tensors(data[s])) for s in ("train", "val"))
    hist = fit(model, train_set, val, cfg, seed, name=f"adding {model_name} T={T}", progress=False, metric=MSE)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: AddingParams, tracker=None) -> None:
    # Longest sequences first, so the last job to finish is a short one and workers stay busy.
    jobs = sorted(((p, m, T, s) for m in p.models for T in p.T for s in p.train.seeds), key=lambda j: -j[2])
    workers = workers_for(resolve_device(p.train.device, "adding.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    t = p.train
    for m in p.models:
        net = config(p, m)
        for T in p.T:
            params = {"model": m, "impl": net.impl, "hidden": net.hidden, "forget_bias": net.forget_bias, "T": T,
                      "steps": t.steps, "batch_size": t.batch_size, "lr": t.lr}
            with parent_run(tracker, f"{m}-T{T}", params) as parent_id:
                for s in t.seeds:
                    record_run(paths.length_run(STUDY, m, T, s), net, results[(m, T, s)], tracker, f"{m}-T{T}-seed{s}",
                               {**params, "seed": s}, parent_id)


def evaluate_study(p: AddingParams, tracker=None) -> dict:
    """Test MSE per model, T and seed, beside the mean-predicting baseline; loss curves."""
    root = paths.study_data(STUDY)
    meta = read_json(root / "meta.json")
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, rows = {}, []
    for m in p.models:
        for T in p.T:
            x, y = _tensors(adding.load(root, T)["test"])
            mses, frames = [], []
            for s in p.train.seeds:
                run = paths.length_run(STUDY, m, T, s)
                mse, _ = evaluate(SequenceRegressorConfig.load(run / CHECKPOINT), x, y, MSE)
                record = read_json(run / RUN)
                mses.append(mse)
                frames.append(pd.read_csv(run / HISTORY))
                rows.append({"model": m, "T": T, "seed": s, "test_mse": round(mse, 6), **record})
                if tracker and record["run_id"]:
                    tracker.log_metrics(record["run_id"], {"test_mse": mse})
            mean, std = mean_std(mses)
            baseline = meta["baseline"][str(T)]["test_mse"]
            metrics.setdefault(m, {})[f"T{T}"] = {
                "test_mse_mean": round(mean, 6), "test_mse_std": round(std, 6), "n_seeds": len(mses),
                "vs_baseline": round(mean / baseline, 4),
                "seeds_solved": sum(v < p.evaluate.solved_mse for v in mses),
            }
            curves(frames, MSE.name).to_csv(plots / f"{m}_T{T}.csv", index=False)
    metrics["baseline_mse"] = {f"T{T}": meta["baseline"][str(T)]["test_mse"] for T in p.T}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"data": meta, "metrics": metrics, "runs": rows,
                                            "solved_mse": p.evaluate.solved_mse, "theoretical_baseline": adding.BASELINE_MSE})
    return metrics


STEPS = {
    "generate": Step(generate, reads=("adding.T", "adding.data")),
    "train": Step(train, reads=("adding.models", "adding.T", "adding.train")),
    "evaluate": Step(evaluate_study, reads=("adding.models", "adding.T", "adding.train.seeds", "adding.evaluate")),
}

if __name__ == "__main__":
    run_stage(__doc__, AddingParams, STEPS, experiment=STUDY)
