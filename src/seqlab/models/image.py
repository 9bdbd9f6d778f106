"""Models for sequential MNIST: a (28, 28) image read as a sequence by a recurrent network.

A *view* decides what one time step sees:

    "row"       28 steps x 28 features: step t is image row t
    "pixel"     784 steps x 1 feature: the pixels in row-major order (Le et al. 2015)
    "permuted"  784 steps x 1 feature: the pixels in one fixed random order (Le et al. 2015)

In the pixel view vertically adjacent pixels are 28 steps apart, and the digit's strokes end
long before the last step, so the classifier needs memory over hundreds of steps. The fixed
permutation scatters neighbouring pixels across the whole sequence, so no short-range
structure is left to lean on. It is drawn from a fresh ``torch.Generator`` seeded with
``permutation_seed``, so every process and every model built with that seed agrees on it.

Every model's forward(images, targets=None) returns (output, loss), loss None without targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

SIDE = 28  # MNIST images are SIDE x SIDE
PIXELS = SIDE * SIDE

# (T, I) per view; the dict is the registry, so an unknown view fails with the valid ones.
_SHAPES: dict[str, tuple[int, int]] = {"row": (SIDE, SIDE), "pixel": (PIXELS, 1), "permuted": (PIXELS, 1)}
VIEWS = tuple(_SHAPES)

# torch's fused single-layer modules; nn.RNN's default nonlinearity is tanh.
_FUSED: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
KINDS = tuple(_FUSED)


def view_shape(view: str) -> tuple[int, int]:
    """(T, I): the sequence length and step width a view produces."""
    if view not in _SHAPES:
        raise ValueError(f"unknown view {view!r}; valid views: {', '.join(VIEWS)}")
    return _SHAPES[view]


@lru_cache(maxsize=None)
def _permutation(seed: int, device: torch.device) -> torch.Tensor:
    # Drawn on the CPU, whose generator gives the same numbers on every machine, then cached
    # per device so a training step does not copy it to the GPU again.
    perm = torch.randperm(PIXELS, generator=torch.Generator().manual_seed(seed))  # (784,)
    return perm.to(device)


def pixel_permutation(seed: int = 0) -> torch.Tensor:
    """The fixed order of the "permuted" view: step t reads row-major pixel ``perm[t]``."""
    return _permutation(seed, torch.device("cpu")).clone()


def view_sequence(images: torch.Tensor, view: str, permutation_seed: int = 0) -> torch.Tensor:
    """Images (B, 28, 28) -> sequences (B, T, I) as ``view`` reads them; see the module docstring."""
    view_shape(view)  # fails early, with the valid views, on an unknown one
    if images.ndim != 3 or tuple(images.shape[1:]) != (SIDE, SIDE):
        raise ValueError(f"expected images of shape (B, {SIDE}, {SIDE}), got {tuple(images.shape)}")
    if view == "row":
        return images  # (B, 28, 28): already one row per step
    flat = images.reshape(len(images), PIXELS)  # (B, 784), row-major
    if view == "permuted":
        flat = flat[:, _permutation(permutation_seed, images.device)]  # (B, 784)
    return flat.unsqueeze(-1)  # (B, 784, 1)


def _as_widths(hidden: int | Sequence[int]) -> tuple[int, ...]:
    widths = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if not widths or any(int(h) != h or h < 1 for h in widths):
        raise ValueError(f"hidden must be one or more positive layer widths, got {hidden!r}")
    return tuple(int(h) for h in widths)


CHRONO = "chrono"


def init_gates(module: nn.RNNBase, forget_bias: float | str, t_max: int) -> None:
    """Set the memory gates' biases of a fused LSTM or GRU (all layers, both directions).

    ``forget_bias`` a number: every LSTM forget gate starts there. At 1 the cell keeps its
    memory by default early in training (Gers et al. 2000; Jozefowicz et al. 2015). The GRU
    and the RNN keep torch's initialisation.

    ``forget_bias`` "chrono": chrono initialisation (Tallec & Ollivier 2018, "Can recurrent
    neural networks warp time?"). Each unit's forget bias is log(u), u ~ U(1, t_max - 1), and
    its input bias is the negative of that. A gate at sigmoid(log u) forgets on a time scale of
    about u steps, so the units' memories span every range up to the sequence length. For the
    GRU the same draw goes to the update gate z, which keeps the state where z is near 1. Why it
    matters here: at bias 1 the forget gate is 0.73, and a digit's gradient crossing the ~100
    blank pixels at the foot of the image shrinks by 0.73^100, about 1e-14. The pixel models then
    sit on the loss plateau ln 10 for hundreds of updates.

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
        if kind not in _FUSED:
            raise ValueError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
        self.kind = kind
        self.hidden = _as_widths(hidden)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        inputs = (input_size, *(directions * h for h in self.hidden[:-1]))
        self.layers = nn.ModuleList(
            _FUSED[kind](i, h, batch_first=True, bidirectional=bidirectional) for i, h in zip(inputs, self.hidden)
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


class ImageClassifier(nn.Module):
    """Images (B, 28, 28) -> view (B, T, I) -> StackedRecurrence (B, D) -> Linear -> logits (B, C).

    Trained with cross-entropy. ``hidden`` is one width per layer, e.g. (64,) or (64, 64).
    """

    def __init__(self, kind: str, view: str, hidden: int | Sequence[int], bidirectional: bool = False,
                 num_classes: int = 10, forget_bias: float | str = 1.0, permutation_seed: int = 0):
        super().__init__()
        steps, input_size = view_shape(view)
        self.view = view
        self.permutation_seed = permutation_seed
        self.recurrence = StackedRecurrence(kind, input_size, hidden, bidirectional, forget_bias, t_max=steps)
        self.head = nn.Linear(self.recurrence.output_size, num_classes)

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None):
        x = view_sequence(images, self.view, self.permutation_seed)  # (B, T, I)
        logits = self.head(self.recurrence(x))  # (B, D) -> (B, C)
        loss = None if targets is None else F.cross_entropy(logits, targets.long())
        return logits, loss


class AutoencoderParts(NamedTuple):
    logits: torch.Tensor  # (B, C)
    recon: torch.Tensor  # (B, 28, 28), in [0, 1]
    loss: torch.Tensor | None  # recon_weight * recon_mse + ce; None without targets
    recon_mse: torch.Tensor  # scalar
    ce: torch.Tensor | None  # scalar; None without targets


class LSTMAutoencoder(nn.Module):
    """Row-by-row LSTM autoencoder with a digit classifier on its latent code, trained jointly.

        encoder     LSTM(28 -> H) over the 28 rows; last hidden state (B, H) -> Linear -> z (B, latent)
        decoder     z fed at each of the 28 steps to LSTM(latent -> H) -> Linear(H, 28) -> sigmoid
                    = the reconstructed rows (B, 28, 28)
        classifier  Dropout -> Linear(latent, C) on z

    loss = recon_weight * MSE(recon, images) + cross_entropy(logits, targets). The
    reconstruction term makes z summarise the whole image, not only what separates the
    classes; the encoder-decoder form follows Srivastava et al. (2015). Dropout sits only in
    front of the classifier, so the reconstruction is the same in train and eval mode.

    ``forward_parts`` returns every term; ``forward`` keeps the (logits, loss) convention and
    leaves its reconstruction error, detached, in ``last_recon_mse`` for logging.
    """

    def __init__(self, hidden: int, latent: int, dropout: float, num_classes: int = 10,
                 recon_weight: float = 1.0, forget_bias: float | str = 1.0):
        super().__init__()
        self.recon_weight = recon_weight
        self.encoder = nn.LSTM(SIDE, hidden, batch_first=True)
        self.to_latent = nn.Linear(hidden, latent)
        self.decoder = nn.LSTM(latent, hidden, batch_first=True)
        self.to_row = nn.Linear(hidden, SIDE)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(latent, num_classes))
        for lstm in (self.encoder, self.decoder):
            init_gates(lstm, forget_bias, t_max=SIDE)  # both read or write the 28 rows
        self.last_recon_mse: torch.Tensor | None = None

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        _, (h_n, _) = self.encoder(view_sequence(images, "row"))  # h_n: (1, B, H)
        return self.to_latent(h_n[-1])  # (B, latent)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        steps = z.unsqueeze(1).expand(-1, SIDE, -1)  # (B, 28, latent): the same code at every row
        out, _ = self.decoder(steps)  # (B, 28, H)
        return torch.sigmoid(self.to_row(out))  # (B, 28, 28), pixels in [0, 1] like the images

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(images))  # (B, 28, 28)

    def forward_parts(self, images: torch.Tensor, targets: torch.Tensor | None = None) -> AutoencoderParts:
        z = self.encode(images)  # (B, latent)
        recon = self.decode(z)  # (B, 28, 28)
        logits = self.classifier(z)  # (B, C)
        recon_mse = F.mse_loss(recon, images)
        if targets is None:
            return AutoencoderParts(logits, recon, None, recon_mse, None)
        ce = F.cross_entropy(logits, targets.long())
        return AutoencoderParts(logits, recon, self.recon_weight * recon_mse + ce, recon_mse, ce)

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None):
        parts = self.forward_parts(images, targets)
        self.last_recon_mse = parts.recon_mse.detach()
        return parts.logits, parts.loss


def describe(model: nn.Module) -> str:
    """A short label for tables and plots, e.g. "LSTM 64x64 bi, pixel"."""
    if isinstance(model, LSTMAutoencoder):
        return f"LSTM autoencoder {model.encoder.hidden_size}, latent {model.to_latent.out_features}"
    if isinstance(model, ImageClassifier):
        view = model.view
        if view == "permuted" and model.permutation_seed != 0:
            view += f" (seed {model.permutation_seed})"
        return f"{describe(model.recurrence)}, {view}"
    if isinstance(model, StackedRecurrence):
        label = f"{model.kind.upper()} {'x'.join(map(str, model.hidden))}"
        return label + " bi" if model.bidirectional else label
    raise TypeError(f"describe() knows the models of seqlab.models.image, not {type(model).__name__}")
