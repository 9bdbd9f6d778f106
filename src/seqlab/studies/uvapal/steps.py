"""Stages uvapal_<step>: train the UvA course's palindrome networks on its binary palindromes, as
the course ran them and corrected, and summarise the runs.

    python -m seqlab.studies.uvapal.steps {train,evaluate}

The runs (``uvapal.protocols``), each at every ``uvapal.lengths`` and seed unless stated:

    course       the course's protocol: log-softmax over the batch axis (its bug), forget bias 0,
                 Adam at train.lr, every model
    corrected    the same, with log-softmax over the classes: the only change
    forget_bias  the course's, with the forget bias at ablation.forget_bias: the LSTM at ablation.T
    lr           the course's, with Adam at ablation.lr: the LSTM at ablation.T

Each run draws a fresh batch for every step from a generator seeded by the run's seed (the same
stream for every protocol, so their runs are paired), and scores a fixed held-out set, drawn
the same way from uvapal.heldout.seed, every ``eval_every`` steps. No data stage: the stream is
the run's, as in the course, and is regenerated bit for bit from its seed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import ParamsError
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import Metric, mean_std, steps_held, steps_to
from seqlab.models.config import count_parameters
from seqlab.studies.uvapal.network import CourseNetConfig, course_predictions
from seqlab.studies.uvapal.params import Size, UvaParams
from seqlab.tasks.binary_palindrome import MAJORITY, BinaryPalindromeTask
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "uvapal"
COURSE_LOG_EVERY = 60  # the course printed (and plotted) its training-batch accuracy every 60 steps


@dataclass(frozen=True)
class Protocol:
    name: str
    loss_axis: str  # batch: the course's bug; classes: corrected
    forget_bias: float
    lr: float
    models: tuple[str, ...]
    lengths: tuple[int, ...]


def size(p: UvaParams) -> Size:
    return p.small if p.scale == "small" else p.course


def protocols(p: UvaParams) -> list[Protocol]:
    t, a = p.train, p.ablation
    every = {"course": Protocol("course", "batch", t.forget_bias, t.lr, p.models, p.lengths),
             "corrected": Protocol("corrected", "classes", t.forget_bias, t.lr, p.models, p.lengths),
             "forget_bias": Protocol("forget_bias", "batch", a.forget_bias, t.lr, ("lstm",), (a.T,)),
             "lr": Protocol("lr", "batch", t.forget_bias, a.lr, ("lstm",), (a.T,))}
    return [every[name] for name in p.protocols]


def run_dir(protocol: str, model: str, T: int, seed: int) -> Path:
    return paths.run_dir(STUDY, protocol, model, f"T{T}", seed=seed)


def heldout(p: UvaParams, T: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = BinaryPalindromeTask(T).sample(np.random.default_rng([p.heldout.seed, T]), p.heldout.n)
    return torch.from_numpy(x), torch.from_numpy(y)


def course_metric(loss_axis: str) -> Metric:
    """The course's accuracy: its own predictions (argmax over the classes of its log-softmax) on
    a batch. With the bug each prediction depends on its batch, so the loop scores held-out data
    in batches of the training batch size (FitConfig.eval_batch_size)."""
    return Metric("acc", partial(_course_correct, loss_axis))


def _course_correct(loss_axis: str, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (course_predictions(logits, loss_axis) == y).float()  # (B,)


class CourseStep:
    """The course's update: its loss (the model's), backward, clip_grad_norm_, Adam; and its
    metric, the accuracy of its own predictions on this training batch, before the update."""

    def __init__(self, model: nn.Module, lr: float, clip_norm: float):
        self.model, self.clip_norm = model, clip_norm
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
        self.opt.step()
        return {"loss": loss.detach(), "acc": _course_correct(self.model.cfg.loss_axis, logits.detach(), y).mean()}


def _per_example(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Held-out accuracy of each sample's own argmax over its two logits: the network as a
    classifier of one sequence, whatever else is in its batch."""
    with torch.no_grad():
        return float((model(x)[0].argmax(dim=1) == y).float().mean())


def _train_job(job: tuple[UvaParams, Protocol, str, int, int]) -> RunResult:
    p, proto, model, T, seed = job
    t, s = p.train, size(p)
    device = resolve_device(t.device, "uvapal.train.device")
    task = BinaryPalindromeTask(T)
    # Every step's fresh batch, drawn up front from the run's stream: fit's one pass over it in a
    # seeded random order is a sequence of fresh i.i.d. batches, as the course drew them.
    x, y = task.sample(np.random.default_rng(seed), t.steps * s.batch_size)
    train_set = (torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))
    val = tuple(a.to(device) for a in heldout(p, T))
    seed_everything(seed)  # the initial weights depend on the seed alone
    net = CourseNetConfig(model, s.hidden, proto.forget_bias, proto.loss_axis).build().to(device)
    cfg = FitConfig(t.steps, s.batch_size, proto.lr, t.clip_norm, t.eval_every, eval_batch_size=s.batch_size,
                    stop_at=p.evaluate.target_acc if t.stop_early else None)
    hist = fit(net, train_set, val, cfg, seed, name=f"uvapal {proto.name} {model} T={T}", progress=False,
               metric=course_metric(proto.loss_axis), step=CourseStep(net, proto.lr, t.clip_norm),
               on_eval=lambda _, m: {"val_example_acc": _per_example(m, *val)})
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def _check(p: UvaParams) -> None:
    for T in (*p.lengths, p.ablation.T):
        if T % 2:
            raise ParamsError(f"params.yaml: 'uvapal.lengths' and 'uvapal.ablation.T' must be even (an odd T's "
                              f"longest palindrome exceeds the course's 4T+2 symbols), got {T}")
    batch = size(p).batch_size
    if p.heldout.n % batch:
        raise ParamsError(f"params.yaml: 'uvapal.heldout.n' ({p.heldout.n}) must be a multiple of the batch size "
                          f"({batch}, uvapal.{p.scale}.batch_size): the course's metric scores whole batches")


