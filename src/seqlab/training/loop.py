"""The one training loop: batches, a step per batch, periodic validation, early stopping.

What happens to one batch is a *step*. The default, :class:`SupervisedStep`, is what every
classifier and regressor here trains with: the model returns (output, loss), then backward,
gradient clipping and an Adam update. A study with another update rule (a GAN's two
optimizers) passes its own step to :func:`fit` and keeps the loop's batching, validation,
early stopping and :class:`History`, and with them the run records of ``training.runs``.

The loop owns no logging backend: it returns the history, and tracking happens after.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from seqlab.judging.metrics import ACCURACY, Metric


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class FitConfig:
    steps: int
    batch_size: int
    lr: float
    clip_norm: float
    eval_every: int
    eval_batch_size: int = 4096
    weight_decay: float = 0.0  # Adam's L2 penalty (torch adds weight_decay * w to the gradient)
    # Early stopping: end the run once the validation metric has reached this value at
    # ``stop_after`` validation points in a row (None: always run every step). Used where a
    # solved task would only burn CPU. 1 stops at the first such point; more waits until the
    # run has *held* it, so that a run which reaches the target and falls back is not cut off
    # at its peak (a vanilla RNN can hold 100% for 1,300 steps, then collapse).
    stop_at: float | None = None
    stop_after: int = 1

    def __post_init__(self):
        if self.stop_after < 1:
            raise ValueError(f"stop_after must be >= 1, got {self.stop_after}")


@dataclass
class History:
    """What a run measured. ``train`` holds one value per step for each scalar the step
    returned ("loss" first); ``evals`` one value per validation point for each series:
    val_<metric>, val_loss, the same for each monitored set, then what ``on_eval`` returned."""

    metric: str = ACCURACY.name
    train: dict[str, list[float]] = field(default_factory=dict)
    eval_step: list[int] = field(default_factory=list)
    evals: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the loop, validation included
    samples: int = 0  # training examples processed (steps x batch size, short last batches counted as such)
    stopped_early: bool = False

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else 0.0

    @property
    def train_loss(self) -> list[float]:
        return self.train["loss"]

    @property
    def val_metric(self) -> list[float]:
        return self.evals[f"val_{self.metric}"]


class Step(Protocol):
    """One update from one batch. Returns its scalars as 0-d tensors: "loss" (checked for
    divergence, drawn as the training loss) and any others (recorded as train_<name>)."""

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]: ...


class SupervisedStep:
    """forward -> loss -> backward -> clip -> Adam, and the task's metric on the batch.

    Nothing here reads a value back to the host: on a GPU that would stall the queue every step.
    A non-finite loss still updates the weights, and the loop raises at its next read-back, naming
    the step where it first appeared."""

    def __init__(self, model: nn.Module, cfg: FitConfig, metric: Metric = ACCURACY):
        self.model, self.metric, self.clip_norm = model, metric, cfg.clip_norm
        self.opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        output, loss = self.model(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        # Clipping bounds the rare exploding-gradient step of the vanilla RNN (Pascanu et al. 2013).
        nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
        self.opt.step()
        return {"loss": loss.detach(), self.metric.name: self.metric.per_sample(output.detach(), y).mean()}


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, metric: Metric = ACCURACY,
             batch_size: int = 4096) -> tuple[float, float]:
    """(metric, loss), each averaged over every sample of (x, y), in eval mode."""
    was_training = model.training
    model.eval()
    total, loss_sum = 0.0, 0.0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        out, loss = model(xb, yb)
        total += metric.per_sample(out, yb).sum().item()
        loss_sum += loss.item() * len(xb)  # the model's loss is a batch mean
    model.train(was_training)
    return total / len(x), loss_sum / len(x)


def batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device | str = "cpu"):
    """Endless mini-batch indices: a fresh permutation each epoch, from the run's own generator
    (on the CPU, so the order is the same on every device), moved to ``device`` once per epoch."""
    while True:
        perm = torch.randperm(n, generator=generator).to(device)
        for i in range(0, n, batch_size):
            yield perm[i : i + batch_size]


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor] | None,
    cfg: FitConfig,
    seed: int,
    name: str = "model",
    progress: bool = True,
    metric: Metric = ACCURACY,
    monitor: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
    step: Step | None = None,
    on_eval: Callable[[int, nn.Module], dict[str, float] | None] | None = None,
) -> History:
    """Train ``model`` for ``cfg.steps`` steps and return its history.

    Args:
        model: with the default step, returns (output, loss) from forward(x, targets).
        train, val: (inputs, targets) tensors, already on the model's device. ``val`` may be
            None for a step that has no validation set (then ``stop_at`` cannot apply).
        cfg: the schedule (steps, batch size, validation interval) and the default step's
            optimiser settings.
        seed: seeds the batch order (model init is the caller's, before building it).
        name: named in the error if the loss diverges.
        progress: show a tqdm bar (hidden automatically when stderr is not a terminal).
        metric: scores each batch and the validation set.
        monitor: more held-out sets (e.g. {"test": (x, y)}) scored at every validation point,
            so their curves can be drawn. Nothing is chosen on them: early stopping reads
            the validation set only.
        step: the update for one batch; default :class:`SupervisedStep` (Adam).
        on_eval: called with (step, model) at every validation point; the scalars it returns
            are recorded in ``History.evals`` beside the validation series.

    Raises:
        TrainingDiverged: the loss became NaN or infinite; the message names the model,
            the seed and the step.
    """
    if cfg.stop_at is not None and val is None:
        raise ValueError("early stopping (stop_at) needs a validation set")
    x, y = train
    generator = torch.Generator().manual_seed(seed)
    order = batches(len(x), cfg.batch_size, generator, x.device)
    update = step if step is not None else SupervisedStep(model, cfg, metric)
    held_out = ({"val": val} if val is not None else {}) | (monitor or {})  # scored in this order
    hist = History(metric=metric.name)
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"{name} seed={seed}", disable=None if progress else True,
               mininterval=1.0, leave=False)
    # Each step's scalars stay on the device until the next validation point, then come back in
    # one read (one host sync per eval_every steps, not one per step).
    pending: dict[str, list[torch.Tensor]] = {}
    first_pending = 1
    held = 0  # validation points in a row at or past stop_at
    for i in bar:
        idx = next(order)
        for key, value in update(x[idx], y[idx]).items():
            pending.setdefault(key, []).append(value)
        hist.samples += len(idx)
        if i % cfg.eval_every == 0 or i == cfg.steps:
            _read_back(pending, hist, first_pending, name, seed)
            pending, first_pending = {}, i + 1
            hist.eval_step.append(i)
            shown = {"loss": f"{np.mean(hist.train_loss[-cfg.eval_every:]):.3f}"}
            for set_name, (xs, ys) in held_out.items():
                value, loss = evaluate(model, xs, ys, metric=metric, batch_size=cfg.eval_batch_size)
                hist.evals.setdefault(f"{set_name}_{metric.name}", []).append(value)
                hist.evals.setdefault(f"{set_name}_loss", []).append(loss)
            if on_eval is not None:
                for key, value in (on_eval(i, model) or {}).items():
                    hist.evals.setdefault(key, []).append(value)
            if val is not None:
                shown[f"val_{metric.name}"] = f"{hist.val_metric[-1]:.3f}"
            bar.set_postfix(shown)
            if cfg.stop_at is not None:
                held = held + 1 if metric.reached(hist.val_metric[-1], cfg.stop_at) else 0
                if held >= cfg.stop_after:
                    hist.stopped_early = i < cfg.steps
                    break
    hist.seconds = time.perf_counter() - start
    return hist


def _read_back(pending: dict[str, list[torch.Tensor]], hist: History, first_step: int, name: str, seed: int) -> None:
    """Append the steps' scalars to ``hist.train`` in one device-to-host read; raise on the first
    non-finite loss, naming its step."""
    if not pending:
        return
    values = torch.stack([torch.stack(v).double() for v in pending.values()]).cpu().numpy()  # (scalars, steps)
    losses = values[list(pending).index("loss")]
    bad = np.flatnonzero(~np.isfinite(losses))
    if bad.size:
        raise TrainingDiverged(f"{name}: loss became {losses[bad[0]]} at seed {seed}, step {first_step + bad[0]}")
    for key, row in zip(pending, values):
        hist.train.setdefault(key, []).extend(row.tolist())


def resolve_device(name: str, key: str) -> torch.device:
    """'auto' picks CUDA when it is there; ``key`` is the params key named in the error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{key} is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)
