"""The digit-recall study: how much memory an LSTM needs to carry one digit to the end.

An LSTM with hidden size 2, 5 and 10 (recall.train.hidden) reads variable-length digit
sequences and names the digit at ``recall.data.position``. Stages: generate -> train ->
evaluate -> figures; they talk only through files under the study's paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab import paths
from seqlab.models import build_backbone, count_parameters
from seqlab.models.recurrent import SequenceClassifier
from seqlab.parallel import run_parallel
from seqlab.params.recall import RecallParams
from seqlab.seeding import seed_everything
from seqlab.studies.common import RunResult, curves, mean_std, parent_run, read_json, record_run, write_json
from seqlab.tasks import recall
from seqlab.tasks.recall import PAD, RecallTask
from seqlab.train import ACCURACY, FitConfig, evaluate, fit, resolve_device

STUDY = "recall"


def _task(p: RecallParams) -> RecallTask:
    return RecallTask(p.data.min_len, p.data.max_len, p.data.position)


def generate_data(p: RecallParams, tracker=None) -> None:
    d = p.data
    splits = recall.generate(_task(p), {"train": d.n_train, "val": d.n_val, "test": d.n_test}, d.seed)
    recall.save(paths.study_data(STUDY), _task(p), splits, d.seed)


def _tensors(split: dict) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(split["x"].astype(np.int64)), torch.from_numpy(split["y"].astype(np.int64))


def build(arch: dict) -> SequenceClassifier:
    backbone = build_backbone("lstm", "fused", arch["input_dim"], arch["hidden"], arch["forget_bias"])
    return SequenceClassifier(backbone, arch["input_dim"], arch["num_classes"], pad_index=PAD)


def _arch(p: RecallParams, hidden: int) -> dict:
    return {"model": "lstm", "input_dim": RecallTask.input_dim, "num_classes": RecallTask.num_classes,
            "hidden": hidden, "forget_bias": p.train.forget_bias}


def _train_job(job: tuple[RecallParams, int, int]) -> RunResult:
    p, hidden, seed = job
    splits, _ = recall.load(paths.study_data(STUDY))
    device = resolve_device(p.train.device, "recall.train.device")
    seed_everything(seed)  # the initial weights depend on the seed alone
    model = build(_arch(p, hidden)).to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every)
    train, val = ([a.to(device) for a in _tensors(splits[s])] for s in ("train", "val"))
    hist = fit(model, tuple(train), tuple(val), cfg, seed, name=f"recall h={hidden}", progress=False)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: RecallParams, tracker=None) -> None:
    jobs = [(p, h, s) for h in p.hidden for s in p.train.seeds]
    workers = 1 if resolve_device(p.train.device, "recall.train.device").type == "cuda" else p.workers
    results = dict(zip([(h, s) for _, h, s in jobs], run_parallel(_train_job, jobs, workers, "recall")))
    t = p.train
    for h in p.hidden:
        params = {**_arch(p, h), "steps": t.steps, "batch_size": t.batch_size, "lr": t.lr,
                  "min_len": p.data.min_len, "max_len": p.data.max_len, "position": p.data.position}
        with parent_run(tracker, f"lstm-h{h}", params) as parent_id:
            for s in t.seeds:
                record_run(paths.study_models(STUDY) / f"h{h}" / f"seed{s}", _arch(p, h), results[(h, s)],
                           ACCURACY, f"recall LSTM h={h} seed={s}", tracker, f"lstm-h{h}-seed{s}",
                           {**params, "seed": s}, parent_id)


def load_model(run_dir) -> SequenceClassifier:
    ckpt = torch.load(run_dir / "model.pt", map_location="cpu", weights_only=True)
    model = build(ckpt["arch"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def evaluate_study(p: RecallParams, tracker=None) -> dict:
    """Test accuracy per hidden size and seed, curves, and a few test examples per model."""
    splits, meta = recall.load(paths.study_data(STUDY))
    x_test, y_test = _tensors(splits["test"])
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, rows, predictions = {}, [], {}
    for h in p.hidden:
        accs, frames = [], []
        for s in p.train.seeds:
            run_dir = paths.study_models(STUDY) / f"h{h}" / f"seed{s}"
            model = load_model(run_dir)
            acc, _ = evaluate(model, x_test, y_test, ACCURACY)
            run = read_json(run_dir / "run.json")
            accs.append(acc)
            frames.append(pd.read_csv(run_dir / "history.csv"))
            rows.append({"hidden": h, "seed": s, "test_acc": round(acc, 6), **run})
            if tracker and run["run_id"]:
                tracker.log_metrics(run["run_id"], {"test_acc": acc})
            if s == p.train.seeds[0]:
                with torch.no_grad():
                    logits, _ = model(x_test[: p.examples])
                predictions[h] = logits.argmax(-1).tolist()
        mean, std = mean_std(accs)
        metrics[f"h{h}"] = {"test_acc_mean": round(mean, 6), "test_acc_std": round(std, 6)}
        curves(frames, ACCURACY.name).to_csv(plots / f"h{h}.csv", index=False)
    examples = [{"input": [int(v) for v in x_test[i] if v != PAD], "truth": int(y_test[i]),
                 "predicted": {str(h): predictions[h][i] for h in p.hidden}} for i in range(min(p.examples, len(x_test)))]
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"data": meta, "runs": rows, "metrics": metrics, "examples": examples,
                                            "example_seed": p.train.seeds[0]})
    return metrics


def make_figures(p: RecallParams, tracker=None) -> None:
    from seqlab.figures_algorithmic import plot_recall_curves

    frames = {h: pd.read_csv(paths.study_plots(STUDY) / f"h{h}.csv") for h in p.hidden}
    plot_recall_curves(frames, paths.study_figures(STUDY) / "accuracy_by_hidden.png")


STEPS = {"generate": generate_data, "train": train, "evaluate": evaluate_study, "figures": make_figures}
