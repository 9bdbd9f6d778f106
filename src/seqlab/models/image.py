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
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.autoencoder import SequenceAutoencoder
from seqlab.models.config import ModelConfig
from seqlab.models.recurrent import FUSED_KINDS, StackedRecurrence

SIDE = 28  # MNIST images are SIDE x SIDE
PIXELS = SIDE * SIDE

# (T, I) per view; the dict is the registry, so an unknown view fails with the valid ones.
_SHAPES: dict[str, tuple[int, int]] = {"row": (SIDE, SIDE), "pixel": (PIXELS, 1), "permuted": (PIXELS, 1)}
VIEWS = tuple(_SHAPES)
KINDS = FUSED_KINDS  # the classifiers use torch's fused layers: rnn, lstm, gru


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


class ImageClassifier(nn.Module):
    """Images (B, 28, 28) -> view (B, T, I) -> StackedRecurrence -> features (B, D) -> Linear ->
    logits (B, C).

    Trained with cross-entropy. ``hidden`` is one width per layer, e.g. (64,) or (64, 64).
    :meth:`features` is the penultimate layer, the recurrence's summary of the image.
    """

    def __init__(self, kind: str, view: str, hidden: int | Sequence[int], bidirectional: bool = False,
                 num_classes: int = 10, forget_bias: float | str = 1.0, permutation_seed: int = 0):
        super().__init__()
        steps, input_size = view_shape(view)
        self.view = view
        self.permutation_seed = permutation_seed
        self.recurrence = StackedRecurrence(kind, input_size, hidden, bidirectional, forget_bias, t_max=steps)
        self.head = nn.Linear(self.recurrence.output_size, num_classes)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        x = view_sequence(images, self.view, self.permutation_seed)  # (B, T, I)
        return self.recurrence(x)  # (B, D)

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.head(self.features(images))  # (B, D) -> (B, C)
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

    A :class:`~seqlab.models.autoencoder.SequenceAutoencoder` over the 28 rows (28 features
    each) whose reconstruction is squashed into [0, 1], with Dropout -> Linear(latent, C) as
    its head. loss = recon_weight * MSE(recon, images) + cross_entropy(logits, targets). The
    reconstruction term makes z summarise the whole image, not only what separates the
    classes. Dropout sits only in front of the classifier, so the reconstruction is the same in
    train and eval mode.

    ``forward_parts`` returns every term; ``forward`` keeps the (logits, loss) convention and
    leaves its reconstruction error, detached, in ``last_recon_mse`` for logging.
    """

    def __init__(self, hidden: int, latent: int, dropout: float, num_classes: int = 10,
                 recon_weight: float = 1.0, forget_bias: float | str = 1.0):
        super().__init__()
        self.recon_weight = recon_weight

        def classifier(latent_size: int) -> nn.Module:
            return nn.Sequential(nn.Dropout(dropout), nn.Linear(latent_size, num_classes))

        self.autoencoder = SequenceAutoencoder(SIDE, SIDE, hidden, latent, forget_bias, head=classifier, sigmoid=True)
        self.last_recon_mse: torch.Tensor | None = None

    def reconstruct(self, images: torch.Tensor) -> torch.Tensor:
        ae = self.autoencoder
        return ae.decode(ae.encode(view_sequence(images, "row")))  # (B, 28, 28)

    def forward_parts(self, images: torch.Tensor, targets: torch.Tensor | None = None) -> AutoencoderParts:
        _, recon, logits = self.autoencoder(view_sequence(images, "row"))  # (B, latent), (B, 28, 28), (B, C)
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
        ae = model.autoencoder
        return f"LSTM autoencoder {ae.hidden_size}, latent {ae.latent_size}"
    if isinstance(model, ImageClassifier):
        view = model.view
        if view == "permuted" and model.permutation_seed != 0:
            view += f" (seed {model.permutation_seed})"
        return f"{describe(model.recurrence)}, {view}"
    if isinstance(model, StackedRecurrence):
        label = f"{model.kind.upper()} {'x'.join(map(str, model.hidden))}"
        return label + " bi" if model.bidirectional else label
    raise TypeError(f"describe() knows the models of seqlab.models.image, not {type(model).__name__}")


# --- typed configs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageClassifierConfig(ModelConfig):
    kind: str  # rnn, lstm or gru
    view: str  # row, pixel or permuted
    hidden: tuple[int, ...]  # one width per layer
    bidirectional: bool
    num_classes: int = 10
    forget_bias: float | str = 1.0  # a number, or "chrono"
    permutation_seed: int = 0

    def build(self) -> ImageClassifier:
        return ImageClassifier(self.kind, self.view, self.hidden, self.bidirectional, self.num_classes,
                               self.forget_bias, self.permutation_seed)


@dataclass(frozen=True)
class LSTMAutoencoderConfig(ModelConfig):
    hidden: int
    latent: int
    dropout: float
    num_classes: int = 10
    recon_weight: float = 1.0
    forget_bias: float | str = 1.0

    def build(self) -> LSTMAutoencoder:
        return LSTMAutoencoder(self.hidden, self.latent, self.dropout, self.num_classes, self.recon_weight,
                               self.forget_bias)
