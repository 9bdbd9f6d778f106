"""The UvA course's palindrome networks (../shared/COURSES.md §1), built from seqlab's cells.

    symbols (B, 4T+1) -> Embedding(3, H/2) -> LSTM or peephole LSTM over the first 4T -> Linear(H, 2)

What the course's code did, and this reproduces:

- ``Embedding(3, H/2)`` on the symbols {pad, 0, 1}, torch's default N(0, 1) init;
- every weight Kaiming-normal with the linear gain, applied to (in, out)-shaped matrices, so torch
  takes ``fan_in`` from the *output* size: N(0, 1/H) for the gate weights and N(0, 1/2) for the
  output layer's (H, 2); every bias 0, the forget gate's included (``forget_bias`` moves it);
- h(0) = c(0) = 0; the loop runs 4T steps, so the last input symbol is never read;
- h is zeroed after every step whose input was a pad (c is not);
- the output bug: ``log_softmax`` over the *batch* axis, then the NLL of each sample's label.

The cells are seqlab.models.cells' (the course's equations; the tests check them against torch).
The peephole runs through seqlab's whole-sequence kernel (seqlab.models.scan): its h never feeds
back, so zeroing h after pads changes only the last step's, applied here. The LSTM's h does feed
back, and no kernel masks it, so the LSTM steps its cell in a loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.cells import LSTMCell, PeepholeLSTMCell
from seqlab.models.config import ModelConfig
from seqlab.tasks.binary_palindrome import PAD, SYMBOLS

CELLS = {"lstm": LSTMCell, "peephole": PeepholeLSTMCell}
LOSS_AXES = ("batch", "classes")  # batch: the course's bug; classes: a correct cross-entropy
CLASSES = 2


@dataclass(frozen=True)
class CourseNetConfig(ModelConfig):
    kind: str  # lstm | peephole
    hidden: int
    forget_bias: float = 0.0  # the course's: every bias 0
    loss_axis: str = "batch"  # which axis log_softmax normalises (LOSS_AXES)

    def __post_init__(self):
        if self.kind not in CELLS:
            raise ValueError(f"unknown course model {self.kind!r}; allowed values: {', '.join(CELLS)}")
        if self.loss_axis not in LOSS_AXES:
            raise ValueError(f"unknown loss axis {self.loss_axis!r}; allowed values: {', '.join(LOSS_AXES)}")
        if self.hidden < 2 or self.hidden % 2:
            raise ValueError(f"hidden must be even and >= 2 (the embedding is hidden/2), got {self.hidden}")

    @property
    def embed(self) -> int:
        return self.hidden // 2

    def build(self) -> "CourseNet":
        return CourseNet(self)


def log_probs(logits: torch.Tensor, loss_axis: str) -> torch.Tensor:
    """The course's output: log_softmax over the batch axis (its bug) or over the classes."""
    return F.log_softmax(logits, dim=0 if loss_axis == "batch" else 1)  # (B, 2)


def course_predictions(logits: torch.Tensor, loss_axis: str) -> torch.Tensor:
    """What the course scored: argmax over the classes of its log-probabilities. With the bug, a
    sample's prediction depends on the rest of its batch (each class column is normalised over it)."""
    return log_probs(logits, loss_axis).argmax(dim=1)  # (B,)


class CourseNet(nn.Module):
    def __init__(self, cfg: CourseNetConfig):
        super().__init__()
        self.cfg = cfg
        H = cfg.hidden
        self.embedding = nn.Embedding(SYMBOLS, cfg.embed)
        self.cell = CELLS[cfg.kind](cfg.embed, H)
        self.out = nn.Linear(H, CLASSES)
        with torch.no_grad():
            for p in self.cell.parameters():
                # kaiming_normal_(w, nonlinearity='linear') on the course's (in, out) matrices:
                # std = 1/sqrt(out) = 1/sqrt(H) for every gate block, input and recurrent alike.
                p.normal_(0.0, 1.0 / math.sqrt(H)) if p.dim() == 2 else p.zero_()
            self.cell.forget_bias().fill_(cfg.forget_bias)
            self.out.weight.normal_(0.0, 1.0 / math.sqrt(CLASSES))  # its (H, 2) matrix: fan = 2
            self.out.bias.zero_()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden state after reading the first 4T symbols: (B, 4T+1) -> (B, H)."""
        seen = x[:, :-1].long()  # (B, 4T): the last symbol is never read
        keep = (seen != PAD).to(self.out.weight.dtype)  # (B, 4T): 0 where h is zeroed
        e = self.embedding(seen)  # (B, 4T, E)
        if self.cfg.kind == "peephole":
            return self.cell.scan(e)[:, -1] * keep[:, -1:]  # (B, H)
        xp = self.cell.project_input(e)  # (B, 4T, 4H)
        state = self.cell.init_state(len(x), xp)
        h = state[0]
        # unbind, not xp[:, t]: each slice's backward would write a whole (B, 4T, 4H) gradient.
        for xp_t, keep_t in zip(xp.unbind(1), keep.unbind(1)):
            h, (_, c) = self.cell(xp_t, state)
            h = h * keep_t[:, None]
            state = (h, c)
        return h

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        logits = self.out(self.features(x))  # (B, 2)
        loss = None if y is None else F.nll_loss(log_probs(logits, self.cfg.loss_axis), y)
        return logits, loss
