"""The LSTM-autoencoder study's section of params.yaml (``lstmae``): each key declared once, as a
field of the schema below (seqlab.core.schema)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, boolean, choice, get, integer, number, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.tasks.prices import OFFLINE_DEFAULT, SOURCES

# Quoted from the course report, not settings: the synthetic signals' test reconstruction MSE,
# with hidden 64, lr 0.005, batch 32 and no clipping chosen on validation.
COURSE_SYNTHETIC_MSE = 0.0003
_CSV = re.compile(r"^csv:.+$")
COLUMNS = ("open", "high", "low", "close", "adj_close")


def _clip(mapping: dict, key: str) -> float | None:
    clip = get(mapping, key)
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or clip <= 0):
        raise ParamsError(f"params.yaml: '{key}' must be a number > 0, or null for no clipping, got {clip!r}")
    return None if clip is None else float(clip)


def _split(mapping: dict, key: str) -> tuple[float, float, float]:
    value = get(mapping, key)
    ok = (isinstance(value, list) and len(value) == 3
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
          and abs(sum(value) - 1) < 1e-9)
    if not ok:
        raise ParamsError(f"params.yaml: '{key}' must be three fractions > 0 (train, validation, test) summing to 1, "
                          f"got {value!r}")
    return tuple(float(v) for v in value)


def _dip_at(mapping: dict, key: str) -> tuple[int, int]:
    at = get(mapping, key)
    if not (isinstance(at, list) and len(at) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in at)
            and at[0] <= at[1]):
        raise ParamsError(f"params.yaml: '{key}' must be two integers [low, high], low <= high, got {at!r}")
    return at[0], at[1]


def _price_source(mapping: dict, key: str) -> str:
    source = get(mapping, key)
    if not (isinstance(source, str) and (source == OFFLINE_DEFAULT or _CSV.match(source))):
        raise ParamsError(f"params.yaml: '{key}' is {source!r}; allowed values: {', '.join(SOURCES)}")
    return source


def _show(mapping: dict, key: str) -> tuple[str, str]:
    show = get(mapping, key)
    if not (isinstance(show, list) and len(show) == 2 and all(isinstance(s, str) and s for s in show)):
        raise ParamsError(f"params.yaml: '{key}' must be two ticker names, got {show!r}")
    return tuple(show)


@dataclass(frozen=True)
class Train:
    lr: float = param(positive_number)
    batch_size: int = param(integer, 1)
    clip: float | None = param(_clip)  # gradient-norm clipping; None: none
    steps: int = param(integer, 1)
    eval_every: int = param(integer, 1)
    seed: int = param(integer, 0)
    device: str = param(choice, DEVICES)

    @property
    def clip_norm(self) -> float:
        """The loop's clipping norm: no clipping is an infinite norm (torch then scales by 1)."""
        return float("inf") if self.clip is None else self.clip


@dataclass(frozen=True)
class Model:
    hidden: int = param(integer, 1)
    latent: int = param(integer, 1)  # the code z between encoder and decoder


@dataclass(frozen=True)
class SyntheticData:
    n: int = param(integer, 5)
    length: int = param(integer, 2)
    dip_at: tuple[int, int] = param(_dip_at)  # the dip's centre i, uniform over [low, high]
    dip_half: int = param(integer, 1)  # x[i - dip_half : i + dip_half] ...
    dip_factor: float = param(number)  # ... is multiplied by this
    split: tuple[float, float, float] = param(_split)
    seed: int = param(integer, 0)

    @property
    def dip_min(self) -> int:
        return self.dip_at[0]

    @property
    def dip_max(self) -> int:
        return self.dip_at[1]

    def check(self, key: str) -> None:
        if not self.dip_half <= self.dip_min or self.dip_max > self.length - self.dip_half:
            raise ParamsError(f"params.yaml: a dip x[i - {self.dip_half} : i + {self.dip_half}] with i in "
                              f"{list(self.dip_at)} does not fit in '{key}.length' = {self.length} values: need "
                              f"{self.dip_half} <= low and high <= {self.length - self.dip_half}")


@dataclass(frozen=True)
class Synthetic:
    data: SyntheticData = part(SyntheticData)
    model: Model = part(Model)
    train: Train = part(Train)
    smoother: int = param(integer, 1)  # the moving-average baseline's window


@dataclass(frozen=True)
class PriceData:
    source: str = param(_price_source)
    column: str = param(choice, COLUMNS)
    repair: bool = param(boolean)
    windows: int = param(integer, 3)
    days: int = param(integer, 2)
    horizon: int = param(integer, 1)
    split: tuple[float, float, float] = param(_split)
    seed: int = param(integer, 0)
    show: tuple[str, ...] = param(_show)

    @property
    def min_days(self) -> int:
        """Days a ticker needs: a window's inputs and the days forecast past them."""
        return self.days + self.horizon


@dataclass(frozen=True)
class Prices:
    data: PriceData = part(PriceData)
    model: Model = part(Model)
    train: Train = part(Train)


@dataclass(frozen=True)
class LstmAeParams:
    SECTION = "lstmae"

    synthetic: Synthetic = part(Synthetic)
    prices: Prices = part(Prices)
    runtime: Runtime = settings()


parse = parser(LstmAeParams)
