"""S seeds of one sequence classifier trained as ONE model: weights stacked on a leading seed axis.

What issue 29 proposes for the studies that train many small models: the S seeds of one (model,
T) share every shape, so their weights can be stacked, (S, ...), and each time step's S recurrent
GEMMs become one ``bmm``. Each seed still has its own weights, its own batch and its own loss;
the losses are summed before backward, and since no seed's loss reads another seed's weights,
each seed's gradient is exactly the one it would get alone. Adam is elementwise, so Adam on the
stacked tensors is each seed's Adam. Only the gradient clipping couples the seeds unless it is
done per seed (:func:`clip_per_seed`).

This module is the benchmark's reference implementation (benchmarks/bench_scaling.py), plain
autograd over a Python time loop, no hand-written backward: it measures what batching seeds buys
within one implementation (S = 3 against S = 1), not a production kernel. The equations are the
hand-written cells' (seqlab.models.cells), gate order included, so a production model's
weights copy in (:meth:`SeedBatchedClassifier.load_seeds`) and a training step gives each seed
the weights its production model reaches (tests/test_bench_scaling.py).

Biases: a cell keeps one bias per gate; torch's fused modules keep two, b_ih + b_hh. The sum is
the same function, but not the same training: Adam moves each of the two by about lr per step,
so their sum moves twice as fast as one bias would, and clipping counts the bias gradient twice
in the norm. So ``two_biases`` keeps torch's pair, and the benchmark builds the batched twin of
a fused production model with it: each seed's math is then the production model's, update
included.

Layout: feature-major, every per-step tensor (S, features, B), the layout seqlab.models.scan
chose for the same reason: a gate block z[:, :H] is then S contiguous (H, B) blocks, and torch's
elementwise kernels run several times slower on the strided column blocks a (S, B, G*H) layout
gives.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.recurrent import CellRecurrence, to_cell
from seqlab.models.sequence import SequenceClassifier

# kind -> (G: H-sized blocks of the input projection, R: H-sized rows of the recurrent weight)
SHAPES = {"rnn": (1, 1), "lstm": (4, 4), "peephole": (4, 3), "gru": (3, 3)}


def _check_kind(kind: str) -> None:
    if kind not in SHAPES:
        raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(SHAPES)}")


class SeedBatchedClassifier(nn.Module):
    """S independent digit classifiers of one recurrent kind: (S, B, T) digits -> (S, B, C) logits.

    Per seed s, the same model as SequenceClassifier with a hand-written cell backbone: one-hot
    input, the recurrence from a zero state, a linear head on the last hidden state, the batch
    mean of the cross-entropy. ``forward`` returns the logits and the S per-seed losses; training
    sums them (batched_step in benchmarks/bench_scaling.py).
    """

    def __init__(self, kind: str, seeds: int, input_dim: int, hidden: int, num_classes: int,
                 two_biases: bool = False):
        super().__init__()
        _check_kind(kind)
        G, R = SHAPES[kind]
        S, H, I, C = seeds, hidden, input_dim, num_classes
        self.kind, self.seeds, self.input_dim, self.hidden = kind, S, I, H
        self.weight_x = nn.Parameter(torch.empty(S, G * H, I))  # (S, G*H, I)
        self.weight_h = nn.Parameter(torch.empty(S, R * H, H))  # (S, R*H, H); the peephole's W_c
        self.two_biases = two_biases
        if two_biases:  # torch's b_ih and b_hh; the GRU's b_hn is b_hh's last block
            self.bias_ih = nn.Parameter(torch.empty(S, G * H))  # (S, G*H)
            self.bias_hh = nn.Parameter(torch.empty(S, G * H))  # (S, G*H)
        else:
            self.bias = nn.Parameter(torch.empty(S, G * H))  # (S, G*H)
            # the GRU's b_hn sits inside r * (W_nh h + b_hn), so it cannot fold into ``bias``
            self.bias_hn = nn.Parameter(torch.empty(S, H)) if kind == "gru" else None  # (S, H)
        self.head_weight = nn.Parameter(torch.empty(S, C, H))  # (S, C, H)
        self.head_bias = nn.Parameter(torch.empty(S, C))  # (S, C)
        # The cells' and nn.Linear's default ranges, so a timing sees the activations training does.
        bound = 1.0 / math.sqrt(H)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    @torch.no_grad()
    def load_seeds(self, models: list[SequenceClassifier]) -> "SeedBatchedClassifier":
        """Copy seed s's weights from ``models[s]``, a production classifier of this kind. With
        ``two_biases`` the models must be fused; without, a fused backbone goes through
        recurrent.to_cell, which sums torch's b_ih + b_hh (the same function, not the same training)."""
        if len(models) != self.seeds:
            raise ValueError(f"{len(models)} models for {self.seeds} seeds")
        for s, model in enumerate(models):
            weights = self.seed_view(model)
            for name, p in self.named_parameters():
                p[s] = weights[name]
        return self

    def seed_view(self, model: SequenceClassifier, grad: bool = False) -> dict[str, torch.Tensor]:
        """A production classifier's parameters (or with ``grad`` their gradients) under this
        model's names, one seed's slice each."""
        backbone = model.backbone
        if grad and not isinstance(backbone, CellRecurrence) and not self.two_biases:
            # the cell's bias is b_ih + b_hh, so its gradient is b_ih's; b_hn is b_hh's last block
            rnn = backbone.rnn
            out = {"weight_x": rnn.weight_ih_l0, "weight_h": rnn.weight_hh_l0, "bias": rnn.bias_ih_l0}
            if self.bias_hn is not None:
                out["bias_hn"] = rnn.bias_hh_l0.grad[2 * self.hidden :]
        elif self.two_biases:
            if isinstance(backbone, CellRecurrence):
                raise ValueError("two_biases copies torch's b_ih and b_hh: it needs a fused model")
            rnn = backbone.rnn
            out = {"weight_x": rnn.weight_ih_l0, "weight_h": rnn.weight_hh_l0,
                   "bias_ih": rnn.bias_ih_l0, "bias_hh": rnn.bias_hh_l0}
        else:
            cell = to_cell(backbone).cell
            out = {"weight_x": cell.weight_x, "bias": cell.bias,
                   "weight_h": cell.weight_c if self.kind == "peephole" else cell.weight_h}
            if self.bias_hn is not None:
                out["bias_hn"] = cell.bias_hn
        out.update(head_weight=model.head.weight, head_bias=model.head.bias)
        return {k: (v.grad if grad and isinstance(v, nn.Parameter) else v) for k, v in out.items()}

    def input_bias(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The bias added to W_x x(t) (S, G*H) and the GRU's b_hn (S, H) (None for the others)."""
        H = self.hidden
        if not self.two_biases:
            return self.bias, self.bias_hn
        if self.kind != "gru":
            return self.bias_ih + self.bias_hh, None
        # r and z add both biases outside the product; n adds b_hn inside r * (...)
        return self.bias_ih + F.pad(self.bias_hh[:, : 2 * H], (0, H)), self.bias_hh[:, 2 * H :]

    def recurrence(self, x: torch.Tensor) -> torch.Tensor:
        """(S, B, T, I) one-hot -> the last hidden state (S, H, B), from a zero state."""
        S, B = x.shape[:2]
        H = self.hidden
        # W_x x(t) + b for every step at once, one broadcast GEMM (as the cells hoist it out of the loop)
        bias, bias_hn = self.input_bias()
        xp = torch.matmul(self.weight_x[:, None], x.permute(0, 2, 3, 1)) + bias[:, None, :, None]  # (S, T, G*H, B)
        steps = xp.unbind(1)  # T views (S, G*H, B), made once: slicing inside the loop costs as much as a small op
        h = x.new_zeros(S, H, B)  # (S, H, B)
        if self.kind == "rnn":
            # h(t) = tanh(W_x x(t) + W_h h(t-1) + b)
            for xp_t in steps:
                h = torch.tanh(torch.baddbmm(xp_t, self.weight_h, h))
        elif self.kind == "lstm":
            c = h
            for xp_t in steps:
                z = torch.baddbmm(xp_t, self.weight_h, h)  # (S, 4H, B), gates i, f, g, o
                i, f, g, o = z.chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
        elif self.kind == "peephole":
            # the gates f, i, o read c(t-1); the candidate sigma(W_cx x(t) + b_c) reads the input
            # only, so it is computed for every step at once
            candidate = torch.sigmoid(xp[:, :, 3 * H :]).unbind(1)  # T x (S, H, B)
            c = h
            for xp_t, cand in zip(steps, candidate):
                f, i, o = torch.sigmoid(torch.baddbmm(xp_t[:, : 3 * H], self.weight_h, c)).chunk(3, dim=1)
                c = cand * i + c * f
                h = torch.tanh(c) * o
        else:  # gru, gates r, z, n
            b_hn = bias_hn[:, :, None]  # (S, H, 1)
            for xp_t in steps:
                hp = torch.bmm(self.weight_h, h)  # (S, 3H, B)
                r, z = torch.sigmoid(xp_t[:, : 2 * H] + hp[:, : 2 * H]).chunk(2, dim=1)
                n = torch.tanh(xp_t[:, 2 * H :] + r * (hp[:, 2 * H :] + b_hn))
                h = n + z * (h - n)  # (1 - z) n + z h
        return h

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """x (S, B, T) digits, targets (S, B) -> logits (S, B, C) and per-seed losses (S,) or None."""
        onehot = F.one_hot(x.long(), self.input_dim).float()  # (S, B, T, I)
        h = self.recurrence(onehot)  # (S, H, B)
        logits = torch.baddbmm(self.head_bias[:, None], h.transpose(1, 2), self.head_weight.transpose(1, 2))  # (S, B, C)
        if targets is None:
            return logits, None
        S, B, C = logits.shape
        losses = F.cross_entropy(logits.reshape(S * B, C), targets.reshape(S * B).long(),
                                 reduction="none").view(S, B).mean(1)  # (S,): each seed's batch mean
        return logits, losses


def clip_per_seed(params: list[nn.Parameter], max_norm: float) -> torch.Tensor:
    """nn.utils.clip_grad_norm_ applied to each seed separately: seed s's gradient is scaled by
    min(1, max_norm / (||g_s|| + 1e-6)), its norm over all parameters' slice s (torch's formula).
    One global norm over the stack would let one seed's large gradient shrink the others'.
    Returns the S norms before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.reshape(g.shape[0], -1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # (S,)
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *([1] * (g.dim() - 1))))
    return norms
