"""The character-level language model: embedding -> stacked LSTM -> a linear head over the
vocabulary (the course's char-RNN; Karpathy 2015, "The Unreasonable Effectiveness of Recurrent
Neural Networks"). Its config carries the vocabulary, so a checkpoint alone is enough to
generate text (python -m seqlab.studies.charlm.generate).

The recurrence is torch's fused nn.LSTM (``impl="fused"``, the default), or the same equations
in the hand-written :class:`~seqlab.models.cells.LSTMCell`, one per layer (``impl="cell"``);
:func:`cells_from_fused` copies one into the other, and the tests prove they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.cells import LSTMCell
from seqlab.models.config import ModelConfig

State = tuple[torch.Tensor, torch.Tensor]  # (h, c), each (layers, B, hidden)
IMPLS = ("fused", "cell")


@dataclass(frozen=True)
class CharLSTMConfig(ModelConfig):
    vocab: str  # the characters, in id order
    embedding: int = 64
    hidden: int = 128
    layers: int = 2
    impl: str = "fused"

    def build(self) -> CharLSTM:
        return CharLSTM(self)


class CellLSTM(nn.Module):
    """A stack of hand-written LSTM cells with nn.LSTM's interface (batch first):
    (B, T, I) and the (h, c) state before them -> (B, T, H) and the state after them."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int):
        super().__init__()
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.cells = nn.ModuleList(LSTMCell(i, hidden_size) for i in sizes)
        self.hidden_size, self.num_layers = hidden_size, num_layers

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        B = x.shape[0]
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, self.hidden_size)
            state = (zeros, zeros)
        hs, cs = [], []
        for layer, cell in enumerate(self.cells):
            xp = cell.project_input(x)  # (B, T, 4H): the input projection, hoisted out of the time loop
            s = (state[0][layer], state[1][layer])  # each (B, H)
            outputs = []
            for xp_t in xp.unbind(dim=1):
                h, s = cell(xp_t, s)  # (B, H)
                outputs.append(h)
            x = torch.stack(outputs, dim=1)  # (B, T, H): the next layer's input
            hs.append(s[0])
            cs.append(s[1])
        return x, (torch.stack(hs), torch.stack(cs))


class CharLSTM(nn.Module):
    """Next-character logits for every position. By default torch's fused nn.LSTM runs the
    recurrence (oneDNN's kernel on a CPU, cuDNN on a GPU), the fastest LSTM either has."""

    def __init__(self, cfg: CharLSTMConfig):
        super().__init__()
        if cfg.impl not in IMPLS:
            raise ValueError(f"unknown impl {cfg.impl!r}; valid impls: {', '.join(IMPLS)}")
        self.cfg = cfg
        self.embed = nn.Embedding(len(cfg.vocab), cfg.embedding)
        self.lstm = (nn.LSTM(cfg.embedding, cfg.hidden, cfg.layers, batch_first=True) if cfg.impl == "fused"
                     else CellLSTM(cfg.embedding, cfg.hidden, cfg.layers))
        self.head = nn.Linear(cfg.hidden, len(cfg.vocab))

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None,
                state: State | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T) ids -> ((B, T, V) logits, the mean cross-entropy in nats per character)."""
        logits, _ = self.step(x, state)
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    def step(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """(B, T) ids and the state before them -> (B, T, V) logits and the state after them:
        the same network, carrying its memory across calls (generation, long texts)."""
        h, state = self.lstm(self.embed(x), state)  # (B, T, E) -> (B, T, H)
        return self.head(h), state  # (B, T, V)


@torch.no_grad()
def cells_from_fused(fused: CharLSTM) -> CharLSTM:
    """The hand-written twin of a fused char-LSTM, with the same weights. torch keeps two
    biases per gate (b_ih + b_hh); a cell keeps their sum."""
    if fused.cfg.impl != "fused":
        raise ValueError(f"expected a fused char-LSTM, got impl {fused.cfg.impl!r}")
    twin = CharLSTMConfig(**{**fused.cfg.__dict__, "impl": "cell"}).build()
    twin.embed.load_state_dict(fused.embed.state_dict())
    twin.head.load_state_dict(fused.head.state_dict())
    for k, cell in enumerate(twin.lstm.cells):
        cell.weight_x.copy_(getattr(fused.lstm, f"weight_ih_l{k}"))
        cell.weight_h.copy_(getattr(fused.lstm, f"weight_hh_l{k}"))
        cell.bias.copy_(getattr(fused.lstm, f"bias_ih_l{k}") + getattr(fused.lstm, f"bias_hh_l{k}"))
    return twin.to(next(fused.parameters()).device).train(fused.training)
