"""Stages palindrome_course_<step>: the CS324 palindrome networks trained as the student's scripts
ran them, then every run summarised per epoch as they printed it.

    python -m seqlab.studies.palindrome.course.steps {train,evaluate}

The runs, each at every ``palindrome.course.lengths`` and seed unless stated:

    lstm            the student's LSTM (assignment 3): a softmax before CrossEntropyLoss, RMSprop
    lstm_corrected  the same with the logits into the loss (one softmax): at ``corrected`` lengths
    rnn             the student's RNN "from the last assignment" (assignment 2), its own sizes

Each run draws its palindromes and its 80/20 split from its own seeded stream (the course's were
unseeded), then trains epoch by epoch: one step of seqlab's loop is one course epoch, the
training split's batches in the loader's fixed order (shuffle=False), and after it the course's
validation. An LSTM run and its corrected twin share data, split and initial weights. No data
stage: the palindromes are the run's, regenerated bit for bit from its seed in milliseconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
from seqlab.studies.palindrome.course.network import CourseNetConfig, double_softmax_floor
from seqlab.studies.palindrome.course.params import (
    COURSE_LENGTHS,
    COURSE_SIZES,
    COURSE_TRAIN,
    DIGITS,
    Course,
    CourseParams,
    distinct,
)
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "palindrome_course"  # its outputs: models/palindrome_course/, reports/palindrome_course/, ...
DEVICE_KEY = "palindrome.course.device"
TRAINED_ON = "device.json"  # beside the runs: the device the train step resolved palindrome.course.device to


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # lstm | rnn: the network and its sizes
    softmax: bool  # the student's softmax before the loss
    drop_last: bool  # the assignment-3 loaders drop the last partial batch; assignment 2's keep it


VARIANTS = {"lstm": Variant("lstm", "lstm", True, True),
            "lstm_corrected": Variant("lstm_corrected", "lstm", False, True),
            "rnn": Variant("rnn", "rnn", True, False)}


def configs(c: Course) -> list[tuple[Variant, int]]:
    """Every (variant, length) this run trains, in the report's order."""
    out = [(VARIANTS["lstm"], T) for T in c.lengths]
    out += [(VARIANTS["lstm_corrected"], T) for T in c.lengths if T in c.corrected]
    return out + [(VARIANTS["rnn"], T) for T in c.lengths]


def run_dir(variant: str, T: int, seed: int) -> Path:
    return paths.run_dir(STUDY, variant, f"T{T}", seed=seed)


# --- the course's data ------------------------------------------------------------------------


