"""Stages addition_course_<step>: train the course's binary-addition networks by its protocol
(q3.py@e18535b), then score them by its metric and by the ledger's.

    python -m seqlab.studies.addition.course.steps {train,evaluate}

The runs: MSE at every ``addition.course.hidden``, the course's time-position cross-entropy at
every ``addition.course.ce_hidden``, each at every seed. A run draws all its training batches up
front from a numpy generator seeded by its seed (the same stream for both losses, so an MSE and a
CE run of one size and seed share their data and initial weights), and after each epoch scores
``epoch_test_n`` fresh problems from a second stream of its own: the course's per-epoch test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import Metric, mean_std
from seqlab.models.config import count_parameters
from seqlab.studies.addition.course.measures import (
    ce_ceiling,
    ce_ideal_bit_accuracy,
    ce_loss_floor,
    course_problems,
    decode,
    distinct_problems,
    lowest_set_bit,
    shown_problems,
    thresholded,
)
from seqlab.studies.addition.course.network import CourseAdderConfig, whole_number_correct
from seqlab.studies.addition.course.params import CourseParams, check_pairs, check_show
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "addition_course"  # its outputs: models/addition_course/, reports/addition_course/, ...
MSE, CE = "mse", "time_position_ce"
STREAM, EPOCH_TESTS = 0, 1  # a run's two numpy streams: [seed, STREAM] and [seed, EPOCH_TESTS]
SWEEP, JUDGE, SHOWN = 0, 1, 2  # the evaluation sets' streams: [evaluate.seed, length, set]
COURSE_METRIC = Metric("acc", whole_number_correct)  # fit's name for the metric; CourseStep scores the batches


def configs(c) -> list[tuple[str, int]]:
    """(loss, hidden) of every trained configuration, MSE first."""
    return [(MSE, h) for h in c.hidden] + [(CE, h) for h in c.ce_hidden]


def name(loss: str, hidden: int) -> str:
    return f"{loss}-h{hidden}"


def run_dir(loss: str, hidden: int, seed: int):
    return paths.run_dir(STUDY, name(loss, hidden), seed=seed)


def paired_hidden(c) -> int:
    """The size whose CE and MSE runs the figures set side by side: the course's 5 if both
    losses trained it, else the smallest size both did."""
    both = sorted(set(c.hidden) & set(c.ce_hidden))
    return 5 if 5 in both else both[0]


class CourseStep:
    """The course's update: its loss, backward, Adam at default betas, and no clipping. Its metric,
    the whole-number accuracy of each training batch from the same forward pass (before the
    update), is summed on the device and read once per epoch (:meth:`epoch_accuracy`): the course
    plotted it per epoch, and a per-step series would only cost MLflow 10,000 more points a run."""

    def __init__(self, model: nn.Module, lr: float):
        self.model = model
        # fused: the same Adam update as one kernel over all six tensors, not a loop of small ops
        # (about 15% of a step at this size on a CPU core)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
        self.correct = torch.zeros((), device=next(model.parameters()).device)
        self.seen = 0

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        s, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.correct += whole_number_correct(s.detach(), y).sum()
        self.seen += len(y)
        return {"loss": loss.detach()}

    def epoch_accuracy(self) -> float:
        """The whole-number accuracy over the training batches since the last call: the course's
        train accuracy of an epoch."""
        acc = float(self.correct) / self.seen
        self.correct.zero_()
        self.seen = 0
        return acc


def _tensors(*arrays: np.ndarray, device) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(a).to(device) for a in arrays)


def _train_job(job: tuple) -> RunResult:
    c, loss, hidden, seed = job
    t = c.train
    device = resolve_device(t.device, "addition.course.train.device")
    # Every step's fresh batch, drawn up front from the run's stream: fit's one pass over it in a
    # seeded random order is a sequence of fresh i.i.d. batches, as the course drew them.
    x, y, _ = course_problems(c.L, t.steps * t.batch_size, np.random.default_rng([seed, STREAM]))
    tx, ty, _ = course_problems(c.L, t.epochs * t.epoch_test_n, np.random.default_rng([seed, EPOCH_TESTS]))
    train_set, tests = _tensors(x, y, device=device), _tensors(tx, ty, device=device)
    seed_everything(seed)  # torch's default init, seeded: the same weights for both losses at one size
    net = CourseAdderConfig(hidden, loss).build().to(device)
    update = CourseStep(net, t.lr)

    def epoch_scores(step: int, model: nn.Module) -> dict[str, float]:
        """The course's two accuracies of an epoch: over its training batches, and on its own
        fresh test problems."""
        k = step // t.steps_per_epoch - 1
        xe, ye = (a[k * t.epoch_test_n:(k + 1) * t.epoch_test_n] for a in tests)
        with torch.no_grad():
            s, test_loss = model(xe, ye)
        return {"train_acc": update.epoch_accuracy(), "test_acc": float(whole_number_correct(s, ye).mean()),
                "test_loss": float(test_loss)}

    # clip_norm: FitConfig's field for the default step; CourseStep never clips, as the course did not
    cfg = FitConfig(t.steps, t.batch_size, t.lr, clip_norm=math.inf, eval_every=t.steps_per_epoch)
    hist = fit(net, train_set, None, cfg, seed, name=f"addition course {name(loss, hidden)}", progress=False,
               metric=COURSE_METRIC, step=update, on_eval=epoch_scores)
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, count_parameters(net))


def train(p: CourseParams, tracker=None) -> None:
    """Every (loss, hidden, seed), ``compute.workers`` at a time; each recorded as an MLflow child
    of its configuration's parent run."""
    c = p.course
    check_pairs(c.hidden, c.ce_hidden)
    jobs = [(c, loss, h, s) for loss, h in configs(c) for s in c.train.seeds]
    jobs.sort(key=lambda j: -j[2])  # the widest first, so the last job to start is a short one
    workers = workers_for(resolve_device(c.train.device, "addition.course.train.device"), p.runtime.workers)
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    t = c.train
    for loss, h in configs(c):
        net = CourseAdderConfig(h, loss)
        params = {"protocol": "course", "loss": loss, "hidden": h, "L": c.L, "epochs": t.epochs,
                  "steps_per_epoch": t.steps_per_epoch, "batch_size": t.batch_size, "lr": t.lr,
                  "betas": "0.9, 0.999", "clip_norm": "none", "init": "torch default"}
        with parent_run(tracker, name(loss, h), params) as parent_id:
            for s in t.seeds:
                record_run(run_dir(loss, h, s), net, results[(loss, h, s)], tracker, f"{name(loss, h)}-seed{s}",
                           {**params, "seed": s}, parent_id)


