"""The MNIST GAN of the course template: a fully connected generator and discriminator.

    generator      z (B, 100) -> 128 -> 256 -> 512 -> 1024 -> 784, LeakyReLU(0.2), batch norm
                   on every hidden layer but the first, tanh: images (B, 28, 28) in [-1, 1]
    discriminator  image (B, 28, 28) -> 784 -> 512 -> 256 -> 1 logit, LeakyReLU(0.2)

The widths come from params. Images are in [-1, 1] here (tanh); :func:`to_unit` maps them to
the [0, 1] range the MNIST splits and the classifiers use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from seqlab.models.config import ModelConfig
from seqlab.models.mlp import PIXELS, SIDE


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """tanh range [-1, 1] -> pixel range [0, 1]."""
    return (images + 1) / 2


def from_unit(images: torch.Tensor) -> torch.Tensor:
    """pixel range [0, 1] -> tanh range [-1, 1]."""
    return images * 2 - 1


class Generator(nn.Module):
    """z (B, latent) -> hidden layers (Linear, [BatchNorm], LeakyReLU) -> Linear -> tanh ->
    (B, 28, 28). As in the course template (after the DCGAN guidelines, Radford et al. 2016),
    the first hidden layer has no batch norm."""

    def __init__(self, latent: int, hidden: Sequence[int], slope: float):
        super().__init__()
        self.latent = latent
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip([latent, *hidden], hidden)):
            layers.append(nn.Linear(a, b))
            if i > 0:
                layers.append(nn.BatchNorm1d(b))
            layers.append(nn.LeakyReLU(slope))
        self.body = nn.Sequential(*layers, nn.Linear(hidden[-1], PIXELS), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z).reshape(-1, SIDE, SIDE)  # (B, latent) -> (B, 28, 28)


class Discriminator(nn.Module):
    """Image (B, 28, 28) -> hidden layers (Linear, LeakyReLU) -> Linear -> logit (B,).
    Logits, not probabilities: the loss is binary cross-entropy with logits, which is stable
    where a sigmoid saturates."""

    def __init__(self, hidden: Sequence[int], slope: float):
        super().__init__()
        layers: list[nn.Module] = []
        for a, b in zip([PIXELS, *hidden], hidden):
            layers += [nn.Linear(a, b), nn.LeakyReLU(slope)]
        self.body = nn.Sequential(*layers, nn.Linear(hidden[-1], 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images.reshape(len(images), PIXELS)).squeeze(-1)  # (B,)


class GAN(nn.Module):
    """The pair, as one module so that one checkpoint and one training loop hold both; the
    update rule is :class:`seqlab.studies.gan.update.GANStep`."""

    def __init__(self, latent: int, generator: Sequence[int], discriminator: Sequence[int], slope: float):
        super().__init__()
        self.generator = Generator(latent, generator, slope)
        self.discriminator = Discriminator(discriminator, slope)

    @property
    def latent(self) -> int:
        return self.generator.latent

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] for the latent batch ``z`` (B, latent), drawn in eval mode (batch norm
        on its running statistics, so an image depends on its own z alone); the module's
        train/eval mode is restored."""
        was_training = self.generator.training
        self.generator.eval()
        images = to_unit(self.generator(z))
        self.generator.train(was_training)
        return images


@dataclass(frozen=True)
class GANConfig(ModelConfig):
    latent: int
    generator: tuple[int, ...]
    discriminator: tuple[int, ...]
    slope: float = 0.2

    def build(self) -> GAN:
        return GAN(self.latent, self.generator, self.discriminator, self.slope)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between vectors ``a`` and ``b`` (D,) at fractions ``t`` (K,) ->
    (K, D): along the great circle, so the points keep the norm a Gaussian latent typically has
    (White 2016); falls back to the linear path when a and b are parallel."""
    cos = torch.dot(a, b) / (a.norm() * b.norm())
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:
        return lerp(a, b, t)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation: (D,), (D,), (K,) -> (K, D)."""
    t = t[:, None]
    return (1 - t) * a + t * b
