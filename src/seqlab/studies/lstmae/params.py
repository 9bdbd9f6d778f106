"""The LSTM-autoencoder study's section of params.yaml: validated, typed, frozen."""

from __future__ import annotations

import re
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
    workers,
)
from seqlab.tasks.prices import OFFLINE_DEFAULT, SOURCES

# Quoted from the course report, not settings: the synthetic signals' test reconstruction MSE,
# with hidden 64, lr 0.005, batch 32 and no clipping chosen on validation.
COURSE_SYNTHETIC_MSE = 0.0003
_CSV = re.compile(r"^csv:.+$")


@dataclass(frozen=True)
class Train:
    lr: float
    batch_size: int
    clip: float | None  # gradient-norm clipping; None: none
    steps: int
    eval_every: int
    seed: int
    device: str

    @property
    def clip_norm(self) -> float:
        """The loop's clipping norm: no clipping is an infinite norm (torch then scales by 1)."""
        return float("inf") if self.clip is None else self.clip


@dataclass(frozen=True)
class Model:
    hidden: int
    latent: int


@dataclass(frozen=True)
class SyntheticData:
    n: int
    length: int
    dip_min: int
    dip_max: int
    dip_half: int
    dip_factor: float
    split: tuple[float, float, float]
    seed: int


@dataclass(frozen=True)
class PriceData:
    source: str
    column: str
    repair: bool
    windows: int
    days: int
    horizon: int
    split: tuple[float, float, float]
    seed: int
    show: tuple[str, ...]

    @property
    def min_days(self) -> int:
        """Days a ticker needs: a window's inputs and the days forecast past them."""
        return self.days + self.horizon


@dataclass(frozen=True)
class LstmAeParams:
    synthetic: SyntheticData
    synthetic_model: Model
    synthetic_train: Train
    smoother: int
    prices: PriceData
    prices_model: Model
    prices_train: Train
    workers: int
    mlflow: MlflowConfig


def _train(t: dict, key: str) -> Train:
    clip = get(t, f"{key}.clip")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float)) or clip <= 0):
        raise ParamsError(f"params.yaml: '{key}.clip' must be a number > 0, or null for no clipping, got {clip!r}")
    return Train(lr=positive_number(t, f"{key}.lr"), batch_size=integer(t, f"{key}.batch_size", 1),
                 clip=None if clip is None else float(clip), steps=integer(t, f"{key}.steps", 1),
                 eval_every=integer(t, f"{key}.eval_every", 1), seed=integer(t, f"{key}.seed", 0),
                 device=choice(t, f"{key}.device", DEVICES))


def _model(m: dict, key: str) -> Model:
    return Model(hidden=integer(m, f"{key}.hidden", 1), latent=integer(m, f"{key}.latent", 1))


def _split(d: dict, key: str) -> tuple[float, float, float]:
    value = get(d, key)
    ok = (isinstance(value, list) and len(value) == 3
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
          and abs(sum(value) - 1) < 1e-9)
    if not ok:
        raise ParamsError(f"params.yaml: '{key}' must be three fractions > 0 (train, validation, test) summing to 1, "
                          f"got {value!r}")
    return tuple(float(v) for v in value)


def _synthetic(d: dict) -> SyntheticData:
    k = "lstmae.synthetic.data"
    at = get(d, f"{k}.dip_at")
    if not (isinstance(at, list) and len(at) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in at)
            and at[0] <= at[1]):
        raise ParamsError(f"params.yaml: '{k}.dip_at' must be two integers [low, high], low <= high, got {at!r}")
    data = SyntheticData(n=integer(d, f"{k}.n", 5), length=integer(d, f"{k}.length", 2), dip_min=at[0], dip_max=at[1],
                         dip_half=integer(d, f"{k}.dip_half", 1), dip_factor=number(d, f"{k}.dip_factor"),
                         split=_split(d, f"{k}.split"), seed=integer(d, f"{k}.seed", 0))
    if not data.dip_half <= data.dip_min or data.dip_max > data.length - data.dip_half:
        raise ParamsError(f"params.yaml: a dip x[i - {data.dip_half} : i + {data.dip_half}] with i in {at} does not fit "
                          f"in '{k}.length' = {data.length} values: need {data.dip_half} <= low and "
                          f"high <= {data.length - data.dip_half}")
    return data


def _prices(d: dict) -> PriceData:
    k = "lstmae.prices.data"
    source = get(d, f"{k}.source")
    if not (isinstance(source, str) and (source == OFFLINE_DEFAULT or _CSV.match(source))):
        raise ParamsError(f"params.yaml: '{k}.source' is {source!r}; allowed values: {', '.join(SOURCES)}")
    column = choice(d, f"{k}.column", ("open", "high", "low", "close", "adj_close"))
    show = get(d, f"{k}.show")
    if not (isinstance(show, list) and len(show) == 2 and all(isinstance(s, str) and s for s in show)):
        raise ParamsError(f"params.yaml: '{k}.show' must be two ticker names, got {show!r}")
    return PriceData(source=source, column=column, repair=boolean(d, f"{k}.repair"),
                     windows=integer(d, f"{k}.windows", 3), days=integer(d, f"{k}.days", 2),
                     horizon=integer(d, f"{k}.horizon", 1), split=_split(d, f"{k}.split"),
                     seed=integer(d, f"{k}.seed", 0), show=tuple(show))


def parse(raw: dict) -> LstmAeParams:
    a = section(raw, "lstmae")
    s, p = section(a, "lstmae.synthetic"), section(a, "lstmae.prices")
    return LstmAeParams(
        synthetic=_synthetic(section(s, "lstmae.synthetic.data")),
        synthetic_model=_model(section(s, "lstmae.synthetic.model"), "lstmae.synthetic.model"),
        synthetic_train=_train(section(s, "lstmae.synthetic.train"), "lstmae.synthetic.train"),
        smoother=integer(s, "lstmae.synthetic.smoother", 1),
        prices=_prices(section(p, "lstmae.prices.data")),
        prices_model=_model(section(p, "lstmae.prices.model"), "lstmae.prices.model"),
        prices_train=_train(section(p, "lstmae.prices.train"), "lstmae.prices.train"),
        workers=workers(raw), mlflow=mlflow_config(raw))