def course_palindromes(T: int, asked: int, rng: np.random.Generator) -> np.ndarray:
    """The template's PalindromeDataset: min(asked, 10^ceil(T/2)) distinct first halves drawn
    without replacement from [0, 10^ceil(T/2)), each written with leading zeros and mirrored.
    (N, T) uint8, in draw order."""
    task = PalindromeTask(T, DIGITS)
    numbers = rng.choice(distinct(T), min(asked, distinct(T)), replace=False)  # (N,)
    powers = DIGITS ** np.arange(task.half - 1, -1, -1, dtype=np.int64)  # most significant digit first
    return task.from_halves((numbers[:, None] // powers % DIGITS).astype(np.uint8))


def course_data(c: Course, kind: str, T: int, seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """One run's train and validation splits: inputs (N, T-1, 1) float32 digits, targets (N,) the
    last digit. The split is random_split's: a permutation, its first int(0.8 N) for training, the
    training order the permutation's (the loaders never shuffle)."""
    rng = np.random.default_rng([seed, T])  # the data stream of (seed, T): both models' at T = 5 agree
    pals = course_palindromes(T, c.size(kind, T).palindromes, rng)
    order = rng.permutation(len(pals))
    n_train, _ = c.split(kind, T)
    x = torch.from_numpy(pals[:, :-1, None].astype(np.float32))  # (N, T-1, 1): one scalar per digit
    y = torch.from_numpy(pals[:, -1].astype(np.int64))  # (N,): the last digit, which is the first
    parts = {"train": order[:n_train], "val": order[n_train:]}
    return {k: (x[idx], y[idx]) for k, idx in parts.items()}


def loader(x: torch.Tensor, y: torch.Tensor, batch_size: int, drop_last: bool):
    """DataLoader(shuffle=False): consecutive batches, the last partial one dropped or kept."""
    end = len(x) - len(x) % batch_size if drop_last else len(x)
    for i in range(0, end, batch_size):
        yield x[i : i + batch_size], y[i : i + batch_size]


def used(n: int, batch_size: int, drop_last: bool) -> int:
    """How many of n samples a loader visits."""
    return n - n % batch_size if drop_last else n


# --- the course's epoch -----------------------------------------------------------------------


class CourseEpoch:
    """One step of seqlab's loop = one epoch of the student's ``train()``: every batch of the
    training split in order, each forward -> CrossEntropyLoss on the model's scores -> backward
    -> clip_grad_norm_ -> RMSprop (torch's defaults: alpha 0.99, eps 1e-8, no momentum) at a
    constant lr. The loop hands it the whole split as one item, x (1, N, T-1, 1), y (1, N).

    Returns the epoch's loss and accuracy as the student's AverageMeter kept them: each batch's,
    from its output before its update, averaged over batches without weights."""

    def __init__(self, model: nn.Module, lr: float, clip_norm: float, batch_size: int, drop_last: bool):
        self.model, self.clip_norm, self.batch_size, self.drop_last = model, clip_norm, batch_size, drop_last
        self.opt = torch.optim.RMSprop(model.parameters(), lr=lr)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        losses, accs = [], []
        for xb, yb in loader(x[0], y[0], self.batch_size, self.drop_last):
            scores, loss = self.model(xb, yb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
            self.opt.step()
            losses.append(loss.detach())
            accs.append((scores.detach().argmax(dim=1) == yb).float().mean())
        return {"loss": torch.stack(losses).mean(), "acc": torch.stack(accs).mean()}


@torch.no_grad()
def course_validation(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                      drop_last: bool) -> dict[str, float]:
    """The student's ``evaluate()`` on the validation split: per-batch accuracy (argmax) and loss,
    averaged over batches without weights (printed as "Test Acc" and "Test Loss")."""
    model.eval()
    accs, losses = [], []
    for xb, yb in loader(x, y, batch_size, drop_last):
        scores, loss = model(xb, yb)
        accs.append((scores.argmax(dim=1) == yb).float().mean())
        losses.append(loss)
    model.train()
    return {"val_acc": torch.stack(accs).mean().item(), "val_loss": torch.stack(losses).mean().item()}


# --- train ------------------------------------------------------------------------------------


def _train_job(job: tuple[Course, str, int, int]) -> RunResult:
    c, name, T, seed = job
    v = VARIANTS[name]
    device = resolve_device(c.device, DEVICE_KEY)
    data = {k: tuple(a.to(device) for a in xy) for k, xy in course_data(c, v.kind, T, seed).items()}
    (x, y), (xv, yv) = data["train"], data["val"]
    seed_everything(seed)  # the initial weights depend on the seed alone: an LSTM and its corrected twin share them
    net = CourseNetConfig(v.kind, c.hidden, v.softmax).build().to(device)
    epochs = c.size(v.kind, T).epochs
    # batch_size 1: the one item is the whole split; clip_norm and lr reach the step, not the loop's Adam
    cfg = FitConfig(epochs, 1, c.lr, c.clip_norm, eval_every=1)
    hist = fit(net, (x[None], y[None]), None, cfg, seed, name=f"palindrome course {name} T={T}", progress=False,
               step=CourseEpoch(net, c.lr, c.clip_norm, c.batch_size, v.drop_last),
               on_eval=lambda _, m: course_validation(m, xv, yv, c.batch_size, v.drop_last))
    hist.samples = epochs * used(len(x), c.batch_size, v.drop_last)  # the loop counted one item per epoch
    return RunResult(hist, {k: t.cpu() for k, t in net.state_dict().items()}, count_parameters(net))


def _cost(job: tuple[Course, str, int, int]) -> int:
    """Relative work of a job: epochs x training samples x steps per sequence (LSTM ~4x an RNN's)."""
    c, name, T, _ = job
    kind = VARIANTS[name].kind
    return c.size(kind, T).epochs * c.split(kind, T)[0] * (T - 1) * (4 if kind == "lstm" else 1)


def train(p: CourseParams, tracker=None) -> None:
    """Every variant, length and seed, ``compute.workers`` at a time, the costliest first."""
    c = p.course
    jobs = sorted([(c, v.name, T, s) for v, T in configs(c) for s in c.seeds], key=lambda j: -_cost(j))
    device = resolve_device(c.device, DEVICE_KEY)
    workers = workers_for(device, p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    write_json(paths.study_models(STUDY) / TRAINED_ON, {"device": device.type})  # for the report: where it ran
    for v, T in configs(c):
        net = CourseNetConfig(v.kind, c.hidden, v.softmax)
        size = c.size(v.kind, T)
        params = {"protocol": "course" if v.softmax else "corrected", "variant": v.name, "T": T, "scale": c.scale,
                  **asdict(net), "palindromes": size.palindromes, "epochs": size.epochs, "batch_size": c.batch_size,
                  "drop_last": v.drop_last, "optimizer": "RMSprop", "lr": c.lr, "clip_norm": c.clip_norm,
                  "train_share": c.train_share}
        with parent_run(tracker, f"{v.name}-T{T}", params) as parent_id:
            for s in c.seeds:
                record_run(run_dir(v.name, T, s), net, results[(v.name, T, s)], tracker, f"{v.name}-T{T}-seed{s}",
                           {**params, "seed": s}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def epoch_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """A run's history as the student printed it, one row per epoch (1-based)."""
    return pd.DataFrame({"epoch": frame["step"], "train_loss": frame["train_loss"], "train_acc": frame["train_acc"],
                         "val_loss": frame["val_loss"], "val_acc": frame["val_acc"]})


def summarise(curve: pd.DataFrame) -> dict:
    """One run's numbers: its last epoch, its best validation epoch, and its validation curve."""
    val = curve["val_acc"]
    last = curve.iloc[-1]
    return {"final_val_acc": round(float(last["val_acc"]), 6), "final_train_acc": round(float(last["train_acc"]), 6),
            "final_val_loss": round(float(last["val_loss"]), 6), "final_train_loss": round(float(last["train_loss"]), 6),
            "peak_val_acc": round(float(val.max()), 6), "peak_epoch": int(curve["epoch"].iloc[int(val.argmax())]),
            "val_acc_curve": [round(float(a), 6) for a in val]}


def deviations(c: Course, kind: str, T: int) -> list[str]:
    """Every setting of one (model, length) that differs from what the student's script ran."""
    course_size = COURSE_SIZES[kind]
    size = c.size(kind, T)
    out = []
    if size.epochs != course_size["epochs"]:
        out.append(f"epochs: {size.epochs:,} (course: {course_size['epochs']:,})")
    if min(size.palindromes, distinct(T)) != min(course_size["palindromes"], distinct(T)):
        out.append(f"palindromes: {min(size.palindromes, distinct(T)):,} (course: "
                   f"{min(course_size['palindromes'], distinct(T)):,})")
    ours = {"hidden": c.hidden, "batch_size": c.batch_size, "lr": c.lr, "clip_norm": c.clip_norm,
            "train_share": c.train_share}
    out += [f"{k}: {ours[k]:g} (course: {v:g})" for k, v in COURSE_TRAIN.items() if ours[k] != v]
    if T not in COURSE_LENGTHS:
        out.append(f"length: T={T} (the report's: {', '.join(map(str, COURSE_LENGTHS))})")
    return out


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Per run: its summary; per variant and length: the per-epoch curves (CSV) and seed means."""
    c = p.course
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, groups = {}, []
    for v, T in configs(c):
        runs, frames = [], []
        for s in c.seeds:
            d = run_dir(v.name, T, s)
            curve = epoch_curve(pd.read_csv(d / HISTORY))
            frames.append(curve.assign(seed=s))
            runs.append({"seed": s, **summarise(curve), **read_json(d / RUN)})
        pd.concat(frames)[["seed", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"]].round(6).to_csv(
            plots / f"{v.name}_T{T}.csv", index=False)
        size = c.size(v.kind, T)
        n_train, n_val = c.split(v.kind, T)
        finals = [r["final_val_acc"] for r in runs]
        key = f"{v.name}/T{T}"
        metrics[key] = {"final_val_acc_mean": round(mean_std(finals)[0], 6),
                        "peak_val_acc_mean": round(mean_std([r["peak_val_acc"] for r in runs])[0], 6),
                        "final_train_loss_mean": round(mean_std([r["final_train_loss"] for r in runs])[0], 6),
                        "n_seeds": len(runs)}
        groups.append({"variant": v.name, "kind": v.kind, "softmax": v.softmax, "drop_last": v.drop_last, "T": T,
                       "palindromes_asked": size.palindromes, "palindromes": n_train + n_val, "distinct": distinct(T),
                       "train": n_train, "val": n_val, "train_used": used(n_train, c.batch_size, v.drop_last),
                       "val_used": used(n_val, c.batch_size, v.drop_last), "epochs": size.epochs,
                       "deviations": deviations(c, v.kind, T), "runs": runs, **metrics[key]})
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "scale": c.scale, "params": asdict(c), "loss_floor": round(double_softmax_floor(), 6),
        "device": read_json(paths.study_models(STUDY) / TRAINED_ON)["device"],
        "course_train": COURSE_TRAIN, "course_sizes": COURSE_SIZES, "course_lengths": list(COURSE_LENGTHS),
        "n_params": {k: count_parameters(CourseNetConfig(k, c.hidden).build()) for k in ("lstm", "rnn")},
        "groups": groups})
    return metrics


STEPS = {
    "train": Step(train, reads=("palindrome.course",)),
    "evaluate": Step(evaluate_study, reads=("palindrome.course",)),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=STUDY)
