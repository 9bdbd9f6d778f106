"""Stages addition_<step>: generate the addition problems, train every (L, hidden, loss, seed),
evaluate each model at every length.

    python -m seqlab.studies.addition.steps {generate,train,evaluate}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.sequence import BitTaggerConfig
from seqlab.studies.addition.params import AdditionParams
from seqlab.tasks import addition
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import BIT_ACCURACY, SUM_ACCURACY, mean_std, steps_to
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, curves, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "addition"
TARGET = 0.99  # the validation bit accuracy "steps to 99%" counts up to


def generate(p: AdditionParams, tracker=None) -> dict:
    d = p.data
    sizes = {"n_train": d.n_train, "n_val": d.n_val, "n_test": d.n_test}
    return addition.write_all(paths.study_data(STUDY), d.lengths, range(1, d.eval_max_len + 1), sizes, d.seed)


def _tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))


def config(p: AdditionParams, hidden: int, loss: str) -> BitTaggerConfig:
    """An LSTM (torch's fused module) emitting one sum bit per step."""
    return BitTaggerConfig(kind="lstm", impl="fused", input_dim=addition.INPUT_DIM, hidden=hidden, loss=loss,
                           forget_bias=p.train.forget_bias)


def _name(L: int, hidden: int, loss: str) -> str:
    return f"L{L}-h{hidden}-{loss}"


def run_dir(L: int, hidden: int, loss: str, seed: int):
    return paths.run_dir(STUDY, _name(L, hidden, loss), seed=seed)


def _train_job(job: tuple[AdditionParams, int, int, str, int]) -> RunResult:
    p, L, hidden, loss, seed = job
    data = addition.load_train(paths.study_data(STUDY), L)
    device = resolve_device(p.train.device, "addition.train.device")
    seed_everything(seed)
    model = config(p, hidden, loss).build().to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every)
    train_set, val = (tuple(a.to(device) for a in _tensors(*data[s])) for s in ("train", "val"))
    hist = fit(model, train_set, val, cfg, seed, name=f"addition {_name(L, hidden, loss)}", progress=False,
               metric=BIT_ACCURACY)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def configs(p: AdditionParams):
    return [(L, h, loss) for L in p.data.lengths for h in p.train.hidden for loss in p.train.losses]


