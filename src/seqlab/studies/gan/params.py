"""The GAN's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    DEVICES,
    MlflowConfig,
    boolean,
    choice,
    get,
    integer,
    mlflow_config,
    number,
    positive_number,
    section,
)
from seqlab.models.mlp import widths


@dataclass(frozen=True)
class GanTrain:
    updates: int
    batch_size: int
    lr: float
    betas: tuple[float, float]
    seed: int
    device: str
    grid_every: int  # an image grid and a scored sample every this many updates


@dataclass(frozen=True)
class GanParams:
    latent: int
    generator: tuple[int, ...]
    discriminator: tuple[int, ...]
    slope: float
    train: GanTrain
    grid_size: int  # images in each grid, from one fixed latent batch
    n_samples: int  # images per Fréchet distance and Inception score
    latent_seed: int  # the fixed latent batches (grid, scored samples) are drawn from it
    interpolation_seeds: tuple[int, int]
    interpolation_points: int
    judge_batch_size: int
    mlflow: MlflowConfig


def _betas(mapping: dict, key: str) -> tuple[float, float]:
    value = get(mapping, key)
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in value)):
        raise ParamsError(f"params.yaml: '{key}' must be two numbers in [0, 1) (Adam's beta1, beta2), got {value!r}")
    return float(value[0]), float(value[1])


def _mnist_split_sizes(raw: dict) -> tuple[int, int] | None:
    """(train, test) images of the MNIST study's splits, known before any work unless
    ``mnist.data.full`` takes every image of the source (then checked when the splits load)."""
    d = section(section(raw, "mnist"), "mnist.data")
    if boolean(d, "mnist.data.full"):
        return None
    return integer(d, "mnist.data.n_train", 1), integer(d, "mnist.data.n_test", 1)


def check_samples(n_samples: int, n_train: int, n_test: int) -> None:
    """The Fréchet distance compares n_samples generated images with as many test images, and
    its floor as many training images with them: both splits must hold that many."""
    if n_samples > min(n_train, n_test):
        raise ParamsError(f"params.yaml: 'gan.score.n_samples' ({n_samples}) exceeds the MNIST splits' sizes "
                          f"(train {n_train}, test {n_test}: 'mnist.data.n_train', 'mnist.data.n_test')")


def parse(raw: dict) -> GanParams:
    g = section(raw, "gan")
    m, t, s, i = (section(g, f"gan.{k}") for k in ("model", "train", "score", "interpolate"))
    train = GanTrain(updates=integer(t, "gan.train.updates", 1), batch_size=integer(t, "gan.train.batch_size", 2),
                     lr=positive_number(t, "gan.train.lr"), betas=_betas(t, "gan.train.betas"),
                     seed=integer(t, "gan.train.seed", 0), device=choice(t, "gan.train.device", DEVICES),
                     grid_every=integer(t, "gan.train.grid_every", 1))
    n_samples = integer(s, "gan.score.n_samples", 2)
    if (sizes := _mnist_split_sizes(raw)) is not None:
        check_samples(n_samples, *sizes)
    seeds = get(i, "gan.interpolate.seeds")
    if not (isinstance(seeds, list) and len(seeds) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                               and v >= 0 for v in seeds) and seeds[0] != seeds[1]):
        raise ParamsError(f"params.yaml: 'gan.interpolate.seeds' must be two different integers >= 0 (one latent "
                          f"vector each), got {seeds!r}")
    slope = number(m, "gan.model.slope")
    if not 0 <= slope < 1:
        raise ParamsError(f"params.yaml: 'gan.model.slope' (LeakyReLU's negative slope) must be in [0, 1), got {slope}")
    return GanParams(
        latent=integer(m, "gan.model.latent", 1),
        generator=widths(m, "gan.model.generator", allow_empty=False),
        discriminator=widths(m, "gan.model.discriminator", allow_empty=False),
        slope=slope, train=train,
        grid_size=integer(s, "gan.score.grid_size", 1),
        n_samples=n_samples,
        latent_seed=integer(s, "gan.score.latent_seed", 0),
        interpolation_seeds=(seeds[0], seeds[1]),
        interpolation_points=integer(i, "gan.interpolate.points", 2),
        judge_batch_size=integer(s, "gan.score.judge_batch_size", 1),
        mlflow=mlflow_config(raw),
    )
