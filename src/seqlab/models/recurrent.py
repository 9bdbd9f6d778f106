"""The recurrent kinds, registered by name, and the modules that run them over a sequence.

:data:`KINDS` is the one registry of recurrent kinds: every study, schema, figure and report
looks a kind up here, and an unknown name fails with the list of valid ones. A kind has a
hand-written cell (seqlab.models.cells) and, where torch has one, a fused module computing the
same equations (the tests prove it, outputs and gradients to 1e-5).

Every module here maps (B, T, I) inputs to hidden states; the models that put a head on them
are in seqlab.models.sequence and seqlab.models.image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from seqlab.models.cells import Cell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell


@dataclass(frozen=True)
class RecurrentKind:
    label: str  # how tables and legends name it
    cell: type[Cell]
    fused: type[nn.RNNBase] | None  # torch's fused module computing the same equations
    cpu_impl: str  # the faster of the two on a CPU, measured (benchmarks/results/cells.json)

    @property
    def impls(self) -> tuple[str, ...]:
        return ("cell", "fused") if self.fused is not None else ("cell",)

    def fastest_impl(self, device: str) -> str:
        """The implementation the studies that only need the maths take on ``device`` (a params
        value: cpu, cuda or auto). On a GPU, torch's fused module where there is one (cuDNN runs
        the whole sequence in one kernel; the hand-written cells launch kernels step by step). On
        a CPU, the faster one as measured: the hand-written GRU beats torch's, which runs
        step by step in C++ (nn.LSTM has oneDNN's fused kernel, nn.GRU and nn.RNN do not). The
        palindrome study keeps a per-model ``impl`` switch for comparing the two."""
        cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        return self.impls[-1] if cuda else self.cpu_impl


KINDS: dict[str, RecurrentKind] = {
    "rnn": RecurrentKind("RNN", RNNCell, nn.RNN, "fused"),  # nn.RNN's default nonlinearity is tanh, as RNNCell
    "lstm": RecurrentKind("LSTM", LSTMCell, nn.LSTM, "fused"),
    "peephole": RecurrentKind("Peephole LSTM", PeepholeLSTMCell, None, "cell"),
    "gru": RecurrentKind("GRU", GRUCell, nn.GRU, "cell"),
}
FUSED_KINDS = tuple(name for name, k in KINDS.items() if k.fused is not None)  # rnn, lstm, gru


def kind(name: str) -> RecurrentKind:
    if name not in KINDS:
        raise ValueError(f"unknown model {name!r}; valid names: {', '.join(sorted(KINDS))}")
    return KINDS[name]


def label(name: str) -> str:
    """The display name of a kind ("Peephole LSTM"); other names are shown as they are."""
    return KINDS[name].label if name in KINDS else name


# --- gate initialisation ------------------------------------------------------------------------

CHRONO = "chrono"


def init_gates(module: nn.RNNBase, forget_bias: float | str, t_max: int) -> None:
    """Set the memory gates' biases of a fused LSTM or GRU (all layers, both directions).

    ``forget_bias`` a number: every LSTM forget gate starts there. At 1 the cell keeps its
    memory by default early in training, which helps long-range credit assignment (Gers et al.
    2000; Jozefowicz et al. 2015). The GRU and the RNN keep torch's initialisation.

    ``forget_bias`` "chrono": chrono initialisation (Tallec & Ollivier 2018, "Can recurrent
    neural networks warp time?"). Each unit's forget bias is log(u), u ~ U(1, t_max - 1), and
    its input bias is the negative of that. A gate at sigmoid(log u) forgets on a time scale of
    about u steps, so the units' memories span every range up to the sequence length. For the
    GRU the same draw goes to the update gate z, which keeps the state where z is near 1. Why it
    matters for 784-step MNIST: at bias 1 the forget gate is 0.73, and a digit's gradient
    crossing the ~100 blank pixels at the foot of the image shrinks by 0.73^100, about 1e-14.

    torch adds two biases per gate, so the values go in b_ih and the same slice of b_hh is
    zeroed. Draws come from torch's global generator, which the caller has seeded.
    """
    chrono = forget_bias == CHRONO
    if isinstance(forget_bias, str) and not chrono:
        raise ValueError(f"forget_bias must be a number or {CHRONO!r}, got {forget_bias!r}")
    if chrono and t_max < 2:
        raise ValueError(f"chrono initialisation needs the sequence length t_max >= 2, got {t_max}")
    if not (isinstance(module, nn.LSTM) or (chrono and isinstance(module, nn.GRU))):
        return
    H = module.hidden_size
    memory = slice(H, 2 * H)  # torch's gate order: LSTM (i, f, g, o) -> f; GRU (r, z, n) -> z
    with_input = chrono and isinstance(module, nn.LSTM)
    touched = slice(0, 2 * H) if with_input else memory  # what b_ih is given; b_hh's copy is zeroed
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("bias_hh"):
                p[touched].zero_()
            elif name.startswith("bias_ih") and not chrono:
                p[memory] = forget_bias
            elif name.startswith("bias_ih"):
                log_u = torch.empty(H).uniform_(1, t_max - 1).log()  # (H,)
                p[memory] = log_u
                if with_input:
                    p[:H] = -log_u  # input gate i: a unit that remembers long writes little


# --- one layer, one direction: a cell or its fused twin ----------------------------------------


class CellRecurrence(nn.Module):
    """Runs any hand-written cell over time: (B, T, I) -> (B, T, H).

    Through the cell's ``scan``: the whole layer and sequence in one autograd function with a
    hand-written backward (seqlab.models.scan), the input projection hoisted out of the loop."""

    def __init__(self, cell: Cell):
        super().__init__()
        self.cell = cell
        self.hidden_size = cell.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cell.scan(x)  # (B, T, I) -> (B, T, H)


class FusedRecurrence(nn.Module):
    """torch's fused nn.RNN / nn.LSTM / nn.GRU, batch first: (B, T, I) -> (B, T, H)."""

    def __init__(self, module: nn.RNNBase):
        super().__init__()
        self.rnn = module
        self.hidden_size = module.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return out


def build_backbone(name: str, impl: str, input_dim: int, hidden: int, forget_bias: float = 0.0) -> nn.Module:
    """A one-layer recurrent backbone (B, T, I) -> (B, T, H), its forget gate (if it has one)
    starting at ``forget_bias`` (see :func:`init_gates`)."""
    k = kind(name)
    if impl not in k.impls:
        raise ValueError(f"model {name!r} has no impl {impl!r}; valid impls: {', '.join(k.impls)}")
    if impl == "fused":
        module = k.fused(input_dim, hidden, batch_first=True)
        init_gates(module, forget_bias, t_max=0)
        return FusedRecurrence(module)
    cell = k.cell(input_dim, hidden)
    if hasattr(cell, "forget_bias"):
        with torch.no_grad():
            cell.forget_bias().fill_(forget_bias)
    return CellRecurrence(cell)


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
    name = next(n for n, k in KINDS.items() if k.fused is type(rnn))
    cell = KINDS[name].cell(rnn.input_size, rnn.hidden_size)
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


# --- stacks of fused layers, uni- or bidirectional ----------------------------------------------


def as_widths(hidden: int | Sequence[int]) -> tuple[int, ...]:
    widths = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if not widths or any(int(h) != h or h < 1 for h in widths):
        raise ValueError(f"hidden must be one or more positive layer widths, got {hidden!r}")
    return tuple(int(h) for h in widths)


class StackedRecurrence(nn.Module):
    """A stack of fused recurrent layers summarising a sequence: (B, T, I) -> (B, D).

    One single-layer torch module per layer, so layers may differ in width (torch's own
    ``num_layers`` forces one width). With ``bidirectional`` each layer also reads the sequence
    backwards (Schuster & Paliwal 1997) and the next layer sees both directions, 2 * hidden[k-1]
    features per step. The summary is the last layer's final forward state, concatenated, when
    bidirectional, with its backward state at t = 0, the one that has read the whole sequence.
    D = hidden[-1], times 2 when bidirectional. ``forget_bias`` and ``t_max`` (the sequence
    length) set the gate biases: see :func:`init_gates`.
    """

    def __init__(self, kind: str, input_size: int, hidden: int | Sequence[int], bidirectional: bool = False,
                 forget_bias: float | str = 1.0, t_max: int = 0):
        super().__init__()
        if kind not in FUSED_KINDS:
            raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(FUSED_KINDS)}")
        self.kind = kind
        self.hidden = as_widths(hidden)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        inputs = (input_size, *(directions * h for h in self.hidden[:-1]))
        self.layers = nn.ModuleList(
            KINDS[kind].fused(i, h, batch_first=True, bidirectional=bidirectional)
            for i, h in zip(inputs, self.hidden)
        )
        for layer in self.layers:
            init_gates(layer, forget_bias, t_max)
        self.output_size = directions * self.hidden[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x, state = layer(x)  # (B, T, directions*H_k)
        h_n = state[0] if isinstance(state, tuple) else state  # the LSTM returns (h_n, c_n)
        # h_n: (directions, B, H). h_n[0] is the forward state after t = T-1; h_n[1] is the
        # backward state after it has walked back to t = 0, i.e. outputs[:, 0, H:].
        return torch.cat(tuple(h_n), dim=-1)  # (B, D)
