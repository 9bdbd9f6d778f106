"""Stages recall_<step>: generate the digit sequences, train an LSTM per hidden size and seed,
evaluate them.

    python -m seqlab.studies.recall.steps {generate,train,evaluate}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.recall.params import RecallParams
from seqlab.tasks import recall
from seqlab.tasks.recall import PAD, RecallTask
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import ACCURACY, mean_std
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, curves, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "recall"


def _task(p: RecallParams) -> RecallTask:
    return RecallTask(p.data.min_len, p.data.max_len, p.data.position)


def run_dir(hidden: int, seed: int):
    return paths.run_dir(STUDY, f"h{hidden}", seed=seed)


def generate(p: RecallParams, tracker=None) -> None:
    d = p.data
    splits = recall.generate(_task(p), {"train": d.n_train, "val": d.n_val, "test": d.n_test}, d.seed)
    recall.save(paths.study_data(STUDY), _task(p), splits, d.seed)


def _tensors(split: dict) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(split["x"].astype(np.int64)), torch.from_numpy(split["y"].astype(np.int64))


def config(p: RecallParams, hidden: int) -> SequenceClassifierConfig:
    """An LSTM (torch's fused module) reading padded digit sequences."""
    return SequenceClassifierConfig(kind="lstm", impl="fused", input_dim=RecallTask.input_dim, hidden=hidden,
                                    num_classes=RecallTask.num_classes, forget_bias=p.train.forget_bias, pad_index=PAD)


def _train_job(job: tuple[RecallParams, int, int]) -> RunResult:
    p, hidden, seed = job
    splits, _ = recall.load(paths.study_data(STUDY))
    device = resolve_device(p.train.device, "recall.train.device")
    seed_everything(seed)  # the initial weights depend on the seed alone
    model = config(p, hidden).build().to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every)
    train_set, val = (tuple(a.to(device) for a in _tensors(splits[s])) for s in ("train", "val"))
    hist = fit(model, train_set, val, cfg, seed, name=f"recall h={hidden}", progress=False)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: RecallParams, tracker=None) -> None:
    jobs = [(p, h, s) for h in p.train.hidden for s in p.train.seeds]
    workers = workers_for(resolve_device(p.train.device, "recall.train.device"), p.runtime.workers)
    results = dict(zip([(h, s) for _, h, s in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    t = p.train
    for h in p.train.hidden:
        net = config(p, h)
        params = {"model": "lstm", "input_dim": net.input_dim, "num_classes": net.num_classes, "hidden": h,
                  "forget_bias": net.forget_bias, "steps": t.steps, "batch_size": t.batch_size, "lr": t.lr,
                  "min_len": p.data.min_len, "max_len": p.data.max_len, "position": p.data.position}
        with parent_run(tracker, f"lstm-h{h}", params) as parent_id:
            for s in t.seeds:
                record_run(run_dir(h, s), net, results[(h, s)], tracker, f"lstm-h{h}-seed{s}", {**params, "seed": s},
                           parent_id)


def evaluate_study(p: RecallParams, tracker=None) -> dict:
    """Test accuracy per hidden size and seed, curves, and a few test examples per model."""
    splits, meta = recall.load(paths.study_data(STUDY))
    x_test, y_test = _tensors(splits["test"])
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, rows, predictions = {}, [], {}
    for h in p.train.hidden:
        accs, frames = [], []
        for s in p.train.seeds:
            model = SequenceClassifierConfig.load(run_dir(h, s) / CHECKPOINT)
            acc, _ = evaluate(model, x_test, y_test, ACCURACY)
            run = read_json(run_dir(h, s) / RUN)
            accs.append(acc)
            frames.append(pd.read_csv(run_dir(h, s) / HISTORY))
            rows.append({"hidden": h, "seed": s, "test_acc": round(acc, 6), **run})
            if tracker and run["run_id"]:
                tracker.log_metrics(run["run_id"], {"test_acc": acc})
            if s == p.train.seeds[0]:
                with torch.no_grad():
                    logits, _ = model(x_test[: p.report.examples])
                predictions[h] = logits.argmax(-1).tolist()
        mean, std = mean_std(accs)
        metrics[f"h{h}"] = {"test_acc_mean": round(mean, 6), "test_acc_std": round(std, 6), "n_seeds": len(accs),
                            "n_test": len(y_test)}
        curves(frames, ACCURACY.name).to_csv(plots / f"h{h}.csv", index=False)
    examples = [{"input": [int(v) for v in x_test[i] if v != PAD], "truth": int(y_test[i]),
                 "predicted": {str(h): predictions[h][i] for h in p.train.hidden}} for i in range(min(p.report.examples, len(x_test)))]
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"data": meta, "runs": rows, "metrics": metrics, "examples": examples,
                                            "example_seed": p.train.seeds[0]})
    return metrics


TASK = ("recall.data.min_len", "recall.data.max_len", "recall.data.position")
STEPS = {
    "generate": Step(generate, reads=("recall.data",)),
    "train": Step(train, reads=(*TASK, "recall.train")),
    "evaluate": Step(evaluate_study, reads=("recall.train.hidden", "recall.train.seeds", "recall.report")),
}

if __name__ == "__main__":
    run_stage(__doc__, RecallParams, STEPS, experiment=STUDY)