def train(p: AdditionParams, tracker=None) -> None:
    jobs = [(p, L, h, loss, s) for L, h, loss in configs(p) for s in p.train.seeds]
    workers = workers_for(resolve_device(p.train.device, "addition.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    t = p.train
    for L, h, loss in configs(p):
        net = config(p, h, loss)
        params = {"model": "lstm", "hidden": h, "loss": loss, "forget_bias": net.forget_bias, "L": L,
                  "steps": t.steps, "batch_size": t.batch_size, "lr": t.lr}
        with parent_run(tracker, _name(L, h, loss), params) as parent_id:
            for s in t.seeds:
                record_run(run_dir(L, h, loss, s), net, results[(L, h, loss, s)], tracker,
                           f"{_name(L, h, loss)}-seed{s}", {**params, "seed": s}, parent_id)


def evaluate_study(p: AdditionParams, tracker=None) -> dict:
    """Bit and whole-sum accuracy of every run at every evaluation length; the loss comparison."""
    root = paths.study_data(STUDY)
    eval_lengths = list(range(1, p.data.eval_max_len + 1))
    tests = {L: _tensors(*addition.load_test(root, L)) for L in eval_lengths}
    rows = []
    plots = paths.study_plots(STUDY)
    (plots / "curves").mkdir(parents=True, exist_ok=True)
    for L, h, loss in configs(p):
        frames = []
        for s in p.train.seeds:
            run = run_dir(L, h, loss, s)
            model, record = BitTaggerConfig.load(run / CHECKPOINT), read_json(run / RUN)
            frame = pd.read_csv(run / HISTORY)
            frames.append(frame)
            for L_eval, (x, y) in tests.items():
                bit, _ = evaluate(model, x, y, BIT_ACCURACY)
                whole, _ = evaluate(model, x, y, SUM_ACCURACY)
                rows.append({"L": L, "hidden": h, "loss": loss, "seed": s, "L_eval": L_eval,
                             "bit_acc": round(bit, 6), "sum_acc": round(whole, 6),
                             "steps_to_99": steps_to(frame, "val_bit_acc", TARGET),
                             "train_seconds": record["train_seconds"], "run_id": record["run_id"]})
            if tracker and record["run_id"]:
                own = [r for r in rows[-len(tests):] if r["L_eval"] == L][0]
                tracker.log_metrics(record["run_id"], {"test_bit_acc": own["bit_acc"], "test_sum_acc": own["sum_acc"]})
        curves(frames, BIT_ACCURACY.name).to_csv(plots / "curves" / f"{_name(L, h, loss)}.csv", index=False)
    table = pd.DataFrame(rows)
    table.drop(columns=["run_id"]).to_csv(plots / "by_length.csv", index=False)

    metrics: dict = {}
    at_own = table[table["L"] == table["L_eval"]]
    for (L, h, loss), g in at_own.groupby(["L", "hidden", "loss"], sort=True):
        bit_m, bit_s = mean_std(g["bit_acc"])
        sum_m, sum_s = mean_std(g["sum_acc"])
        longer = table[(table["L"] == L) & (table["hidden"] == h) & (table["loss"] == loss)
                       & (table["L_eval"] == p.data.eval_max_len)]
        metrics.setdefault(f"L{L}", {}).setdefault(f"h{h}", {})[loss] = {
            "bit_acc_mean": round(bit_m, 6), "bit_acc_std": round(bit_s, 6),
            "sum_acc_mean": round(sum_m, 6), "sum_acc_std": round(sum_s, 6), "n_seeds": len(g),
            "n_test": len(tests[L][1]),
            f"sum_acc_at_L{p.data.eval_max_len}": round(float(longer["sum_acc"].mean()), 6),
        }
    comparison = compare_losses(at_own) if set(p.train.losses) == {"mse", "bce"} else None
    if comparison:
        metrics["bce_minus_mse"] = {k: comparison[k] for k in ("sum_acc", "bit_acc", "bce_higher", "mse_higher", "equal")}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"data": read_json(root / "meta.json"), "metrics": metrics,
                                            "comparison": comparison, "runs": rows})
    return metrics


def compare_losses(at_own: pd.DataFrame) -> dict:
    """Cross-entropy and MSE on the same (L, hidden, seed): the same data, the same initial
    weights. Per pair: whole-sum and bit accuracy at the training length, and the steps each took
    to 99% validation bit accuracy. Summaries count the pairs where each loss scored higher; a
    tie on accuracy is a tie (how fast each got there is a different question)."""
    keys = ["L", "hidden", "seed"]
    pair = at_own[at_own["loss"] == "bce"].merge(at_own[at_own["loss"] == "mse"], on=keys, suffixes=("_bce", "_mse"))
    d_sum = pair["sum_acc_bce"] - pair["sum_acc_mse"]
    columns = keys + [f"{m}_{loss}" for m in ("sum_acc", "bit_acc", "steps_to_99") for loss in ("bce", "mse")]
    rows = pair[columns].astype(object).where(pair[columns].notna(), None).to_dict("records")
    return {
        "pairs": rows,
        "sum_acc": round(float(d_sum.mean()), 6),
        "bit_acc": round(float((pair["bit_acc_bce"] - pair["bit_acc_mse"]).mean()), 6),
        "bce_higher": int((d_sum > 0).sum()), "mse_higher": int((d_sum < 0).sum()), "equal": int((d_sum == 0).sum()),
    }


STEPS = {
    "generate": Step(generate, reads=("addition.data",)),
    "train": Step(train, reads=("addition.data.lengths", "addition.train")),
    "evaluate": Step(evaluate_study, reads=("addition.data.lengths", "addition.data.eval_max_len", "addition.train.hidden",
                                            "addition.train.losses", "addition.train.seeds")),
}

if __name__ == "__main__":
    run_stage(__doc__, AdditionParams, STEPS, experiment=STUDY)
