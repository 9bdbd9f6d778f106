"""Keras's update for one batch, as a step of the one training loop (``training.loop.fit(step=...)``).

Keras's Adam (optimizer_v2/adam.py@253dc46; the same in the later optimizer), per weight:

    t += 1
    m = b1 m + (1 - b1) g
    v = b2 v + (1 - b2) g^2
    w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)          eps = 1e-7: "epsilon hat"

torch's Adam puts its eps on the bias-corrected v instead, w -= lr / (1 - b1^t) * m / (sqrt(v) /
sqrt(1 - b2^t) + eps), so Keras's update is torch's with eps / sqrt(1 - b2^t) in place of eps: 32x
larger at t = 1, 1.26x at t = 1,000. The two differ only where sqrt(v) is near 1e-7; this writes
Keras's form out rather than argue that away.

Keras's ``clipvalue`` (the course's commented-out line) clips each gradient element to [-c, c]
before the update, unlike the loop's default step, which clips the norm.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from seqlab.judging.metrics import Metric

KERAS_EPSILON = 1e-7  # keras.optimizers.Adam's default
KERAS_BETAS = (0.9, 0.999)

Terms = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]


class KerasAdam(torch.optim.Optimizer):
    """Adam with Keras's epsilon-hat update (the module docstring's equations)."""

    def __init__(self, params, lr: float = 0.001, betas: tuple[float, float] = KERAS_BETAS, eps: float = KERAS_EPSILON):
        if lr <= 0 or eps <= 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam needs lr > 0, eps > 0 and betas in [0, 1); got lr={lr}, eps={eps}, betas={betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for w in group["params"]:
                if w.grad is None:  # Keras skips a weight with no gradient, too
                    continue
                state = self.state[w]
                if not state:
                    state.update(t=0, m=torch.zeros_like(w), v=torch.zeros_like(w))
                state["t"] += 1
                t, m, v, g = state["t"], state["m"], state["v"], w.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                alpha = group["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
                w.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-alpha)
        return loss


class KerasStep:
    """One ``model.fit`` batch as Keras ran it: forward, loss, backward, clipvalue (if set), Keras's
    Adam. Returns the batch's scalars before the update ("loss" first, as Keras's running
    ``history['loss']`` averages them), plus ``metric`` on the batch if given.

    ``terms(x, y) -> (output, {"loss": ..., more})`` gives a model with several losses (the S&P
    prediction model's ``terms``) its per-branch scalars; by default ``model(x, y)``'s loss alone."""

    def __init__(self, model: nn.Module, lr: float, clip_value: float | None = None, metric: Metric | None = None,
                 terms: Terms | None = None, betas: tuple[float, float] = KERAS_BETAS, eps: float = KERAS_EPSILON):
        if clip_value is not None and not clip_value > 0:
            raise ValueError(f"clip_value must be > 0 or None (no clipping), got {clip_value}")
        self.model, self.clip_value, self.metric = model, clip_value, metric
        self.params = [p for p in model.parameters() if p.requires_grad]  # not torch's frozen b_hh
        self.opt = KerasAdam(self.params, lr=lr, betas=betas, eps=eps)
        self.terms = terms if terms is not None else self._loss

    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        output, loss = self.model(x, y)
        return output, {"loss": loss}

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        output, scalars = self.terms(x, y)
        self.opt.zero_grad(set_to_none=True)
        scalars["loss"].backward()
        if self.clip_value is not None:
            nn.utils.clip_grad_value_(self.params, self.clip_value)  # per element, Keras's clipvalue
        self.opt.step()
        out = {key: value.detach() for key, value in scalars.items()}
        if self.metric is not None:
            out[self.metric.name] = self.metric.per_sample(output.detach(), y).mean()
        return out


def epoch_means(values: list[float], n: int, batch_size: int) -> list[float]:
    """Keras's per-epoch training curve from per-step values: each epoch's mean weighted by batch
    size (its last batch holds n mod batch_size), as ``history['loss']`` reports it. ``values``
    come from fit's batches, which cut each epoch of ``n`` the same way."""
    per_epoch = math.ceil(n / batch_size)
    if len(values) % per_epoch:
        raise ValueError(f"{len(values)} steps are not whole epochs of {per_epoch} ({n} samples, batch {batch_size})")
    sizes = np.full(per_epoch, batch_size, dtype=float)
    sizes[-1] = n - batch_size * (per_epoch - 1)
    steps = np.asarray(values, dtype=float).reshape(-1, per_epoch)  # (epochs, steps per epoch)
    return (steps @ sizes / n).tolist()
