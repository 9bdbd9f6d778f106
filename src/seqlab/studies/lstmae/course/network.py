"""The course's Keras models (lstm_ae_*.py@7633b39), as torch modules with Keras's initialisers.

    autoencoder (toy, MNIST rows, S&P reconstruction):
        x (B, T, F) -> LSTM(H), last h = the code (B, H) -> RepeatVector(T) (B, T, H)
                    -> LSTM(H, return_sequences) (B, T, H) -> TimeDistributed(Dense(F, tanh)) (B, T, F); MSE
    S&P prediction (question3):
        x[:, :N-1] -> LSTM(H) -> z -+-> RepeatVector(N-1) -> LSTM(H) -> Dense(F)   rebuilds x[:, :N-1]
                                    +-> RepeatVector(N)   -> LSTM(H) -> Dense(F)   outputs all of x[:, :N]
        loss MSE_r + MSE_p (Keras's default weights 1 and 1); only the last day is unseen
    MNIST classifier (question2):
        x (B, 28, 28) -> LSTM(H, recurrent_dropout 0.2) -> RepeatVector(28)
                      -> LSTM(H, recurrent_dropout 0.2), last output -> Dense(10, sigmoid); BCE on one-hot

Keras's defaults and their torch equivalents (../notes/issue27-protocol.md §1; keras lstm.py@06ed28f,
initializers_v2.py@032f13e, dense.py@047d056):

- gates in the same order (i, f, c, o) in both: ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``;
- the input kernel Glorot-uniform: limit sqrt(6 / (in + 4H)), torch's ``xavier_uniform_`` on (4H, in);
- the recurrent kernel orthogonal over the *whole* (4H, H) matrix, not per gate;
- one bias per gate, zero with the forget gate's at 1 (``unit_forget_bias``). torch's LSTM has two,
  b_ih + b_hh: b_hh is zeroed and frozen, because trained it would receive the same gradient as b_ih
  and Adam would move their sum twice as fast as Keras moves its one bias;
- Dense: Glorot-uniform weight, zero bias.

Trainable parameters, as Keras's summary counts them: 4H(I + H + 1) per LSTM, H F + F per Dense.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.judging.metrics import Metric
from seqlab.models.config import ModelConfig

ACTIVATIONS = {"tanh": torch.tanh, None: lambda z: z}  # the Dense's activation; None: Keras's linear default
GATES = 4  # i, f, c, o: Keras's order, and torch's (i, f, g, o)


# --- Keras's initialisers ------------------------------------------------------------------------


def _keras_gate_init(weight_ih: torch.Tensor, weight_hh: torch.Tensor, bias: torch.Tensor) -> None:
    H = weight_hh.shape[1]
    with torch.no_grad():
        nn.init.xavier_uniform_(weight_ih)  # (4H, I): fans I and 4H, Keras's glorot_uniform on (I, 4H)
        nn.init.orthogonal_(weight_hh)  # (4H, H): orthonormal columns over all four gates at once
        bias.zero_()
        bias[H : 2 * H] = 1.0  # unit_forget_bias (Jozefowicz et al. 2015): remember by default


def keras_lstm_init(lstm: nn.LSTM) -> nn.LSTM:
    """Keras's LSTM initialisation on a one-layer, one-direction ``nn.LSTM``; freezes ``bias_hh_l0``
    at 0 so that the layer trains one bias per gate, as Keras does. Returns the layer."""
    if lstm.num_layers != 1 or lstm.bidirectional or not lstm.bias or lstm.proj_size:
        raise ValueError("keras_lstm_init takes a one-layer, one-direction nn.LSTM with biases and no projection")
    _keras_gate_init(lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0)
    with torch.no_grad():
        lstm.bias_hh_l0.zero_()
    lstm.bias_hh_l0.requires_grad_(False)
    return lstm


def keras_dense_init(linear: nn.Linear) -> nn.Linear:
    """Keras's Dense initialisation: Glorot-uniform weight, zero bias. Returns the layer."""
    nn.init.xavier_uniform_(linear.weight)
    nn.init.zeros_(linear.bias)
    return linear


def keras_lstm(input_size: int, hidden: int) -> nn.LSTM:
    return keras_lstm_init(nn.LSTM(input_size, hidden, batch_first=True))


