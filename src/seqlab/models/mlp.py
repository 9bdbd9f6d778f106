"""Fully connected image models: the masked autoencoder.

An MNIST image is read whole, as 784 pixels, not as a sequence: these are the course's
image-generation studies, whose models are multilayer perceptrons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.core.errors import ParamsError
from seqlab.models.config import ModelConfig

SIDE = 28
PIXELS = SIDE * SIDE


def widths(mapping: dict, key: str, allow_empty: bool) -> tuple[int, ...]:
    """params.yaml's list of layer widths at ``key`` (its last part looked up in ``mapping``),
    each an integer >= 1; repeats allowed, since [512, 512] is two layers."""
    value = mapping.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
        raise ParamsError(f"params.yaml: '{key}' must be a list of layer widths, each an integer >= 1, got {value!r}")
    if not value and not allow_empty:
        raise ParamsError(f"params.yaml: '{key}' is empty; give at least one width")
    return tuple(value)


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU, **kwargs) -> nn.Sequential:
    """Linear layers through ``sizes`` with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation(**kwargs))
    return nn.Sequential(*layers)


class MaskedAutoencoder(nn.Module):
    """Masked image (B, 28, 28) -> flatten (B, 784) -> encoder (ReLU) -> code (B, encoder[-1])
    -> decoder (ReLU) -> (B, 784) -> sigmoid -> reconstruction (B, 28, 28) in [0, 1].

    Trained on the whole image as the target: the masked pixels must be inferred from the
    visible ones. forward(masked, full=None) returns (reconstruction, MSE over every pixel).
    """

    def __init__(self, encoder: Sequence[int], decoder: Sequence[int]):
        super().__init__()
        self.encoder = nn.Sequential(mlp([PIXELS, *encoder]), nn.ReLU())
        self.decoder = mlp([encoder[-1], *decoder, PIXELS])

    def forward(self, masked: torch.Tensor, full: torch.Tensor | None = None):
        code = self.encoder(masked.reshape(len(masked), PIXELS))  # (B, code)
        recon = torch.sigmoid(self.decoder(code)).reshape(-1, SIDE, SIDE)  # (B, 28, 28)
        return recon, None if full is None else F.mse_loss(recon, full)


@dataclass(frozen=True)
class MaskedAutoencoderConfig(ModelConfig):
    encoder: tuple[int, ...]  # hidden widths 784 -> ..., the last one the code
    decoder: tuple[int, ...]  # hidden widths code -> ... -> 784

    def build(self) -> MaskedAutoencoder:
        return MaskedAutoencoder(self.encoder, self.decoder)
