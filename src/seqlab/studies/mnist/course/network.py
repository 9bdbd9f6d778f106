"""q1.py's network (EE6132 assignment 3, commit 54d1096), from torch's own modules.

    rows (B, 28, 28) -> [frozen Linear maps, no activation] -> one nn.RNN / nn.LSTM / nn.GRU layer
                     -> nn.Linear(H, 10) on the last step's output -> CrossEntropyLoss

The course's ``-l`` list sets the widths: ``-l 64`` is one recurrent layer of 64 reading the 28
pixels of a row; ``-l 64 64`` puts ``nn.Linear(28, 64)`` in front of a recurrent layer of 64. That
Linear lived in ``self.embedding = {}``, a plain dict: never registered, so outside
``rnn.parameters()`` (Adam never moved it) and outside the state dict. It is a map drawn once at
torch's default initialisation and then frozen, and is kept here as buffers: in the state dict, so
a checkpoint rebuilds the same network, and never in ``parameters()``. It adds no trainable layer:
the recurrent layer's input weights W (gates x H x 64) act on it through W @ E, and a 64 x 28 map E
of full column rank lets W @ E be any gates x H x 28 matrix, so the function class is the one of
``-l 64``; only the recurrent layer's input width, and so its parameter count, grows (28 -> 64).

Every module is built in q1.py's order (the maps, the recurrent layer, the head), so a seeded run
draws its initial weights in the course's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import ModelConfig
from seqlab.studies.mnist.course.params import KINDS

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}  # nn.RNN's default nonlinearity is tanh, as q1.py ran it
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # weight blocks per recurrent layer
assert tuple(MODULES) == KINDS, "the course's kinds and their torch modules must agree"


@dataclass(frozen=True)
class CourseNetConfig(ModelConfig):
    kind: str  # rnn | lstm | gru
    layout: tuple[int, ...]  # the course's -l list: frozen map widths, then the recurrent layer's width
    input_dim: int = 28  # pixels per row
    num_classes: int = 10

    def __post_init__(self):
        object.__setattr__(self, "layout", tuple(self.layout))  # a checkpoint may hand back a list
        if self.kind not in MODULES:
            raise ValueError(f"unknown course model {self.kind!r}; allowed values: {', '.join(MODULES)}")
        if not self.layout or any(w < 1 for w in self.layout):
            raise ValueError(f"layout must be widths >= 1, e.g. (64,) or (64, 64); got {self.layout}")

    @property
    def hidden(self) -> int:
        return self.layout[-1]

    def build(self) -> "CourseNet":
        return CourseNet(self)


def trainable_parameters(kind: str, layout: tuple[int, ...], input_dim: int = 28, num_classes: int = 10) -> int:
    """The parameters Adam trains, in closed form: the recurrent layer (torch keeps two bias
    vectors per gate block) and the head. A frozen map's width is the layer's input width."""
    width, hidden, g = (layout[-2] if len(layout) > 1 else input_dim), layout[-1], GATES[kind]
    return g * hidden * (width + hidden) + 2 * g * hidden + hidden * num_classes + num_classes


def frozen_elements(layout: tuple[int, ...], input_dim: int = 28) -> int:
    """The frozen maps' weights and biases: drawn once, never trained."""
    widths = (input_dim, *layout[:-1])
    return sum(a * b + b for a, b in zip(widths, widths[1:]))


class CourseNet(nn.Module):
    def __init__(self, cfg: CourseNetConfig):
        super().__init__()
        self.cfg = cfg
        width = cfg.input_dim
        self.n_frozen = len(cfg.layout) - 1
        for i, out in enumerate(cfg.layout[:-1]):
            lin = nn.Linear(width, out)  # q1.py's self.embedding[i], at torch's default initialisation
            self.register_buffer(f"frozen{i}_weight", lin.weight.detach().clone())  # (out, width)
            self.register_buffer(f"frozen{i}_bias", lin.bias.detach().clone())  # (out,)
            width = out
        self.rnn = MODULES[cfg.kind](input_size=width, hidden_size=cfg.hidden, num_layers=1, batch_first=True)
        self.out = nn.Linear(cfg.hidden, cfg.num_classes)

    def frozen_maps(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(getattr(self, f"frozen{i}_weight"), getattr(self, f"frozen{i}_bias")) for i in range(self.n_frozen)]

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        h = x  # (B, 28, 28): 28 steps, one row of 28 pixels each
        for w, b in self.frozen_maps():
            h = F.linear(h, w, b)  # (B, 28, width): no activation, as in q1.py
        r_out, _ = self.rnn(h)  # (B, 28, H), from a zero initial state
        logits = self.out(r_out[:, -1])  # (B, 10): the last step's output
        loss = None if y is None else F.cross_entropy(logits, y)
        return logits, loss