def trainable_parameters(model: nn.Module) -> int:
    """What Keras's summary calls "Trainable params" (torch's frozen b_hh excluded)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def repeat(z: torch.Tensor, steps: int) -> torch.Tensor:
    return z[:, None].expand(-1, steps, -1)  # RepeatVector: (B, H) -> (B, steps, H), a view


def _check_length(x: torch.Tensor, length: int) -> None:
    if x.shape[1] != length:
        raise ValueError(f"the model was built for sequences of {length} steps (RepeatVector({length})), "
                         f"got {x.shape[1]}")


# --- the autoencoder -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KerasLSTMAEConfig(ModelConfig):
    length: int  # T: RepeatVector(T)
    hidden: int  # H
    features: int = 1  # F: 1 for signals and prices, 28 for MNIST rows
    activation: str | None = "tanh"  # the Dense's: tanh (every course autoencoder) or None (linear)

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown output activation {self.activation!r}; allowed values: tanh, None (linear)")

    def build(self) -> KerasLSTMAE:
        return KerasLSTMAE(self)


class KerasLSTMAE(nn.Module):
    """``LSTM(H) -> RepeatVector(T) -> LSTM(H, return_sequences) -> TimeDistributed(Dense(F))``.
    The code is the encoder's last h itself: no latent layer between the two LSTMs."""

    def __init__(self, cfg: KerasLSTMAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = keras_lstm(cfg.features, cfg.hidden)
        self.decoder = keras_lstm(cfg.hidden, cfg.hidden)
        self.out = keras_dense_init(nn.Linear(cfg.hidden, cfg.features))  # TimeDistributed: the same Dense each step
        self.activation = ACTIVATIONS[cfg.activation]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.encoder(x)  # h: (1, B, H)
        return h[-1]  # (B, H)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        _check_length(x, self.cfg.length)
        d, _ = self.decoder(repeat(self.encode(x), self.cfg.length))  # (B, T, H)
        out = self.activation(self.out(d))  # (B, T, F)
        # Keras's 'mse': the mean over F, then over B and T: the mean of every value
        return out, None if y is None else F.mse_loss(out, y)


# --- the S&P prediction model --------------------------------------------------------------------


@dataclass(frozen=True)
class KerasPredictAEConfig(ModelConfig):
    length: int  # N: the window; the encoder reads its first N - 1 days
    hidden: int
    features: int = 1

    def build(self) -> KerasPredictAE:
        return KerasPredictAE(self)


class KerasPredictAE(nn.Module):
    """question3's functional model. Both decoders are linear (``Dense(F)``, no activation).

    The course fitted ``fit(w[:, :-1], [w[:, :-1], w])``: here ``x`` is the whole window (B, N, F)
    and the encoder slices it, so the loop's ``(x, y)`` is ``(w, w)``. The prediction decoder's
    output t is matched to x_t (not x_{t+1}), whatever the report's formula says; only x_N is unseen.
    Keras logged the two branches as ``time_distributed_loss`` and ``time_distributed_1_loss``."""

    def __init__(self, cfg: KerasPredictAEConfig):
        super().__init__()
        self.cfg = cfg
        H, Fe = cfg.hidden, cfg.features
        self.encoder = keras_lstm(Fe, H)
        self.recon_decoder = keras_lstm(H, H)
        self.recon_out = keras_dense_init(nn.Linear(H, Fe))
        self.predict_decoder = keras_lstm(H, H)
        self.predict_out = keras_dense_init(nn.Linear(H, Fe))

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction (B, N-1, F) of x[:, :N-1], prediction (B, N, F) of x[:, :N])."""
        _check_length(x, self.cfg.length)
        N = self.cfg.length
        _, (h, _) = self.encoder(x[:, :-1])  # reads days 1..N-1 only
        z = h[-1]  # (B, H)
        recon, _ = self.recon_decoder(repeat(z, N - 1))  # (B, N-1, H)
        pred, _ = self.predict_decoder(repeat(z, N))  # (B, N, H)
        return self.recon_out(recon), self.predict_out(pred)

    def terms(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(prediction, {"loss": MSE_r + MSE_p, "recon_loss": MSE_r, "predict_loss": MSE_p})."""
        recon, pred = self.parts(x)
        r, p = F.mse_loss(recon, y[:, :-1]), F.mse_loss(pred, y)
        return pred, {"loss": r + p, "recon_loss": r, "predict_loss": p}

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        if y is None:
            return self.parts(x)[1], None
        pred, terms = self.terms(x, y)
        return pred, terms["loss"]


# --- the MNIST classifier, with Keras's recurrent dropout ----------------------------------------


