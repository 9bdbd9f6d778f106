"""Hand-written recurrent cells, one class each, with their equations.

Every cell splits its work in two, so the wrapper can hoist the input projection out of the
time loop (one big matmul instead of T small ones):

    xp = cell.project_input(x)          # (B, T, G*H): W_x x(t) + b for every t at once
    h, state = cell(xp[:, t], state)    # one step: only the recurrent matmul remains

``forward`` is one step, the equations as written, for looking inside (gradient flow).
``scan`` runs the same equations over a whole sequence, input projection included, through
the autograd functions of seqlab.models.scan (a hand-written backward). Training uses it:

    h = cell.scan(x)                    # (B, T, I) -> (B, T, H), from a zero state

Weights are laid out like torch's fused modules (gates stacked along dim 0, in torch's order)
so the tests can copy weights across and compare outputs and gradients exactly. Unlike torch,
each gate has one bias: torch's two (b_ih + b_hh) are redundant except in the GRU, where b_hn
sits inside the reset gate's product and is kept separate.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqlab.models.scan import GRUScan, LSTMScan, PeepholeScan, RNNScan


class Cell(nn.Module):
    """Base: weights initialised U(-1/sqrt(H), 1/sqrt(H)), torch's default for recurrent layers."""

    gates: int = 1  # G: how many H-sized blocks the input projection produces

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        H = hidden_size
        self.weight_x = nn.Parameter(torch.empty(self.gates * H, input_size))  # (G*H, I)
        self.bias = nn.Parameter(torch.empty(self.gates * H))  # (G*H,)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weight_x.T + self.bias  # (B, T, I) -> (B, T, G*H)


    def init_state(self, batch: int, like: torch.Tensor):
        return like.new_zeros(batch, self.hidden_size)  # h(0) = 0, (B, H)


class RNNCell(Cell):
    """Vanilla (Elman) RNN:  h(t) = tanh(W_x x(t) + W_h h(t-1) + b)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.weight_h = nn.Parameter(torch.empty(hidden_size, hidden_size))  # (H, H)
        self.reset_parameters()

    def forward(self, xp: torch.Tensor, h: torch.Tensor):
        h = torch.tanh(xp + h @ self.weight_h.T)  # (B, H)
        return h, h

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        return RNNScan.apply(x, self.weight_x, self.weight_h, self.bias, torch.is_grad_enabled())  # (B, T, I) -> (B, T, H)


class LSTMCell(Cell):
    """LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

        i(t) = sigma(W_ix x(t) + W_ih h(t-1) + b_i)     input gate
        f(t) = sigma(W_fx x(t) + W_fh h(t-1) + b_f)     forget gate
        g(t) = tanh (W_gx x(t) + W_gh h(t-1) + b_g)     candidate
        o(t) = sigma(W_ox x(t) + W_oh h(t-1) + b_o)     output gate
        c(t) = f(t) * c(t-1) + i(t) * g(t)
        h(t) = o(t) * tanh(c(t))

    Gate order i, f, g, o matches torch.nn.LSTM. Parameters: 4(H*I + H*H + H).
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.weight_h = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))  # (4H, H)
        self.reset_parameters()

    def forget_bias(self) -> torch.Tensor:
        H = self.hidden_size
        return self.bias[H : 2 * H]

    def init_state(self, batch: int, like: torch.Tensor):
        h = like.new_zeros(batch, self.hidden_size)
        return h, h.clone()  # (h, c), each (B, H)

    def forward(self, xp: torch.Tensor, state):
        h, c = state
        z = xp + h @ self.weight_h.T  # (B, 4H)
        i, f, g, o = z.chunk(4, dim=1)  # each (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        return LSTMScan.apply(x, self.weight_x, self.weight_h, self.bias, torch.is_grad_enabled())  # (B, T, I) -> (B, T, H)


class PeepholeLSTMCell(Cell):
    """Peephole LSTM as the course defines it: the gates read the cell state c(t-1) in place
    of h(t-1) (Gers & Schmidhuber 2000, "Recurrent nets that time and count", added peephole
    connections from c to the gates; the course keeps only those, as full matrices).

        f(t) = sigma(W_fx x(t) + W_fc c(t-1) + b_f)
        i(t) = sigma(W_ix x(t) + W_ic c(t-1) + b_i)
        o(t) = sigma(W_ox x(t) + W_oc c(t-1) + b_o)
        c(t) = sigma(W_cx x(t) + b_c) * i(t) + c(t-1) * f(t)
        h(t) = tanh(c(t)) * o(t)

    The candidate sees only the input and uses a sigmoid, exactly as the course writes it.
    Block order f, i, o, c. torch has no fused equivalent, so this cell is the only impl.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.weight_c = nn.Parameter(torch.empty(3 * hidden_size, hidden_size))  # (3H, H)
        self.reset_parameters()

    def forget_bias(self) -> torch.Tensor:
        return self.bias[: self.hidden_size]

    def init_state(self, batch: int, like: torch.Tensor):
        h = like.new_zeros(batch, self.hidden_size)
        return h, h.clone()

    def forward(self, xp: torch.Tensor, state):
        _, c = state
        H = self.hidden_size
        gates = torch.sigmoid(xp[:, : 3 * H] + c @ self.weight_c.T)  # (B, 3H)
        f, i, o = gates.chunk(3, dim=1)  # each (B, H)
        c = torch.sigmoid(xp[:, 3 * H :]) * i + c * f
        h = torch.tanh(c) * o
        return h, (h, c)

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        return PeepholeScan.apply(x, self.weight_x, self.weight_c, self.bias, torch.is_grad_enabled())  # (B, T, I) -> (B, T, H)


class GRUCell(Cell):
    """GRU (Cho et al. 2014), in torch.nn.GRU's form and gate order r, z, n:

        r(t) = sigma(W_rx x(t) + W_rh h(t-1) + b_r)
        z(t) = sigma(W_zx x(t) + W_zh h(t-1) + b_z)
        n(t) = tanh (W_nx x(t) + b_n + r(t) * (W_nh h(t-1) + b_hn))
        h(t) = (1 - z(t)) * n(t) + z(t) * h(t-1)
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.weight_h = nn.Parameter(torch.empty(3 * hidden_size, hidden_size))  # (3H, H)
        self.bias_hn = nn.Parameter(torch.empty(hidden_size))  # inside r(t) * (...), so separate
        self.reset_parameters()

    def forward(self, xp: torch.Tensor, h: torch.Tensor):
        H = self.hidden_size
        hp = h @ self.weight_h.T  # (B, 3H)
        r = torch.sigmoid(xp[:, :H] + hp[:, :H])
        z = torch.sigmoid(xp[:, H : 2 * H] + hp[:, H : 2 * H])
        n = torch.tanh(xp[:, 2 * H :] + r * (hp[:, 2 * H :] + self.bias_hn))
        h = (1 - z) * n + z * h
        return h, h

    def scan(self, x: torch.Tensor) -> torch.Tensor:
        return GRUScan.apply(x, self.weight_x, self.weight_h, self.bias, self.bias_hn,
                             torch.is_grad_enabled())  # (B, T, I) -> (B, T, H)