def train(p: UvaParams, tracker=None) -> None:
    """Every protocol's runs, ``compute.workers`` at a time, longest sequences first."""
    _check(p)
    protos = protocols(p)
    jobs = sorted([(p, pr, m, T, seed) for pr in protos for m in pr.models for T in pr.lengths for seed in p.train.seeds],
                  key=lambda j: (-j[3], j[2] != "lstm"))  # the LSTM's masked loop is the slowest
    workers = workers_for(resolve_device(p.train.device, "uvapal.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    s, t = size(p), p.train
    for pr in protos:
        for m in pr.models:
            for T in pr.lengths:
                net = CourseNetConfig(m, s.hidden, pr.forget_bias, pr.loss_axis)
                params = {"protocol": pr.name, "model": m, "T": T, "scale": p.scale, **asdict(net),
                          "batch_size": s.batch_size, "steps": t.steps, "lr": pr.lr, "clip_norm": t.clip_norm}
                with parent_run(tracker, f"{pr.name}-{m}-T{T}", params) as parent_id:
                    for seed in t.seeds:
                        record_run(run_dir(pr.name, m, T, seed), net, results[(pr, m, T, seed)], tracker,
                                   f"{pr.name}-{m}-T{T}-seed{seed}", {**params, "seed": seed}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def course_points(frame: pd.DataFrame) -> pd.DataFrame:
    """The training-batch accuracy where the course logged it: its steps 0, 60, 120, ... (0-based),
    our steps 1, 61, 121, ... The course's figures and claims rest on these points."""
    rows = frame[(frame["step"] - 1) % COURSE_LOG_EVERY == 0]
    return pd.DataFrame({"step": rows["step"].to_numpy() - 1, "course_acc": rows["train_acc"].to_numpy()})


def summarise(frame: pd.DataFrame, target: float) -> dict:
    """One run's numbers. It *solved* the task at the first held-out evaluation where the course's
    metric reached the target (where a run with stop_early ends). Before that, the level the
    course's own curve sat at: the median of its logged training-batch accuracies."""
    pts = course_points(frame)
    val = frame.dropna(subset=["val_acc"])
    solved = steps_to(val, "val_acc", target)
    before = pts if solved is None else pts[pts["step"] < solved]
    return {
        "solved_at": solved,
        "course_held": steps_held(pts.rename(columns={"course_acc": "v"}), "v", target),
        "pre_solve_steps": int(before["step"].iloc[-1]) if len(before) else 0,
        "pre_solve_median": round(float(before["course_acc"].median()), 6) if len(before) else None,
        "heldout_final": round(float(val["val_acc"].iloc[-1]), 6),
        "heldout_example_final": round(float(val["val_example_acc"].iloc[-1]), 6),
        "heldout_example_reached": steps_to(val, "val_example_acc", target),
    }


def evaluate_study(p: UvaParams, tracker=None) -> dict:
    """Per run: its summary; per protocol, model and length: the per-seed curves (CSV) and means."""
    target = p.evaluate.target_acc
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, groups = {}, []
    for pr in protocols(p):
        for m in pr.models:
            for T in pr.lengths:
                runs, frames = [], []
                for seed in p.train.seeds:
                    d = run_dir(pr.name, m, T, seed)
                    frame = pd.read_csv(d / HISTORY)
                    runs.append({"seed": seed, **summarise(frame, target), **read_json(d / RUN)})
                    pts = course_points(frame)
                    val = frame.dropna(subset=["val_acc"])
                    frames.append(pts.merge(val[["step", "val_acc", "val_example_acc"]], on="step",
                                            how="outer").assign(seed=seed))
                key = f"{pr.name}/{m}/T{T}"
                curves = pd.concat(frames).sort_values(["seed", "step"])
                curves[["seed", "step", "course_acc", "val_acc", "val_example_acc"]].round(6).to_csv(
                    plots / f"{pr.name}_{m}_T{T}.csv", index=False)
                heldouts = mean_std([r["heldout_final"] for r in runs])
                examples = mean_std([r["heldout_example_final"] for r in runs])
                metrics[key] = {"heldout_final_mean": round(heldouts[0], 6), "heldout_example_final_mean": round(examples[0], 6),
                                "seeds_solved": sum(r["solved_at"] is not None for r in runs), "n_seeds": len(runs)}
                groups.append({"protocol": asdict(pr), "model": m, "T": T, "runs": runs, **metrics[key]})
    s = size(p)
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "scale": p.scale, "hidden": s.hidden, "batch_size": s.batch_size, "steps": p.train.steps,
        "target_acc": target, "majority": MAJORITY, "course_log_every": COURSE_LOG_EVERY,
"heldout_n": p.heldout.n, "groups": groups})
    return metrics


STEPS = {
    "train": Step(train, reads=("uvapal.scale", "uvapal.small", "uvapal.course", "uvapal.models", "uvapal.lengths",
                                "uvapal.protocols", "uvapal.train", "uvapal.heldout", "uvapal.ablation",
                                "uvapal.evaluate.target_acc")),
    "evaluate": Step(evaluate_study, reads=("uvapal.scale", "uvapal.small", "uvapal.course", "uvapal.models",
                                            "uvapal.lengths", "uvapal.protocols", "uvapal.train", "uvapal.ablation",
                                            "uvapal.heldout.n", "uvapal.evaluate")),
}

if __name__ == "__main__":
    run_stage(__doc__, UvaParams, STEPS, experiment=STUDY)
