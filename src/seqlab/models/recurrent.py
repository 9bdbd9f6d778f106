"""Run a recurrent backbone over a sequence, and the heads that sit on top of it.

Every model's forward(x, targets=None) returns (output, loss), loss None without targets.
"""

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

    With ``pad_index`` set, sequences of different lengths share a batch: they are padded at
    the end with that token, and the head reads each sequence's last real step. The padding
    comes after it, so it cannot change that step's hidden state.
    """

    def __init__(self, backbone: nn.Module, input_dim: int, num_classes: int, pad_index: int | None = None):
        super().__init__()
        self.backbone = backbone
        self.input_dim = input_dim
        self.pad_index = pad_index
        self.head = nn.Linear(backbone.hidden_size, num_classes)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        onehot = F.one_hot(x.long(), self.input_dim).float()  # (B, T) -> (B, T, I)
        h = self.backbone(onehot)  # (B, T, H)
        if self.pad_index is None:
            last = h[:, -1]  # (B, H)
        else:
            lengths = (x != self.pad_index).sum(dim=1)  # (B,)
            last = h[torch.arange(len(x), device=x.device), lengths - 1]  # (B, H)
        logits = self.head(last)  # (B, C)
        loss = None if targets is None else F.cross_entropy(logits, targets.long())
        return logits, loss


class SequenceRegressor(nn.Module):
    """Real-valued inputs (B, T, I) -> backbone -> one number from the last hidden state; MSE."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.hidden_size, 1)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        h = self.backbone(x)  # (B, T, H)
        pred = self.head(h[:, -1]).squeeze(-1)  # (B,)
        loss = None if targets is None else F.mse_loss(pred, targets)
        return pred, loss


BIT_LOSSES = ("mse", "bce")


class BitTagger(nn.Module):
    """One output bit per time step: (B, T, I) -> backbone -> logits (B, T).

    loss "bce": binary cross-entropy on the logits, the likelihood of Bernoulli bits.
    loss "mse": squared error between sigmoid(logit) and the bit, as the course trained it.
    Either way the prediction is logit > 0, so the two losses are compared on equal terms.
    """

    def __init__(self, backbone: nn.Module, loss: str):
        super().__init__()
        if loss not in BIT_LOSSES:
            raise ValueError(f"unknown loss {loss!r}; valid losses: {', '.join(BIT_LOSSES)}")
        self.backbone = backbone
        self.loss_name = loss
        self.head = nn.Linear(backbone.hidden_size, 1)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.head(self.backbone(x)).squeeze(-1)  # (B, T, H) -> (B, T)
        if targets is None:
            return logits, None
        if self.loss_name == "bce":
            loss = F.binary_cross_entropy_with_logits(logits, targets)
        else:
            loss = F.mse_loss(torch.sigmoid(logits), targets)
        return logits, loss
