"""Models registered by name. An unknown name fails with the list of valid ones."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seqlab.models.cells import Cell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from seqlab.models.recurrent import CellRecurrence, FusedRecurrence, SequenceClassifier


@dataclass(frozen=True)
class ModelSpec:
    cell: type[Cell]
    fused: type[nn.RNNBase] | None  # torch's fused module computing the same equations

    @property
    def impls(self) -> tuple[str, ...]:
        return ("cell", "fused") if self.fused is not None else ("cell",)


REGISTRY: dict[str, ModelSpec] = {
    "rnn": ModelSpec(RNNCell, nn.RNN),  # nn.RNN's default nonlinearity is tanh, as RNNCell
    "lstm": ModelSpec(LSTMCell, nn.LSTM),
    "peephole": ModelSpec(PeepholeLSTMCell, None),
    "gru": ModelSpec(GRUCell, nn.GRU),
}


def spec(name: str) -> ModelSpec:
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def build_backbone(name: str, impl: str, input_dim: int, hidden: int, forget_bias: float = 0.0) -> nn.Module:
    """A recurrent backbone (B, T, I) -> (B, T, H).

    The LSTM forget-gate bias starts at ``forget_bias``: at 1 the cell remembers by default
    early in training, which helps long-range credit assignment (Gers et al. 2000;
    Jozefowicz et al. 2015). Models without a forget gate ignore it.
    """
    s = spec(name)
    if impl not in s.impls:
        raise ValueError(f"model {name!r} has no impl {impl!r}; valid impls: {', '.join(s.impls)}")
    if impl == "fused":
        module = s.fused(input_dim, hidden, batch_first=True)
        if isinstance(module, nn.LSTM):
            with torch.no_grad():
                module.bias_ih_l0[hidden : 2 * hidden].fill_(forget_bias)  # torch order i, f, g, o
                module.bias_hh_l0[hidden : 2 * hidden].zero_()
        return FusedRecurrence(module)
    cell = s.cell(input_dim, hidden)
    if hasattr(cell, "forget_bias"):
        with torch.no_grad():
            cell.forget_bias().fill_(forget_bias)
    return CellRecurrence(cell)


def build_model(
    name: str, impl: str, input_dim: int, hidden: int, num_classes: int, forget_bias: float = 0.0,
    pad_index: int | None = None,
) -> SequenceClassifier:
    backbone = build_backbone(name, impl, input_dim, hidden, forget_bias)
    return SequenceClassifier(backbone, input_dim, num_classes, pad_index)


def to_cell(backbone: nn.Module) -> CellRecurrence:
    """The hand-written twin of a backbone, with the same weights (a cell backbone is returned).

    torch keeps two biases per gate (b_ih + b_hh); the cells keep their sum, except the GRU's
    b_hn, which sits inside r * (...) and stays separate. Used to look inside a trained fused
    model step by step (gradient flow), where the fused kernel hides the hidden states' graph.
    """
    if isinstance(backbone, CellRecurrence):
        return backbone
    rnn = backbone.rnn
    if rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError("to_cell handles one-layer, one-direction modules")
    name = next(n for n, s in REGISTRY.items() if s.fused is type(rnn))
    cell = REGISTRY[name].cell(rnn.input_size, rnn.hidden_size)
    H = rnn.hidden_size
    with torch.no_grad():
        cell.weight_x.copy_(rnn.weight_ih_l0)
        cell.weight_h.copy_(rnn.weight_hh_l0)
        if isinstance(cell, GRUCell):
            cell.bias.copy_(rnn.bias_ih_l0)
            cell.bias[: 2 * H] += rnn.bias_hh_l0[: 2 * H]
            cell.bias_hn.copy_(rnn.bias_hh_l0[2 * H :])
        else:
            cell.bias.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)
    return CellRecurrence(cell).to(rnn.weight_ih_l0.device, rnn.weight_ih_l0.dtype)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
