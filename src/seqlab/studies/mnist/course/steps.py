"""Stages mnist_course_<step>: train the EE6132 course's nine row-by-row classifiers as its q1.py
ran them, on the splits mnist_generate wrote, and score them.

    python -m seqlab.studies.mnist.course.steps {train,evaluate}

Each run: ``mnist.course.steps`` Adam updates (no weight decay, no clipping) on batches of the
training split, reshuffled every pass (q1.py's DataLoader, shuffle=True); after the updates the
course logged (its ``if step % 50 == 0``, 0-based, after the update: updates 1, 51, ..., 901) and
after the last, the test split is scored (the course's curves: test accuracy, that step's training
loss, test loss) and the validation split beside it (recorded, so nothing needs choosing on test).
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import DataError, ParamsError
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import ACCURACY
from seqlab.models.config import count_parameters
from seqlab.studies.mnist.course.network import CourseNetConfig, GATES, frozen_elements
from seqlab.studies.mnist.course.params import COURSE_RUN, STUDY, Course, CourseParams, layout_label, run_name
from seqlab.tasks import mnist
from seqlab.training.loop import FitConfig, History, evaluate, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

MNIST = "mnist"  # the study whose splits (data/mnist, stage mnist_generate) the course's runs read
HELD_OUT = ("test", "val")  # scored in this order at every point: the course's split, then the one it lacked
CURVE = ["seed", "step", "train_loss", "test_acc", "test_loss", "val_acc", "val_loss"]


def data_dir():
    return paths.study_data(MNIST)


def run_dir(kind: str, layout: tuple[int, ...], seed: int):
    return paths.run_dir(STUDY, run_name(kind, layout), seed=seed)


def course_points(steps: int, every: int) -> list[int]:
    """The updates after which the held-out sets are scored: q1.py's 0-based steps 0, every,
    2 every, ... (after their update: updates 1, 1 + every, ...), and the last update."""
    return sorted({*range(1, steps + 1, every), steps})


class CourseStep:
    """q1.py's update: forward, cross-entropy, backward, Adam (no weight decay, no clipping: the
    course had neither); and at each of its logged steps, after the update, the held-out sets
    scored whole, in eval mode (no dropout here, so as the course scored them in train mode)."""

    def __init__(self, model: nn.Module, lr: float, points: list[int],
                 held_out: dict[str, tuple[torch.Tensor, torch.Tensor]], eval_batch_size: int):
        self.model, self.points, self.held_out, self.eval_batch_size = model, set(points), held_out, eval_batch_size
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)  # betas (0.9, 0.999): torch's default, q1.py's
        self.updates = 0
        self.scores: dict[int, dict[str, float]] = {}

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.updates += 1
        if self.updates in self.points:
            self.scores[self.updates] = self.score()
        return {"loss": loss.detach(), "acc": ACCURACY.per_sample(logits.detach(), y).mean()}

    def score(self) -> dict[str, float]:
        out = {}
        for name, (x, y) in self.held_out.items():
            out[f"{name}_acc"], out[f"{name}_loss"] = evaluate(self.model, x, y, ACCURACY, self.eval_batch_size)
        return out

    def record(self, hist: History) -> History:
        """Put the step's scores in the run's history as its evaluation points (fit, handed no
        held-out set, scored nothing itself)."""
        hist.eval_step = sorted(self.scores)
        hist.evals = {key: [self.scores[s][key] for s in hist.eval_step] for key in self.scores[hist.eval_step[0]]}
        return hist


# --- train ------------------------------------------------------------------------------------


def _train_job(job: tuple[Course, str, tuple[int, ...], int]) -> RunResult:
    c, kind, layout, seed = job
    device = resolve_device(c.device, "mnist.course.device")
    x, y = (t.to(device) for t in mnist.load_split(data_dir(), "train"))
    held_out = {split: tuple(t.to(device) for t in mnist.load_split(data_dir(), split)) for split in HELD_OUT}
    seed_everything(seed)  # the initial weights (the frozen map's too) depend on the seed alone
    net = CourseNetConfig(kind, layout).build().to(device)
    step = CourseStep(net, c.lr, course_points(c.steps, c.eval_every), held_out, c.eval_batch_size)
    # fit batches (a fresh seeded permutation per pass over the split) and reads the losses back;
    # it scores nothing itself (eval_every = steps, no validation set): the step does, at the
    # course's points. clip_norm is the default step's, never used here.
    cfg = FitConfig(steps=c.steps, batch_size=c.batch_size, lr=c.lr, clip_norm=math.inf, eval_every=c.steps)
    hist = fit(net, (x, y), None, cfg, seed, name=f"mnist course {run_name(kind, layout)}", progress=False, step=step)
    return RunResult(step.record(hist), {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def _cost(job: tuple) -> float:
    """Rough relative cost of a run, to start the longest first: torch runs the GRU op by op on a
    CPU, about 1.5x an LSTM of the same size (the protocol notes' timings)."""
    _, kind, layout, _ = job
    width = layout[-2] if len(layout) > 1 else 28
    return GATES[kind] * layout[-1] * (width + layout[-1]) * (1.5 if kind == "gru" else 1.0)


def train(p: CourseParams, tracker=None) -> None:
    """Every kind x layout x seed, ``compute.workers`` at a time, longest first; one MLflow parent
    run with a child per run."""
    c = p.course
    meta = mnist.load_meta(data_dir())
    if c.batch_size > meta["sizes"]["train"]:
        raise ParamsError(f"params.yaml: 'mnist.course.batch_size' is {c.batch_size}, more than the "
                          f"{meta['sizes']['train']} training images in {data_dir()}")
    jobs = sorted(((c, k, lay, s) for k in c.kinds for lay in c.layouts for s in c.seeds), key=lambda j: -_cost(j))
    workers = workers_for(resolve_device(c.device, "mnist.course.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    write_json(paths.study_models(STUDY) / "train.json", {"workers": workers})  # how many runs shared the machine
    params = {"protocol": "course", "source": meta["source"], "n_train": meta["sizes"]["train"], "steps": c.steps,
              "batch_size": c.batch_size, "lr": c.lr, "weight_decay": 0.0, "clip_norm": "none",
              "eval_every": c.eval_every}
    with parent_run(tracker, "course", params) as parent_id:
        for kind in c.kinds:
            for layout in c.layouts:
                cfg = CourseNetConfig(kind, layout)
                for seed in c.seeds:
                    record_run(run_dir(kind, layout, seed), cfg, results[(kind, layout, seed)], tracker,
                               f"{run_name(kind, layout)}-seed{seed}",
                               {**params, "kind": kind, "layout": layout_label(layout), "seed": seed,
                                "frozen_elements": frozen_elements(layout)}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


def run_curve(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A run's history (one row per update) -> its scored points: the test and validation scores
    and that update's training-batch loss (the course's "Loss (train)")."""
    rows = frame.dropna(subset=["test_acc"]).assign(seed=seed)
    return rows[CURVE].reset_index(drop=True)


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Each run's final model re-scored from its checkpoint on the test and validation splits;
    per model the seeds' test accuracies and their mean; every run's curve (CSV)."""
    c = p.course
    device = resolve_device(c.device, "mnist.course.device")
    meta = mnist.load_meta(data_dir())
    sets = {split: tuple(t.to(device) for t in mnist.load_split(data_dir(), split)) for split in HELD_OUT}
    n_test = len(sets["test"][1])
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    runs, models = [], []
    last_course_step = max(range(1, c.steps + 1, c.eval_every))  # the course's last plotted point
    for kind in c.kinds:
        for layout in c.layouts:
            name, per_seed, curves = run_name(kind, layout), [], []
            for seed in c.seeds:
                d = run_dir(kind, layout, seed)
                config, _ = CourseNetConfig.read(d / CHECKPOINT)
                if (config.kind, config.layout) != (kind, layout):
                    raise DataError(f"{d} holds a {config.kind} {config.layout} model: re-run mnist_course_train")
                model = CourseNetConfig.load(d / CHECKPOINT, device)
                scores = {split: evaluate(model, x, y, ACCURACY, c.eval_batch_size) for split, (x, y) in sets.items()}
                run = read_json(d / RUN)
                curve = run_curve(pd.read_csv(d / HISTORY), seed)
                curves.append(curve)
                at = curve.set_index("step")
                row = {"name": name, "kind": kind, "layout": list(layout), "label": layout_label(layout), "seed": seed,
                       "test_acc": round(scores["test"][0], 6), "test_loss": round(scores["test"][1], 6),
                       "val_acc": round(scores["val"][0], 6),
                       "course_last_step": last_course_step,
                       "course_last_test_acc": round(float(at.loc[last_course_step, "test_acc"]), 6),
                       "parameters": run["n_params"], "frozen_elements": frozen_elements(layout),
                       "steps": run["steps_run"], "train_seconds": run["train_seconds"],
                       "steps_per_second": round(run["steps_run"] / run["train_seconds"], 2), "run_id": run["run_id"]}
                runs.append(row)
                per_seed.append(row)
                if tracker and run["run_id"]:
                    tracker.log_metrics(run["run_id"], {k: row[k] for k in ("test_acc", "val_acc", "steps_per_second")})
            pd.concat(curves).round(6).to_csv(plots / f"{name}.csv", index=False)
            accs = [r["test_acc"] for r in per_seed]
            models.append({"name": name, "kind": kind, "layout": list(layout), "label": layout_label(layout),
                           "test_acc": round(sum(accs) / len(accs), 6), "test_acc_seeds": accs,
                           "val_acc": round(sum(r["val_acc"] for r in per_seed) / len(per_seed), 6),
                           "parameters": per_seed[0]["parameters"], "frozen_elements": frozen_elements(layout)})
    metrics = {m["name"]: {"test_acc": m["test_acc"], "val_acc": m["val_acc"]} for m in models}
    metrics["n_test"] = n_test  # each test_acc's binomial error: sqrt(p (1 - p) / n_test)
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "data": {"source": meta["source"], "sizes": meta["sizes"], "full": meta["full"]},
        "params": {"kinds": list(c.kinds), "layouts": [list(lay) for lay in c.layouts], "steps": c.steps,
                   "batch_size": c.batch_size, "lr": c.lr, "eval_every": c.eval_every, "seeds": list(c.seeds)},
        "course_run": COURSE_RUN, "points": course_points(c.steps, c.eval_every), "n_test": n_test,
        "n_val": len(sets["val"][1]), "workers": read_json(paths.study_models(STUDY) / "train.json")["workers"],
        "models": models, "runs": runs})
    return metrics


STEPS = {
    "train": Step(train, reads=("mnist.course",)),
    "evaluate": Step(evaluate_study, reads=("mnist.course",)),  # the protocol's settings go into results.json
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=STUDY)
