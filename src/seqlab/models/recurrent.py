"""Run a recurrent backbone over a sequence, and the classifier that sits on top of it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.cells import Cell


class CellRecurrence(nn.Module):
    """Runs any hand-written cell over time: (B, T, I) -> (B, T, H)."""

    def __init__(self, cell: Cell):
        super().__init__()
        self.cell = cell
        self.hidden_size = cell.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        xp = self.cell.project_input(x)  # (B, T, G*H), hoisted out of the loop
        state = self.cell.init_state(B, x)
        outputs = []
        # unbind, not xp[:, t]: its backward stacks the T step gradients once, where T
        # separate slices would each scatter into a fresh (B, T, G*H) zero tensor.
        for xp_t in xp.unbind(dim=1):
            h, state = self.cell(xp_t, state)  # (B, H)
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, T, H)


class FusedRecurrence(nn.Module):
    """torch's fused nn.RNN / nn.LSTM / nn.GRU, batch first: (B, T, I) -> (B, T, H)."""

    def __init__(self, module: nn.RNNBase):
        super().__init__()
        self.rnn = module
        self.hidden_size = module.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return out


class SequenceClassifier(nn.Module):
    """Digits -> one-hot -> recurrent backbone -> linear head on the last hidden state.

    forward(x, targets=None) returns (logits, loss), loss None without targets.
    """

    def __init__(self, backbone: nn.Module, input_dim: int, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.input_dim = input_dim
        self.head = nn.Linear(backbone.hidden_size, num_classes)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        onehot = F.one_hot(x.long(), self.input_dim).float()  # (B, T) -> (B, T, I)
        h = self.backbone(onehot)  # (B, T, H)
        logits = self.head(h[:, -1])  # (B, C)
        loss = None if targets is None else F.cross_entropy(logits, targets.long())
        return logits, loss
