"""The course's data, drawn as its scripts drew them (lstm_ae_toy.py, lstm_ae_snp500.py @7633b39),
from a seeded numpy Generator where the course was unseeded.

Synthetic signals (toy.py)::

    x = np.random.rand(n, 50)                          # U[0, 1)
    x = (x - x.min(row)) / (x.max(row) - x.min(row))   # each row to exactly [0, 1]
    x = x + 0.5 - x.mean(row)                          # each row's mean exactly 0.5; values leave [0, 1]
    train, val, test = np.split(x, [int(.6n), int(.8n)])   # 6,000 / 2,000 / 2,000, in order

    e.g. the row [0.2, 0.6, 0.4] -> [0, 1, 0.5] (mean 0.5 already) -> unchanged;
         the row [0.1, 0.3, 0.9] -> [0, 0.25, 1] (mean 0.4167) -> [0.0833, 0.3333, 1.0833]

S&P windows (snp500.py, ``split_random_sequnces``), from the tickers with no missing day, in
alphabetical order and split the same 60/20/20 way::

    ticker = randrange(K)             # uniform, with replacement
    start = randrange(L - N)          # [0, L-N-1]: the series' last day never enters a window
    w = close[ticker, start:start+N]
    w = (w - w.min()) / (w.max() - w.min())   # each window to exactly [0, 1] over all N days

The leak: the prediction model's encoder sees days 1..N-1 and must output day N, but the window was
scaled with day N's value in its min and max. When day N is the window's strict maximum (or
minimum) its scaled value is exactly 1 (or 0) and the seen days stop short of it, so the inputs
tell the model where the unseen day lies. :func:`leak_share` counts such windows (7.3% of 300-day
windows on the developer CSV; notes §0.5). Scaling each ticker over its whole series first, as the
course also did, changes no window: min-max scaling undoes any increasing affine map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from seqlab.core.errors import DataError

SPLITS = ("train", "val", "test")


def course_signals(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` signals of ``length`` values, min-max scaled and centred at 0.5 per row: (n, length, 1) float32."""
    if length < 2:
        raise ValueError(f"a signal needs at least 2 values to be min-max scaled, got length {length}")
    x = rng.random((n, length))  # (n, T) U[0, 1)
    low, high = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    x = (x - low) / (high - low)  # each row spans exactly [0, 1]
    x += 0.5 - x.mean(axis=1, keepdims=True)  # then its mean is 0.5 (the span stays 1)
    return x[..., None].astype(np.float32)  # (n, T, 1): the course's reshape


def course_split(n: int) -> tuple[slice, slice, slice]:
    """train, val, test of ``n`` items in order, cut as ``np.split(x, [int(.6 * n), int(.8 * n)])``."""
    a, b = int(0.6 * n), int(0.8 * n)
    return slice(0, a), slice(a, b), slice(b, n)


@dataclass(frozen=True)
class CourseWindows:
    x: np.ndarray  # (M, N, 1) float32, each window min-max scaled to [0, 1]
    ticker: np.ndarray  # (M,) index into ``tickers``
    start: np.ndarray  # (M,) first day's index in that ticker's series
    tickers: list[str]


def course_windows(series: Mapping[str, np.ndarray], m: int, length: int, rng: np.random.Generator) -> CourseWindows:
    """``m`` windows of ``length`` days from ``series`` (ticker -> prices in date order), each drawn
    as the course drew it: a uniform ticker with replacement, a start in [0, L - N - 1], the
    window min-max scaled over all its days (the last one included: the module docstring's leak).

    Raises:
        DataError: a ticker too short for a window, a non-finite price inside a window, or a flat
            window (min = max, which the course's code turned into NaN); each names the ticker.
    """
    tickers = list(series)
    if not tickers or m < 1:
        raise DataError(f"{m} windows asked of {len(tickers)} ticker(s): need at least one of each")
    days = np.array([len(series[t]) for t in tickers])
    if (days <= length).any():
        t = tickers[int(np.argmin(days))]
        raise DataError(f"ticker {t} has {len(series[t])} days; a course window of {length} days needs more "
                        f"(its first day is drawn from [0, days - {length} - 1])")
    ticker = rng.integers(0, len(tickers), size=m)  # (M,) with replacement
    start = rng.integers(0, days[ticker] - length)  # (M,) randrange(L - N), per window
    raw = np.stack([np.asarray(series[tickers[k]][s : s + length], dtype=np.float64)
                    for k, s in zip(ticker, start)])  # (M, N)
    bad = ~np.isfinite(raw).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"ticker {tickers[ticker[i]]}: the {length}-day window from day {start[i]} holds a missing "
                        "or non-finite price; the course's filter keeps only tickers with every day's price")
    low, high = raw.min(axis=1, keepdims=True), raw.max(axis=1, keepdims=True)  # (M, 1)
    flat = (high == low)[:, 0]
    if flat.any():
        i = int(np.flatnonzero(flat)[0])
        raise DataError(f"ticker {tickers[ticker[i]]}: the {length}-day window from day {start[i]} is flat (every "
                        f"price {raw[i, 0]}), so min-max scaling divides by zero (the course's code gave NaN); "
                        "drop the ticker from the source, or check its prices")
    x = (raw - low) / (high - low)  # (M, N) in [0, 1]
    return CourseWindows(x[..., None].astype(np.float32), ticker, start, tickers)


def leak_share(windows: np.ndarray) -> float:
    """The share of windows (M, N) or (M, N, 1) whose last day is their strict maximum or minimum:
    the windows whose scaling leaks the unseen day into the seen ones. The same on raw or scaled
    windows (scaling is increasing)."""
    w = windows.reshape(len(windows), -1)  # (M, N)
    last, seen = w[:, -1], w[:, :-1]
    return float(((last > seen.max(axis=1)) | (last < seen.min(axis=1))).mean())
