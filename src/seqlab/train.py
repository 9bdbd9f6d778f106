"""The one training loop: Adam, gradient clipping, periodic validation, callbacks for logging.

Models return (output, loss). The loop owns no logging backend: a callback receives each
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
class FitConfig:
    steps: int
    batch_size: int
    lr: float
    clip_norm: float
    eval_every: int
    eval_batch_size: int = 4096


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)  # one per step, steps 1..N
    train_acc: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        logits, _ = model(x[i : i + batch_size])
        correct += (logits.argmax(-1) == y[i : i + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(x)


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
) -> History:
    """Train ``model`` for ``cfg.steps`` Adam steps and return its history.

    Args:
        model: returns (logits, loss) from forward(x, targets).
        train, val: (inputs, targets) tensors, already on the model's device.
        cfg: optimisation settings.
        seed: seeds the batch order (model init is the caller's, before building it).
        name: named in the error if the loss diverges.
        on_eval: called with (step, val_acc) at every validation point.
        progress: show a tqdm bar (hidden automatically when stderr is not a terminal).

    Raises:
        TrainingDiverged: the loss became NaN or infinite; the message names the model,
            the seed and the step.
    """
    x, y = train
    generator = torch.Generator().manual_seed(seed)
    order = batches(len(x), cfg.batch_size, generator)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    hist = History()
    model.train()
    start = time.perf_counter()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"{name} seed={seed}", disable=None if progress else True,
               mininterval=1.0, leave=False)
    for step in bar:
        idx = next(order).to(x.device)
        logits, loss = model(x[idx], y[idx])
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"{name}: loss became {loss.item()} at seed {seed}, step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # Clipping bounds the rare exploding-gradient step of the vanilla RNN (Pascanu et al. 2013).
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
        opt.step()
        hist.train_loss.append(loss.item())
        hist.train_acc.append((logits.argmax(-1) == y[idx]).float().mean().item())
        if step % cfg.eval_every == 0 or step == cfg.steps:
            acc = accuracy(model, *val, batch_size=cfg.eval_batch_size)
            hist.eval_step.append(step)
            hist.val_acc.append(acc)
            bar.set_postfix(loss=f"{np.mean(hist.train_loss[-cfg.eval_every:]):.3f}", val_acc=f"{acc:.3f}")
            if on_eval is not None:
                on_eval(step, acc)
    hist.seconds = time.perf_counter() - start
    return hist


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA when it is there."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("palindrome.train.device is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)
