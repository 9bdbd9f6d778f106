"""The student's two palindrome networks (CS324, ../shared/COURSES.md §2), as torch's fused modules
holding the student's parameters.

    digits (B, T-1, 1), one scalar each -> LSTM or tanh RNN, hidden 128, h(0) = c(0) = 0
        -> last h (B, H) -> Linear(H, 10) -> softmax -> CrossEntropyLoss   (the student's output)
                                         -> logits  -> CrossEntropyLoss   (corrected: softmax=False)

The student's LSTM (assignment3/Part 1/lstm.py @0cd95b88) writes each gate k in (g, i, f, o) as
two layers, ``W_kx = nn.Linear(1, H)`` and ``W_kh = nn.Linear(H, H)``, both with biases:

    g(t) = tanh (W_gx x(t) + W_gh h(t-1))        i(t) = sigma(W_ix x(t) + W_ih h(t-1))
    f(t) = sigma(W_fx x(t) + W_fh h(t-1))        o(t) = sigma(W_ox x(t) + W_oh h(t-1))
    c(t) = g(t) i(t) + c(t-1) f(t)               h(t) = tanh(c(t)) o(t)

which is ``nn.LSTM``'s computation with weight_ih = the stacked W_kx, bias_ih their biases,
weight_hh and bias_hh the W_kh (torch's gate order i, f, g, o); no forget-gate offset. The RNN
(assignment2/Part 3/vanilla_rnn.py @84a30884): h(t) = tanh(w_hx x(t) + w_hh h(t-1)), two
``nn.Linear`` with biases, which is ``nn.RNN`` (tanh) the same way. So each network trains the
student's exact parameters, two biases per gate included (RMSprop moves each element on its
own, and clipping reads the global norm, so the stacking changes no update).

The initialisation is the student's: its ``nn.Linear`` layers are built in the order its
constructor builds them, so one torch seed draws the same numbers, and copied in. That is not
torch's recurrent default: a Linear(1, H) draws its weight and bias from U(-1, 1) (fan-in 1),
where ``nn.LSTM`` would draw U(-1/sqrt(H), 1/sqrt(H)).

Left out, as no-ops: the student's extra zero bias tensors (plain tensors, never trained) and its
initial state of shape (hidden, hidden), which equals zeros(batch, hidden) because batch == hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.config import ModelConfig

KINDS = ("lstm", "rnn")
INPUT_DIM = 1  # each digit one scalar value (PalindromeDataset's one_hot=False)
CLASSES = 10
TORCH_GATES = "ifgo"  # nn.LSTM's order of the four gate blocks


def double_softmax_floor(classes: int = CLASSES) -> float:
    """The least CrossEntropyLoss of a softmax output, reached at a one-hot p on the right class:
    the loss applies its own softmax to p, so -log(e / (e + classes - 1)) (1.46115 for 10)."""
    return -math.log(math.e / (math.e + classes - 1))


def student_layers(kind: str, hidden: int, classes: int = CLASSES) -> dict[str, nn.Linear]:
    """The student's layers at torch's default init, drawn in the order its constructor draws them."""
    if kind == "lstm":
        names = [f"W{k}{v}" for k in "gifo" for v in "xh"]  # Wgx, Wgh, Wix, Wih, Wfx, Wfh, Wox, Woh
    elif kind == "rnn":
        names = ["w_hx", "w_hh"]
    else:
        raise ValueError(f"unknown course network {kind!r}; allowed values: {', '.join(KINDS)}")
    layers = {name: nn.Linear(INPUT_DIM if name.endswith("x") else hidden, hidden) for name in names}
    layers["out"] = nn.Linear(hidden, classes)  # Wph / w_ph, built last by both
    return layers


def load_student(rnn: nn.LSTM | nn.RNN, layers: dict[str, nn.Linear]) -> None:
    """Copy the student's per-gate layers into a fused one-layer module."""
    if isinstance(rnn, nn.LSTM):
        ih = [layers[f"W{k}x"] for k in TORCH_GATES]
        hh = [layers[f"W{k}h"] for k in TORCH_GATES]
    else:
        ih, hh = [layers["w_hx"]], [layers["w_hh"]]
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.cat([lin.weight for lin in ih]))  # (G*H, 1)
        rnn.bias_ih_l0.copy_(torch.cat([lin.bias for lin in ih]))  # (G*H,)
        rnn.weight_hh_l0.copy_(torch.cat([lin.weight for lin in hh]))  # (G*H, H)
        rnn.bias_hh_l0.copy_(torch.cat([lin.bias for lin in hh]))  # (G*H,)


@dataclass(frozen=True)
class CourseNetConfig(ModelConfig):
    kind: str  # lstm (assignment 3) | rnn (assignment 2)
    hidden: int = 128
    softmax: bool = True  # the student's: a softmax before CrossEntropyLoss; False: the logits go in
    classes: int = CLASSES

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown course network {self.kind!r}; allowed values: {', '.join(KINDS)}")

    def build(self) -> CourseNet:
        return CourseNet(self)


class CourseNet(nn.Module):
    """Returns ``(scores, loss)``: scores are the softmax probabilities (the student's output) or
    the logits (corrected); the loss is ``CrossEntropyLoss`` applied to them, as the student did."""

    def __init__(self, cfg: CourseNetConfig):
        super().__init__()
        self.cfg = cfg
        layers = student_layers(cfg.kind, cfg.hidden, cfg.classes)  # first: the seed's draws are the student's
        fused = nn.LSTM if cfg.kind == "lstm" else nn.RNN
        self.rnn = fused(INPUT_DIM, cfg.hidden, batch_first=True)
        load_student(self.rnn, layers)
        self.out = layers["out"]

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        seq, _ = self.rnn(x)  # (B, T-1, H) from h(0) = c(0) = 0
        logits = self.out(seq[:, -1])  # (B, 10)
        scores = logits.softmax(dim=1) if self.cfg.softmax else logits
        return scores, None if y is None else F.cross_entropy(scores, y)
