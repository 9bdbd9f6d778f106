"""The one training loop: Adam, gradient clipping, periodic validation, callbacks for logging.

Models return (output, loss). A task says how to score an output with a :class:`Metric`
(accuracy for classifiers, MSE for regression, bit accuracy for binary addition), so every
study trains through the same loop. The loop owns no logging backend: a callback receives each
validation point, and the full history comes back at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class Metric:
    """How a task scores a model's output: per-sample scores, averaged over the samples."""

    name: str  # "acc", "mse", "bit_acc": the column and MLflow key suffix
    per_sample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (output, targets) -> (B,)
    higher_is_better: bool = True

    def reached(self, value: float, target: float) -> bool:
        return value >= target if self.higher_is_better else value <= target


def _class_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(-1) == targets).float()  # (B, C), (B,) -> (B,)


ACCURACY = Metric("acc", _class_accuracy)


@dataclass(frozen=True)
class FitConfig:
    steps: int
    batch_size: int
    lr: float
    clip_norm: float
    eval_every: int
    eval_batch_size: int = 4096
    weight_decay: float = 0.0  # Adam's L2 penalty (torch adds weight_decay * w to the gradient)
    # Early stopping: end the run at the first validation point whose metric reaches this
    # value (None: always run every step). Used where a solved task would only burn CPU.
    stop_at: float | None = None


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)  # one per step, steps 1..N
    train_metric: list[float] = field(default_factory=list)  # the task's metric on each batch
    eval_step: list[int] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    # Held-out sets scored at each validation point as well, for curves only: name -> values.
    monitor_metric: dict[str, list[float]] = field(default_factory=dict)
    monitor_loss: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    stopped_early: bool = False


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


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    return evaluate(model, x, y, ACCURACY, batch_size)[0]


def batches(n: int, batch_size: int, generator: torch.Generator):
    """Endless mini-batch indices: a fresh permutation each epoch, from the run's own generator."""
    while True:
        perm = torch.randperm(n, generator=generator)
        for i in range(0, n, batch_size):
            yield perm[i : i + batch_size]


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    cfg: FitConfig,
    seed: int,
    name: str = "model",
    on_eval: Callable[[int, float], None] | None = None,
    progress: bool = True,
    metric: Metric = ACCURACY,
    monitor: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> History:
    """Train ``model`` for ``cfg.steps`` Adam steps and return its history.

    Args:
        model: returns (output, loss) from forward(x, targets).
        train, val: (inputs, targets) tensors, already on the model's device.
        cfg: optimisation settings.
        seed: seeds the batch order (model init is the caller's, before building it).
        name: named in the error if the loss diverges.
        on_eval: called with (step, val_metric) at every validation point.
        progress: show a tqdm bar (hidden automatically when stderr is not a terminal).
        metric: scores each batch and the validation set.
        monitor: more held-out sets (e.g. {"test": (x, y)}) scored at every validation point,
            so their curves can be drawn. Nothing is chosen on them: early stopping reads
            the validation set only.

    Raises:
        TrainingDiverged: the loss became NaN or infinite; the message names the model,
            the seed and the step.
    """
    x, y = train
    generator = torch.Generator().manual_seed(seed)
    order = batches(len(x), cfg.batch_size, generator)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    hist = History()
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"{name} seed={seed}", disable=None if progress else True,
               mininterval=1.0, leave=False)
    for step in bar:
        idx = next(order).to(x.device)
        output, loss = model(x[idx], y[idx])
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"{name}: loss became {loss.item()} at seed {seed}, step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # Clipping bounds the rare exploding-gradient step of the vanilla RNN (Pascanu et al. 2013).
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
        opt.step()
        hist.train_loss.append(loss.item())
        hist.train_metric.append(metric.per_sample(output.detach(), y[idx]).mean().item())
        if step % cfg.eval_every == 0 or step == cfg.steps:
            value, val_loss = evaluate(model, *val, metric=metric, batch_size=cfg.eval_batch_size)
            hist.eval_step.append(step)
            hist.val_metric.append(value)
            hist.val_loss.append(val_loss)
            for set_name, held_out in (monitor or {}).items():
                m_value, m_loss = evaluate(model, *held_out, metric=metric, batch_size=cfg.eval_batch_size)
                hist.monitor_metric.setdefault(set_name, []).append(m_value)
                hist.monitor_loss.setdefault(set_name, []).append(m_loss)
            bar.set_postfix({"loss": f"{np.mean(hist.train_loss[-cfg.eval_every:]):.3f}",
                             f"val_{metric.name}": f"{value:.3f}"})
            if on_eval is not None:
                on_eval(step, value)
            if cfg.stop_at is not None and metric.reached(value, cfg.stop_at):
                hist.stopped_early = step < cfg.steps
                break
    hist.seconds = time.perf_counter() - start
    return hist


def resolve_device(name: str, key: str = "palindrome.train.device") -> torch.device:
    """'auto' picks CUDA when it is there."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{key} is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)
