"""The course's digit-recall network (q2.py@97a300d), as torch's own modules at their default
initialisation (seeded here; the course's was unseeded):

    x (B, L, 10) -> nn.LSTM(10, H, 1 layer, batch_first), zero initial state
                 -> Linear(H, 10) on the last step's output -> logits (B, 10); cross-entropy

Parameters: 4H(10 + H) + 8H for the LSTM (torch keeps two biases per gate) and 10H + 10 for the
readout: 142 at H = 2, 400 at H = 5, 990 at H = 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import ModelConfig
from seqlab.studies.recall.course.data import INPUT_DIM, NUM_CLASSES, lengths


@dataclass(frozen=True)
class CourseRecallConfig(ModelConfig):
    hidden: int
    input_dim: int = INPUT_DIM
    num_classes: int = NUM_CLASSES

    def build(self) -> CourseRecallNet:
        return CourseRecallNet(self)


class CourseRecallNet(nn.Module):
    def __init__(self, cfg: CourseRecallConfig):
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(cfg.input_dim, cfg.hidden, num_layers=1, batch_first=True)
        self.out = nn.Linear(cfg.hidden, cfg.num_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        r_out, _ = self.lstm(x)  # (B, L, H)
        logits = self.out(r_out[:, -1])  # (B, 10): the last step, as the course read it
        return logits, None if y is None else F.cross_entropy(logits, y)


@torch.no_grad()
def course_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Score stored course batches, each at its own length and unpadded: (N, B, T, 10), (N, B) ->
    (correct (N, B) bool, lengths (N,)). Batches of one length run in one forward pass: the LSTM
    treats every sequence alone, so this is batch-by-batch scoring, faster."""
    n = lengths(x)
    correct = torch.zeros(y.shape, dtype=torch.bool, device=y.device)
    for L in n.unique().tolist():
        idx = (n == L).nonzero().squeeze(1)
        xs = x[idx, :, :L].reshape(-1, L, x.shape[-1])  # (k * B, L, 10)
        logits, _ = model(xs)
        correct[idx] = (logits.argmax(-1) == y[idx].reshape(-1)).reshape(len(idx), -1)
    return correct, n
