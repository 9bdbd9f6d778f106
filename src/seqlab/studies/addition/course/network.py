"""The course's network and its two losses (q3.py@e18535b), as torch modules:

    x (B, L+1, 2) -> nn.LSTM(2, H, batch_first) -> nn.Linear(H, 1) -> sigmoid -> s (B, L+1)

Torch's default initialisation throughout (the course set none; seqlab seeds it). The model
returns the sigmoid outputs themselves, the course's ``out``: both its losses and its metric read
them, not logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import ModelConfig
from seqlab.tasks.addition import INPUT_DIM


def squared_error(s: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """The course's ``MSELoss`` between each step's sigmoid output and its bit."""
    return F.mse_loss(s, bits)


def time_position_ce(s: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """The course's "hackish" cross-entropy: ``CrossEntropyLoss(out[:, :, 0], argmax(y, axis=1))``.

    The L+1 sigmoid outputs s (B, L+1) are taken as the scores of ONE (L+1)-way class
    distribution over *time positions*, and the class is the first maximum of the target bits:
    the position of the sum's lowest set bit (0 when the sum is 0, the class of every odd sum).
    Per sample the loss is −s[k] + log Σ_t exp(s[t]): it rewards one high output per sequence and
    penalises every other, so a model trained on it outputs c & −c, never a binary number.
    torch.argmax, like numpy's, returns the first of equal maxima."""
    return F.cross_entropy(s, bits.argmax(dim=1))  # (B, L+1) scores, (B,) positions


LOSSES = {"mse": squared_error, "time_position_ce": time_position_ce}
LOSS_LABELS = {"mse": "MSE", "time_position_ce": "course's CE"}


def whole_number_correct(s: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """The course's metric per sample: outputs above 0.5 are 1s, decoded LSB first with
    ``pred.dot(2**arange(L+1))``, against the target decoded the same way. A number's binary
    digits are unique, so that is every bit right, computed so (three ops, not seven: this runs
    on every training batch). (B,) of 0./1."""
    return ((s > 0.5).float() == bits).all(dim=1).float()


@dataclass(frozen=True)
class CourseAdderConfig(ModelConfig):
    hidden: int
    loss: str  # a key of LOSSES

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; allowed values: {', '.join(LOSSES)}")
        if self.hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {self.hidden}")

    def build(self) -> "CourseAdder":
        return CourseAdder(self)


class CourseAdder(nn.Module):
    def __init__(self, cfg: CourseAdderConfig):
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(INPUT_DIM, cfg.hidden, num_layers=1, batch_first=True)
        self.out = nn.Linear(cfg.hidden, 1)
        self.loss_fn = LOSSES[cfg.loss]

    def forward(self, x: torch.Tensor, bits: torch.Tensor | None = None):
        h, _ = self.lstm(x)  # (B, L+1, H)
        s = torch.sigmoid(self.out(h)).squeeze(-1)  # (B, L+1): the course's out[:, :, 0]
        return s, None if bits is None else self.loss_fn(s, bits)
