"""Stages recall_course_<step>: train the course's digit-recall LSTM per hidden size and seed as
q2.py ran it, then score every run on a large set drawn the course's way.

    python -m seqlab.studies.recall.course.steps {train,evaluate}

Each run draws its data up front from its own seeded streams: ``epochs x steps_per_epoch``
training batches, and ``test_batches`` fresh test batches per epoch (the course's test, 640
sequences at its sizes). No data stage: the streams are the run's, as in the course, and are
regenerated bit for bit from its seed. The judge set (recall.course.judge) is drawn once, from
its own seed, and scored by every run.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import mean_std
from seqlab.models.config import count_parameters
from seqlab.studies.recall.course.data import DIGITS, course_batches, lengths, unpad
from seqlab.studies.recall.course.network import CourseRecallConfig, course_correct
from seqlab.studies.recall.course.params import CourseParams
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "recall_course"  # its outputs: models/recall_course/, reports/recall_course/, ...
EXPERIMENT = "recall_course"  # MLflow
TRAIN_STREAM, TEST_STREAM, JUDGE_STREAM = 0, 1, 2  # a run's streams: default_rng([seed, stream])


def run_dir(hidden: int, seed: int) -> Path:
    return paths.run_dir(STUDY, f"h{hidden}", seed=seed)


def draw(p: CourseParams, seed: int, stream: int, n_batches: int) -> tuple[torch.Tensor, torch.Tensor]:
    d = p.course.data
    x, y = course_batches(np.random.default_rng([seed, stream]), n_batches, p.course.train.batch_size, d.min_len,
                          d.max_len, d.position)
    return torch.from_numpy(x), torch.from_numpy(y)


def judge_set(p: CourseParams) -> tuple[torch.Tensor, torch.Tensor]:
    return draw(p, p.course.judge.seed, JUDGE_STREAM, p.course.judge.batches)


class CourseStep:
    """q2.py's update on one of its batches: forward on the batch's L steps, cross-entropy,
    backward, Adam at default betas, and no gradient clipping (q2.py has none).

    fit() is handed each stored course batch as one item (batch size 1), so it receives x
    (1, B, T, 10) and y (1, B). fit shuffles the items it is given; the items here are whole
    batches, i.i.d. and fresh, so the order it visits them in changes nothing about the course's
    protocol, while every batch keeps its one length and its padding rows are cut off before the
    LSTM (data.unpad)."""

    def __init__(self, model: nn.Module, lr: float):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        xb, yb = unpad(x[0]), y[0]  # (B, L, 10), (B,)
        logits, loss = self.model(xb, yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.detach(), "acc": (logits.detach().argmax(-1) == yb).float().mean()}


def _train_job(job: tuple[CourseParams, int, int]) -> RunResult:
    p, hidden, seed = job
    t = p.course.train
    device = resolve_device(t.device, "recall.course.train.device")
    train_set = tuple(a.to(device) for a in draw(p, seed, TRAIN_STREAM, t.steps))  # one batch per step
    x_test, y_test = (a.to(device) for a in draw(p, seed, TEST_STREAM, t.epochs * t.test_batches))
    seed_everything(seed)  # the initial weights depend on the seed alone
    net = CourseRecallConfig(hidden).build().to(device)
    # batch_size 1: each item is a whole course batch; clip_norm is unused (CourseStep never clips)
    cfg = FitConfig(t.steps, 1, t.lr, math.inf, t.steps_per_epoch)

    def course_test(step: int, model: nn.Module) -> dict[str, float]:
        """The course's test after each epoch: that epoch's fresh test batches, each at its length."""
        epoch = step // t.steps_per_epoch
        part = slice((epoch - 1) * t.test_batches, epoch * t.test_batches)
        correct, _ = course_correct(model, x_test[part], y_test[part])
        return {"test_acc": correct.float().mean().item()}

    hist = fit(net, train_set, None, cfg, seed, name=f"recall course h={hidden}", progress=False,
               step=CourseStep(net, t.lr), on_eval=course_test)
    hist.samples *= t.batch_size  # fit counted items, and each item is a batch of batch_size sequences
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def train(p: CourseParams, tracker=None) -> None:
    """Every hidden size and seed, ``compute.workers`` at a time, the largest networks first."""
    t, d = p.course.train, p.course.data
    jobs = [(p, h, s) for h in sorted(t.hidden, reverse=True) for s in t.seeds]
    workers = workers_for(resolve_device(t.device, "recall.course.train.device"), p.runtime.workers)
    results = dict(zip([(h, s) for _, h, s in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    for h in t.hidden:
        net = CourseRecallConfig(h)
        params = {"protocol": "course", "model": "lstm", "hidden": h, "input_dim": net.input_dim,
                  "num_classes": net.num_classes, "digits": DIGITS, "init": "torch default", "clip_norm": "none",
                  "epochs": t.epochs, "steps_per_epoch": t.steps_per_epoch, "batch_size": t.batch_size, "lr": t.lr,
                  "test_batches": t.test_batches, "min_len": d.min_len, "max_len": d.max_len, "position": d.position}
        with parent_run(tracker, f"course-lstm-h{h}", params) as parent_id:
            for s in t.seeds:
                record_run(run_dir(h, s), net, results[(h, s)], tracker, f"course-lstm-h{h}-seed{s}",
                           {**params, "seed": s}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def epoch_curve(frame: pd.DataFrame, steps_per_epoch: int) -> pd.DataFrame:
    """A run's history per epoch, as the course printed it: the test accuracy after the epoch,
    the last training batch's loss (what it plotted), and the epoch's training-batch accuracy."""
    g = frame.groupby((frame["step"] - 1) // steps_per_epoch + 1)  # epochs 1, 2, ...
    tested = frame.dropna(subset=["test_acc"])  # one row per epoch: its last step
    return pd.DataFrame({"epoch": g.size().index, "step": tested["step"].to_numpy(),
                         "test_acc": tested["test_acc"].to_numpy(), "last_train_loss": g["train_loss"].last().to_numpy(),
                         "train_acc": g["train_acc"].mean().to_numpy()})


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Per run: the course's number (its final test on fresh batches) and its accuracy on the
    judge set, overall and per length; per hidden size: their means, and the curves per epoch."""
    c = p.course
    t = c.train
    x_judge, y_judge = judge_set(p)
    n_judge = y_judge.numel()
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, runs, by_length = {}, [], []
    for h in t.hidden:
        frames, judged, finals = [], [], []
        for s in t.seeds:
            model = CourseRecallConfig.load(run_dir(h, s) / CHECKPOINT)
            correct, n = course_correct(model, x_judge, y_judge)
            per_length = {int(L): correct[n == L].float().mean().item() for L in n.unique().tolist()}
            curve = epoch_curve(pd.read_csv(run_dir(h, s) / HISTORY), t.steps_per_epoch).assign(seed=s)
            acc, final = correct.float().mean().item(), float(curve["test_acc"].iloc[-1])
            run = read_json(run_dir(h, s) / RUN)
            runs.append({"hidden": h, "seed": s, "judge_acc": round(acc, 6), "course_final": round(final, 6),
                         "judge_by_length": {str(L): round(a, 6) for L, a in per_length.items()}, **run})
            by_length += [{"hidden": h, "seed": s, "length": L, "acc": round(a, 6)} for L, a in per_length.items()]
            frames.append(curve)
            judged.append(acc)
            finals.append(final)
            if tracker and run["run_id"]:
                tracker.log_metrics(run["run_id"], {"judge_acc": acc, "course_final_test_acc": final})
        pd.concat(frames)[["seed", "epoch", "step", "test_acc", "last_train_loss", "train_acc"]].round(6).to_csv(
            plots / f"h{h}.csv", index=False)
        (mean, std), (final_mean, final_std) = mean_std(judged), mean_std(finals)
        metrics[f"h{h}"] = {"judge_acc_mean": round(mean, 6), "judge_acc_std": round(std, 6),
                            "course_final_mean": round(final_mean, 6), "course_final_std": round(final_std, 6),
                            "n_seeds": len(judged), "n_judge": n_judge}
    pd.DataFrame(by_length).to_csv(plots / "by_length.csv", index=False)
    judge_len = lengths(x_judge)  # (batches,)
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "params": {"data": c.data.__dict__, "train": {**t.__dict__, "hidden": list(t.hidden), "seeds": list(t.seeds)},
                   "judge": c.judge.__dict__},
        "n_judge": n_judge, "n_course_test": t.test_batches * t.batch_size, "chance": 1 / DIGITS,
        "judge_lengths": {str(L): int((judge_len == L).sum()) * t.batch_size for L in judge_len.unique().tolist()},
        "metrics": metrics, "runs": runs})
    return metrics


STEPS = {
    "train": Step(train, reads=("recall.course.data", "recall.course.train")),
    "evaluate": Step(evaluate_study, reads=("recall.course.data", "recall.course.train", "recall.course.judge")),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=EXPERIMENT)