# --- evaluate ---------------------------------------------------------------------------------


@torch.no_grad()
def outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's per-step sigmoid outputs (n, T) on problems x (n, T, 2)."""
    return model(torch.from_numpy(x))[0].numpy()


def epoch_curve(history: pd.DataFrame) -> pd.DataFrame:
    """One row per epoch (an evaluation point ends each): the course's train accuracy (over the
    epoch's training batches), the mean and the last batch's training loss (the course plotted
    the last), and the epoch's fresh test."""
    evals = history.dropna(subset=["test_acc"])
    epoch = np.searchsorted(evals["step"].to_numpy(), history["step"].to_numpy())  # step -> its epoch
    g = history.groupby(epoch)
    return pd.DataFrame({"epoch": np.arange(1, len(evals) + 1), "step": evals["step"].to_numpy(),
                         "train_acc": evals["train_acc"].to_numpy(), "train_loss": g["train_loss"].mean().to_numpy(),
                         "train_loss_last": g["train_loss"].last().to_numpy(),
                         "test_acc": evals["test_acc"].to_numpy(), "test_loss": evals["test_loss"].to_numpy()})


def judge_scores(s: np.ndarray, x: np.ndarray, y: np.ndarray, c: np.ndarray) -> dict:
    """On the judge set: the course's whole-number accuracy, per-bit accuracy, the share of
    decoded predictions equal to c & −c (what the time-position CE trains towards), how many
    outputs per problem are above 0.5 and the share of problems with exactly one; and what the
    first output reads: the share where it is c's bit 0 (a_0 XOR b_0) and where it is a_0 OR b_0
    (a carry out of bit 0 lighting it too)."""
    high = thresholded(s)  # (n, L+1)
    pred = decode(high)
    a0, b0 = x[:, 0, 0].astype(np.int64), x[:, 0, 1].astype(np.int64)
    return {"judge_acc": round(float((pred == c).mean()), 6),
            "judge_bit_acc": round(float((high == y).mean()), 6),
            "lowest_bit_share": round(float((pred == lowest_set_bit(c)).mean()), 6),
            "high_outputs": round(float(high.sum(axis=1).mean()), 4),
            "one_high_share": round(float((high.sum(axis=1) == 1).mean()), 6),
            "step0_xor_share": round(float((high[:, 0] == (a0 ^ b0)).mean()), 6),
            "step0_or_share": round(float((high[:, 0] == (a0 | b0)).mean()), 6)}


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Score every run: its per-epoch curve (the course's train and test accuracy), the course's
    length sweep, and the judge set at the training L; and, for one CE and one MSE model of the
    same size and seed, their per-step outputs on a few problems and their decoded predictions."""
    c = p.course
    e, seeds = c.evaluate, c.train.seeds
    check_pairs(c.hidden, c.ce_hidden)
    check_show(e.show, c.L)
    sweep = {n: course_problems(n, e.sweep_n, np.random.default_rng([e.seed, n, SWEEP]))
             for n in range(1, e.sweep_max_len + 1)}
    jx, jy, jc = course_problems(c.L, e.judge_n, np.random.default_rng([e.seed, c.L, JUDGE]))
    sx, sy, sc = shown_problems(c.L, e.show, np.random.default_rng([e.seed, c.L, SHOWN]))
    pair_h, pair_seed = paired_hidden(c), seeds[0]
    runs, curves, sweeps, shown, decoded = [], [], [], {}, {"c": jc}
    for loss, h in configs(c):
        for seed in seeds:
            d = run_dir(loss, h, seed)
            model, record = CourseAdderConfig.load(d / CHECKPOINT), read_json(d / RUN)
            curve = epoch_curve(pd.read_csv(d / HISTORY))
            curves.append(curve.assign(loss=loss, hidden=h, seed=seed))
            acc = {n: float(whole_number_correct(torch.from_numpy(outputs(model, x)), torch.from_numpy(y)).mean())
                   for n, (x, y, _) in sweep.items()}
            sweeps += [{"loss": loss, "hidden": h, "seed": seed, "length": n, "acc": round(a, 6)} for n, a in acc.items()]
            js = outputs(model, jx)
            last = curve.iloc[-1]
            runs.append({"loss": loss, "hidden": h, "seed": seed, **judge_scores(js, jx, jy, jc),
                         "course_train_acc": round(float(last["train_acc"]), 6),
                         "course_test_acc": round(float(last["test_acc"]), 6),
                         "final_train_loss": round(float(last["train_loss"]), 6),
                         "sweep_acc": {str(n): round(a, 6) for n, a in acc.items()},
                         "n_params": record["n_params"], "train_seconds": record["train_seconds"],
                         "run_id": record["run_id"]})
            if (h, seed) == (pair_h, pair_seed):
                shown[loss] = outputs(model, sx)
                decoded[loss] = decode(thresholded(js))
            if tracker and record["run_id"]:
                tracker.log_metrics(record["run_id"], {k: runs[-1][k] for k in ("judge_acc", "judge_bit_acc",
                                                                                  "lowest_bit_share")})
    groups = summarise(runs, configs(c))
    derived = {"ce_ceiling": {str(n): ce_ceiling(n) for n in sweep}, "ce_loss_floor": ce_loss_floor(c.L),
               "ce_ideal_bit_acc": ce_ideal_bit_accuracy(c.L), "distinct_problems": distinct_problems(c.L),
               # the ceiling on this judge set: the share of its sums that c & −c gets right (0 and powers of two)
               "judge_ce_ceiling": round(float((lowest_set_bit(jc) == jc).mean()), 6)}
    metrics = {**{k: {m: g[m] for m in ("judge_acc_mean", "judge_acc_std", "judge_bit_acc_mean",
                                         "course_test_acc_mean", "lowest_bit_share_mean")} for k, g in groups.items()},
               "ce_ceiling": round(ce_ceiling(c.L), 6), "ce_loss_floor": round(ce_loss_floor(c.L), 6)}

    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    cols = ["loss", "hidden", "seed", "epoch", "step", "train_acc", "train_loss", "train_loss_last", "test_acc",
            "test_loss"]
    pd.concat(curves)[cols].round(6).to_csv(plots / "curves.csv", index=False)
    pd.DataFrame(sweeps).to_csv(plots / "sweep.csv", index=False)
    rows = [{"problem": i, "c": int(sc[i]), "a": int(sx[i, :, 0] @ 2 ** np.arange(c.L + 1)), "step": t,
             "target": int(sy[i, t]), **{loss: round(float(shown[loss][i, t]), 6) for loss in (MSE, CE)}}
            for i in range(len(sc)) for t in range(c.L + 1)]
    pd.DataFrame(rows).to_csv(plots / "outputs.csv", index=False)
    pd.DataFrame(decoded).to_csv(plots / "decoded.csv", index=False)

    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {
        "params": {"L": c.L, "hidden": list(c.hidden), "ce_hidden": list(c.ce_hidden),
                   "train": {**c.train.__dict__, "seeds": list(seeds), "steps": c.train.steps},
                   "evaluate": dict(e.__dict__)},
        "derived": derived, "groups": groups, "runs": runs,
        "shown": {"hidden": pair_h, "seed": pair_seed, "c": sc.tolist(),
                  "outputs": {loss: np.round(v, 4).tolist() for loss, v in shown.items()}},
    })
    return metrics


def summarise(runs: list[dict], configs_: list[tuple[str, int]]) -> dict:
    """Per configuration: each measure's per-seed values, mean and std over seeds."""
    out = {}
    for loss, h in configs_:
        rs = [r for r in runs if (r["loss"], r["hidden"]) == (loss, h)]
        g = {"loss": loss, "hidden": h, "seeds": [r["seed"] for r in rs]}
        for m in ("judge_acc", "judge_bit_acc", "lowest_bit_share", "high_outputs", "one_high_share", "step0_xor_share",
                  "step0_or_share", "course_train_acc", "course_test_acc", "final_train_loss"):
            mean, std = mean_std([r[m] for r in rs])
            g |= {m: [r[m] for r in rs], f"{m}_mean": round(mean, 6), f"{m}_std": round(std, 6)}
        out[name(loss, h)] = g
    return out


STEPS = {
    "train": Step(train, reads=("addition.course.L", "addition.course.hidden", "addition.course.ce_hidden",
                                "addition.course.train")),
    "evaluate": Step(evaluate_study, reads=("addition.course.L", "addition.course.hidden", "addition.course.ce_hidden",
                                            "addition.course.train", "addition.course.evaluate")),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=STUDY)