class KerasDropLSTM(nn.Module):
    """One Keras LSTM layer with ``recurrent_dropout`` p (Gal & Ghahramani 2016's variational form as
    Keras implements it: lstm.py@06ed28f, implementation 1, which Keras forces when p > 0).

        h_k = h(t-1) * m_k                 k in (i, f, c, o): four inverted-dropout masks (B, H),
                                           drawn once per batch and reused at every step
        i(t) = sigma(W_i x(t) + U_i h_i + b_i)
        f(t) = sigma(W_f x(t) + U_f h_f + b_f)
        c(t) = f(t) c(t-1) + i(t) tanh(W_c x(t) + U_c h_c + b_c)
        o(t) = sigma(W_o x(t) + U_o h_o + b_o)
        h(t) = o(t) tanh(c(t))              the output and the carried h are not masked

    Weights in torch's layout (``weight_ih`` (4H, I), ``weight_hh`` (4H, H), one ``bias`` (4H,)), so
    with p = 0 it computes what ``nn.LSTM`` does with b_ih = bias, b_hh = 0. No masks in eval mode
    (``masks`` given to forward are used as they are: for tests).
    Returns ``(out (B, T, H), (h (1, B, H), c (1, B, H)))`` like ``nn.LSTM``."""

    def __init__(self, input_size: int, hidden_size: int, recurrent_dropout: float = 0.0):
        super().__init__()
        if not 0.0 <= recurrent_dropout < 1.0:
            raise ValueError(f"recurrent_dropout must be in [0, 1), got {recurrent_dropout}")
        self.input_size, self.hidden_size, self.recurrent_dropout = input_size, hidden_size, recurrent_dropout
        self.weight_ih = nn.Parameter(torch.empty(GATES * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(GATES * hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.empty(GATES * hidden_size))
        _keras_gate_init(self.weight_ih, self.weight_hh, self.bias)

    def draw_masks(self, batch: int, like: torch.Tensor) -> torch.Tensor:
        """Four masks, one per gate: each value 0 with probability p, else 1 / (1 - p). (4, B, H)"""
        ones = like.new_ones(GATES, batch, self.hidden_size)
        return F.dropout(ones, self.recurrent_dropout, training=True)

    def forward(self, x: torch.Tensor, masks: torch.Tensor | None = None):
        B, H = x.shape[0], self.hidden_size
        if masks is None and self.training and self.recurrent_dropout > 0:
            masks = self.draw_masks(B, x)  # (4, B, H): this batch's, for every step
        xz = x @ self.weight_ih.T + self.bias  # (B, T, 4H): W x(t) + b for every t at once
        u = self.weight_hh.view(GATES, H, H).transpose(1, 2)  # (4, H, H): U_k^T per gate
        h = c = xz.new_zeros(B, H)
        outs = []
        # unbind, not xz[:, t]: each slice's backward writes a whole (B, T, 4H) gradient, O(T^2) in all
        for xz_t in xz.unbind(1):  # (B, 4H)
            if masks is None:
                rz = h @ self.weight_hh.T  # (B, 4H)
            else:
                rz = torch.bmm(h * masks, u).transpose(0, 1).reshape(B, GATES * H)  # (4, B, H) -> (B, 4H)
            i, f, g, o = (xz_t + rz).chunk(GATES, dim=1)  # each (B, H)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs, dim=1), (h[None], c[None])


def _course_lstm(input_size: int, hidden: int, recurrent_dropout: float) -> nn.Module:
    """Keras's LSTM: nn.LSTM (fused, faster) where there is no recurrent dropout, else the hand-written layer."""
    if recurrent_dropout == 0:
        return keras_lstm(input_size, hidden)
    return KerasDropLSTM(input_size, hidden, recurrent_dropout)


@dataclass(frozen=True)
class CourseClassifierConfig(ModelConfig):
    hidden: int
    length: int = 28  # steps: 28 rows (784 pixels with the course's long_seq)
    features: int = 28  # values per step: 28 (1 with long_seq)
    recurrent_dropout: float = 0.2  # in both LSTMs, as lstm_ae_mnist.py's question2; 0 for the no-dropout run
    classes: int = 10

    def build(self) -> CourseClassifier:
        return CourseClassifier(self)


class CourseClassifier(nn.Module):
    """question2: encoder LSTM -> RepeatVector(T) -> decoder LSTM (last output only) -> Dense(10, sigmoid).

    Returns logits; ``sigmoid(logits)`` is Keras's output. The loss is Keras's binary cross-entropy
    on one-hot labels (mean over the 10 outputs and the batch), computed from the logits: the same
    up to Keras's clipping of probabilities to [1e-7, 1 - 1e-7] where it applies."""

    def __init__(self, cfg: CourseClassifierConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = _course_lstm(cfg.features, cfg.hidden, cfg.recurrent_dropout)
        self.decoder = _course_lstm(cfg.hidden, cfg.hidden, cfg.recurrent_dropout)
        self.out = keras_dense_init(nn.Linear(cfg.hidden, cfg.classes))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        _check_length(x, self.cfg.length)
        z = self.encoder(x)[0][:, -1]  # (B, H): return_sequences=False
        d = self.decoder(repeat(z, self.cfg.length))[0][:, -1]  # (B, H): the decoder's last output only
        logits = self.out(d)  # (B, 10)
        if y is None:
            return logits, None
        return logits, F.binary_cross_entropy_with_logits(logits, F.one_hot(y, self.cfg.classes).to(logits.dtype))


def _binary_accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    onehot = F.one_hot(y, logits.shape[-1]).bool()  # (B, C)
    return ((logits > 0) == onehot).float().mean(dim=1)  # sigmoid > 0.5 per output: (B,)


# Keras's "accuracy" on this model is ten-way (argmax, seqlab's ACCURACY) in tf.keras >= 2.2 and this
# binary accuracy (the share of the ten outputs on the right side of 0.5) in Keras 2.3 / TF <= 2.1
# (notes §2.4): ten outputs all below 0.5 score 0.9 here.
BINARY_ACCURACY = Metric("binary_acc", _binary_accuracy)
