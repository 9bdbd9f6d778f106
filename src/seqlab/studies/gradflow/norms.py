"""Gradient flow through time: how much of the loss's gradient reaches each earlier state.

Backpropagation multiplies the gradient by one Jacobian per step,

    dL/ds(t-1) = (ds(t)/ds(t-1))^T dL/ds(t),

so its norm changes by roughly a constant factor per step: below 1 it vanishes
exponentially with distance (Hochreiter 1991; Bengio et al. 1994), and the cell cannot learn
long-range dependencies. This module measures ||dL/ds(t)|| for every t with autograd on the
hand-written cells, and fits that per-step factor.

s(t) is the cell's whole recurrent state: h(t) for the RNN and GRU, (h(t), c(t)) for the LSTMs.
Each part gets a zero "probe" added to it in the forward pass; the probe's gradient is then
the partial derivative of the loss with respect to that part, the others held fixed. (For the
course's peephole LSTM, h(t) feeds only the output, so its recurrent gradient lives in c(t).)
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from seqlab.models.recurrent import to_cell
from seqlab.models.sequence import SequenceClassifier


def state_gradients(model: SequenceClassifier, x: torch.Tensor, y: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
    """dL/ds(t) for t = 1..T, one tuple of state parts per step, each (B, H).

    L is the *sum* of the per-sample losses, so sample b's gradient is its own loss's gradient
    (a batch mean would scale it by 1/B). A fused backbone is first converted to its
    hand-written twin with the same weights.
    """
    cell = to_cell(model.backbone).cell
    onehot = F.one_hot(x.long(), model.input_dim).to(cell.weight_x.dtype)  # (B, T, I)
    xp = cell.project_input(onehot)  # (B, T, G*H)
    state = cell.init_state(len(x), onehot)
    probes = []
    for xp_t in xp.unbind(dim=1):
        _, state = cell(xp_t, state)
        parts = state if isinstance(state, tuple) else (state,)
        zeros = tuple(torch.zeros_like(s, requires_grad=True) for s in parts)
        parts = tuple(s + z for s, z in zip(parts, zeros))
        state = parts if isinstance(state, tuple) else parts[0]
        probes.append(zeros)
    h_last = state[0] if isinstance(state, tuple) else state  # (B, H)
    loss = F.cross_entropy(model.head(h_last), y.long(), reduction="sum")
    loss.backward()
    # A part the loss never reads (the peephole's h(t) before T, the last c(T)) gets no grad: 0.
    return [tuple(torch.zeros_like(z) if z.grad is None else z.grad for z in zs) for zs in probes]


def gradient_norms(model: SequenceClassifier, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-step norms averaged over the batch: {"state": (T,), "h": (T,)}, in float64.

    "state" is ||dL/ds(t)|| over all state parts; "h" is ||dL/dh(t)|| alone.
    """
    model = copy.deepcopy(model).double()  # float64: norms down to 1e-300 stay resolvable
    grads = state_gradients(model, x, y)
    state = torch.stack([torch.sqrt(sum((g**2).sum(dim=1) for g in parts)) for parts in grads], dim=1)  # (B, T)
    h = torch.stack([parts[0].norm(dim=1) for parts in grads], dim=1)  # (B, T)
    return {"state": state.mean(dim=0).detach().numpy(), "h": h.mean(dim=0).detach().numpy()}


def decay_factor(norms: np.ndarray) -> float | None:
    """The per-step factor g in ||dL/ds(t-1)|| ~ g ||dL/ds(t)||: exp of minus the least-squares
    slope of log-norm against t, over every step but the last. For n steps that is t = 1..n-1
    (a palindrome of length T is read in n = T-1 steps, so t = 1..T-2). The last state is left
    out because the loss reads it directly: its gradient comes from the head, not through a
    recurrent Jacobian (and for the LSTMs its cell state gets none).

    Below 1 the gradient vanishes going back in time; above 1 it grows. None if fewer than two
    steps have a non-zero norm.
    """
    t = np.arange(1, len(norms))
    n = np.asarray(norms[:-1], dtype=float)
    keep = n > 0
    if keep.sum() < 2:
        return None
    slope = np.polyfit(t[keep], np.log(n[keep]), 1)[0]
    return float(np.exp(-slope))


def first_to_penultimate(norms: np.ndarray) -> float:
    """||dL/ds(1)|| / ||dL/ds(n-1)|| for n steps: how much of the gradient that has passed one
    recurrent Jacobian survives back to the first step, over the range the decay factor is fitted
    on. Below 1 it vanished on the way back."""
    if len(norms) < 3:
        raise ValueError(f"the ratio needs at least 3 steps, got {len(norms)}")
    return float(norms[0] / norms[-2])
