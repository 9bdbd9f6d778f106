"""The GAN's params: its own section of params.yaml (``gan``), and the three keys of the MNIST
study's ``mnist.data`` that size the splits it trains on and is scored against. Each key is
declared once, as a field of the schemas below (seqlab.core.schema).

The root schema has no SECTION: its fields are top-level keys, ``gan`` and ``mnist``. The steps
read the splits themselves from disk (``data/mnist``, their data dep), never ``mnist.data``;
the full read (the params check, the report) uses those keys only to reject, before any work,
a sample size the splits cannot supply."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, boolean, choice, get, integer, number, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.models.mlp import widths


def _betas(mapping: dict, key: str) -> tuple[float, float]:
    value = get(mapping, key)
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in value)):
        raise ParamsError(f"params.yaml: '{key}' must be two numbers in [0, 1) (Adam's beta1, beta2), got {value!r}")
    return float(value[0]), float(value[1])


def _slope(mapping: dict, key: str) -> float:
    slope = number(mapping, key)
    if not 0 <= slope < 1:
        raise ParamsError(f"params.yaml: '{key}' (LeakyReLU's negative slope) must be in [0, 1), got {slope}")
    return slope


def _seed_pair(mapping: dict, key: str) -> tuple[int, int]:
    seeds = get(mapping, key)
    if not (isinstance(seeds, list) and len(seeds) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                               and v >= 0 for v in seeds) and seeds[0] != seeds[1]):
        raise ParamsError(f"params.yaml: '{key}' must be two different integers >= 0 (one latent "
                          f"vector each), got {seeds!r}")
    return seeds[0], seeds[1]


def check_samples(n_samples: int, n_train: int, n_test: int) -> None:
    """The Fréchet distance compares n_samples generated images with as many test images, and
    its floor as many training images with them: both splits must hold that many."""
    if n_samples > min(n_train, n_test):
        raise ParamsError(f"params.yaml: 'gan.score.n_samples' ({n_samples}) exceeds the MNIST splits' sizes "
                          f"(train {n_train}, test {n_test}: 'mnist.data.n_train', 'mnist.data.n_test')")


@dataclass(frozen=True)
class GanModel:
    latent: int = param(integer, 1)
    generator: tuple[int, ...] = param(widths, False)  # latent -> ... -> 784, tanh
    discriminator: tuple[int, ...] = param(widths, False)  # 784 -> ... -> 1 logit
    slope: float = param(_slope)  # LeakyReLU


@dataclass(frozen=True)
class GanTrain:
    updates: int = param(integer, 1)
    batch_size: int = param(integer, 2)
    lr: float = param(positive_number)
    betas: tuple[float, float] = param(_betas)
    seed: int = param(integer, 0)
    device: str = param(choice, DEVICES)
    grid_every: int = param(integer, 1)  # an image grid and a scored sample every this many updates


@dataclass(frozen=True)
class GanScore:
    grid_size: int = param(integer, 1)  # images in each grid, from one fixed latent batch
    n_samples: int = param(integer, 2)  # images per Fréchet distance and Inception score
    latent_seed: int = param(integer, 0)  # the fixed latent batches (grid, scored samples) are drawn from it
    judge_batch_size: int = param(integer, 1)


@dataclass(frozen=True)
class GanInterpolate:
    seeds: tuple[int, int] = param(_seed_pair)  # the two latent vectors' seeds
    points: int = param(integer, 2)


@dataclass(frozen=True)
class Gan:
    model: GanModel = part(GanModel)
    train: GanTrain = part(GanTrain)
    score: GanScore = part(GanScore)
    interpolate: GanInterpolate = part(GanInterpolate)


@dataclass(frozen=True)
class MnistSplits:
    """The keys of ``mnist.data`` (the MNIST study's) that fix its splits' sizes."""

    full: bool = param(boolean)  # every image of the source: the sizes are known only when the splits load
    n_train: int = param(integer, 1)
    n_test: int = param(integer, 1)


@dataclass(frozen=True)
class MnistDataView:
    data: MnistSplits = part(MnistSplits)


@dataclass(frozen=True)
class GanParams:
    gan: Gan = part(Gan)
    mnist: MnistDataView = part(MnistDataView)
    runtime: Runtime = settings()

    def check(self, key: str) -> None:
        """Unless ``mnist.data.full`` takes every image of the source (then gan_train checks the
        sizes when the splits load), the scored sample must fit in both splits."""
        d = self.mnist.data
        if not d.full:
            check_samples(self.gan.score.n_samples, d.n_train, d.n_test)


parse = parser(GanParams)
