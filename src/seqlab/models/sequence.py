"""Models that read a sequence with one recurrent backbone and put a head on it.

    SequenceClassifier  digits -> one-hot -> backbone -> class logits from the last step
    SequenceRegressor   real-valued steps -> backbone -> one number from the last step
    BitTagger           real-valued steps -> backbone -> one bit logit per step

Every model's forward(x, targets=None) returns (output, loss), loss None without targets. Each
has a typed config (``...Config(...).build()``) that its checkpoints store.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import ModelConfig
from seqlab.models.recurrent import build_backbone


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


# --- typed configs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceClassifierConfig(ModelConfig):
    kind: str  # a registered recurrent kind: rnn, lstm, peephole, gru
    impl: str  # cell or fused
    input_dim: int
    hidden: int
    num_classes: int
    forget_bias: float = 0.0
    pad_index: int | None = None

    def build(self) -> SequenceClassifier:
        backbone = build_backbone(self.kind, self.impl, self.input_dim, self.hidden, self.forget_bias)
        return SequenceClassifier(backbone, self.input_dim, self.num_classes, self.pad_index)


@dataclass(frozen=True)
class SequenceRegressorConfig(ModelConfig):
    kind: str
    impl: str
    input_dim: int
    hidden: int
    forget_bias: float = 0.0

    def build(self) -> SequenceRegressor:
        return SequenceRegressor(build_backbone(self.kind, self.impl, self.input_dim, self.hidden, self.forget_bias))


@dataclass(frozen=True)
class BitTaggerConfig(ModelConfig):
    kind: str
    impl: str
    input_dim: int
    hidden: int
    loss: str  # mse or bce
    forget_bias: float = 0.0

    def build(self) -> BitTagger:
        return BitTagger(build_backbone(self.kind, self.impl, self.input_dim, self.hidden, self.forget_bias), self.loss)
