"""Daily stock prices: where they come from, how a file is checked, and the windows a model sees.

Sources, chosen by ``lstmae.prices.data.source`` in params.yaml:

    skfolio:sp500   the offline default: the adjusted daily closes of 20 S&P 500 stocks, 1990-01-02
                    to 2022-12-28 (8,313 days), that the skfolio wheel ships as
                    skfolio/datasets/data/sp500_dataset.csv.gz. The file is read where pip put it;
                    skfolio itself is never imported (it would pull in cvxpy and plotly).
    csv:<path>      a long file, one row per ticker and day (gzip or plain), in either layout:
                    Kaggle's "S&P 500 stock data"  date,open,high,low,close,volume,Name
                    the course's "SP 500 Stock Prices 2014-2017.csv"  symbol,date,open,high,low,close,volume
                    The ticker column (``Name`` or ``symbol``, exactly one of them) is read as ``ticker``,
                    so nothing past the reader knows which layout it was. A user downloads the file.

A file is checked whole before any window is cut, and an error names the file and the line
(the header is line 1): missing columns, unparseable dates, missing or non-positive prices,
a (date, ticker) pair twice, a ticker with too few days, too few tickers for three disjoint
splits. ``repair`` drops the bad rows, both rows of a duplicated pair and the short tickers
instead, and counts what it dropped; nothing missing ever reaches training.

Windows: the tickers are shuffled (seeded) and cut into train, validation and test tickers, so
no series appears in two splits. Each split's windows are drawn without replacement from all
(ticker, first day) pairs of its tickers. A window is z-scored with the mean and standard
deviation of its ``days`` input days only (never the days it is asked to predict), and the two
are kept to map any output back to prices.

The course's protocol (lstm_ae_snp500.py, notes/issue27-protocol.md §3) chooses and splits its
tickers differently; :func:`no_gap_filter` and :func:`alphabetical_split` are its two steps.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.core.errors import DataError

OFFLINE_DEFAULT = "skfolio:sp500"
SOURCES = ("csv:<path>", OFFLINE_DEFAULT)
KAGGLE_COLUMNS = ("date", "open", "high", "low", "close", "volume", "Name")
COURSE_COLUMNS = ("symbol", "date", "open", "high", "low", "close", "volume")
LAYOUTS = {"Name": ("Kaggle", KAGGLE_COLUMNS), "symbol": ("course", COURSE_COLUMNS)}  # ticker column -> layout
PRICE_COLUMNS = ("open", "high", "low", "close")
ADJ_CLOSE = "adj_close"  # the only price the offline source has
_SKFOLIO_FILE = ("datasets", "data", "sp500_dataset.csv.gz")


@dataclass(frozen=True)
class Prices:
    """One price per ticker and day, and where it came from."""

    series: dict[str, np.ndarray]  # ticker -> (days,) float64 prices in date order
    dates: dict[str, np.ndarray]  # ticker -> (days,) datetime64[D]
    source: str
    origin: str  # the file read: the package's own path for the offline source, else the path as given
    sha256: str  # of the file's bytes
    column: str  # the price column used
    note: str  # why it is not the one asked for, or ""
    repaired: dict = field(default_factory=dict)  # what ``repair`` dropped

    @property
    def tickers(self) -> list[str]:
        return sorted(self.series)

    def to_frame(self) -> pd.DataFrame:
        """Long rows (date, ticker, price), by ticker and date: what :func:`no_gap_filter` reads."""
        return pd.concat([pd.DataFrame({"date": self.dates[t], "ticker": t, "price": self.series[t]})
                          for t in self.tickers], ignore_index=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def skfolio_file() -> Path:
    """Where the installed skfolio wheel keeps its S&P 500 prices, found without importing it."""
    spec = importlib.util.find_spec("skfolio")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"source {OFFLINE_DEFAULT!r} reads the prices the skfolio package ships, and skfolio is not "
                        "installed: run `pip install -r requirements.txt`, or set lstmae.prices.data.source to csv:<path>")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_SKFOLIO_FILE)
    if not path.is_file():
        raise DataError(f"source {OFFLINE_DEFAULT!r}: {path} is missing from the installed skfolio")
    return path


def _line(index: int) -> int:
    """A data row's line in its file: the header is line 1."""
    return int(index) + 2


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{what}: no file at {path}")
    try:
        return pd.read_csv(path, compression="infer", dtype={name: "string" for name in LAYOUTS})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(f"{what}: {path} is not a readable CSV ({type(exc).__name__}: {exc})") from exc


def _layouts() -> str:
    return " or ".join(f"the {name} layout {','.join(cols)}" for name, cols in LAYOUTS.values())


def read_long_csv(path: Path, column: str) -> pd.DataFrame:
    """A long file in Kaggle's or the course's layout -> frame (line, date, ticker, price), its
    columns checked.

    The ticker column is Kaggle's ``Name`` or the course's ``symbol``; exactly one must be
    present, and it comes out as ``ticker`` (its name kept in ``frame.attrs["ticker_column"]``
    for the row errors of :func:`check`). Column order does not matter. Rows are not checked here.
    """
    frame = _read_csv(path, f"source csv:{path}")
    has = ", ".join(map(str, frame.columns))
    named = [c for c in LAYOUTS if c in frame.columns]
    if len(named) > 1:
        raise DataError(f"{path}: both a Name and a symbol column, so which one holds the ticker is ambiguous; the file "
                        f"has {has}. Keep one of them: {_layouts()}")
    if not named:
        raise DataError(f"{path}: no ticker column (Name or symbol); the file has {has}. Expected {_layouts()}")
    layout, columns = LAYOUTS[named[0]]
    missing = [c for c in ("date", column) if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; the file has {has} (expected the {layout} "
                        f"layout {','.join(columns)}; lstmae.prices.data.column is {column!r})")
    out = pd.DataFrame({"line": [_line(i) for i in range(len(frame))], "date": frame["date"],
                        "ticker": frame[named[0]], "price": pd.to_numeric(frame[column], errors="coerce")})
    out.attrs["ticker_column"] = named[0]
    return out


def read_skfolio(path: Path) -> pd.DataFrame:
    """skfolio's wide file (Date, then one column of adjusted closes per ticker) -> long frame."""
    wide = _read_csv(path, f"source {OFFLINE_DEFAULT}")
    if "Date" not in wide.columns or len(wide.columns) < 2:
        raise DataError(f"{path}: expected a Date column and one column per ticker, got {', '.join(wide.columns)}")
    wide.insert(0, "line", [_line(i) for i in range(len(wide))])
    long = wide.melt(id_vars=["line", "Date"], var_name="ticker", value_name="price")
    long["price"] = pd.to_numeric(long["price"], errors="coerce")
    return long.rename(columns={"Date": "date"})


def _day(date) -> str:
    return str(pd.Timestamp(date).date())


def check(frame: pd.DataFrame, path: Path, min_days: int, repair: bool) -> tuple[pd.DataFrame, dict]:
    """Validate a long frame (line, date, ticker, price) and sort it by ticker and date.

    Unparseable dates and missing tickers always fail. Missing or non-positive prices,
    duplicated (date, ticker) pairs and tickers with fewer than ``min_days`` days fail too,
    unless ``repair``: then they are dropped and counted in the returned dict.
    """
    ticker_column = frame.attrs.get("ticker_column", "ticker")  # the file's name for it, for the error
    dates = pd.to_datetime(frame["date"], format="ISO8601", errors="coerce")
    if dates.isna().any():
        first = frame.loc[dates.isna()].iloc[0]
        raise DataError(f"{path}, line {first['line']}: date {first['date']!r} is not a date (expected YYYY-MM-DD)")
    if frame["ticker"].isna().any():
        first = frame.loc[frame["ticker"].isna()].iloc[0]
        raise DataError(f"{path}, line {first['line']}: the ticker (column {ticker_column}) is empty; fill it in, "
                        "or delete the row")
    frame = frame.assign(date=dates.dt.normalize())
    dropped: dict = {}
    bad = frame["price"].isna() | ~(frame["price"] > 0)
    if bad.any() and not repair:
        first = frame.loc[bad].iloc[0]
        raise DataError(f"{path}, line {first['line']} (ticker {first['ticker']}, {_day(first['date'])}): the price is "
                        f"missing or not positive; {int(bad.sum())} such row(s) in all. Fix the file, or set "
                        "lstmae.prices.data.repair: true to drop them (the report counts what is dropped)")
    if bad.any():
        dropped["bad_price_rows"] = int(bad.sum())
        frame = frame.loc[~bad]
    # checked after the bad prices are gone: a zero-price copy of a good row is counted once, above
    dup = frame.duplicated(["date", "ticker"], keep=False)
    if dup.any() and not repair:
        rows = frame.loc[dup].sort_values(["ticker", "date", "line"]).iloc[:2]
        raise DataError(f"{path}, lines {rows['line'].iloc[0]} and {rows['line'].iloc[1]}: ticker {rows['ticker'].iloc[0]} "
                        f"has two rows for {_day(rows['date'].iloc[0])}; {int(dup.sum())} duplicated row(s) in all. "
                        "Fix the file, or set lstmae.prices.data.repair: true to drop every row of a duplicated pair")
    if dup.any():  # which of two differing rows is right cannot be known: neither is kept
        dropped["duplicate_rows"] = int(dup.sum())
        frame = frame.loc[~dup]
    frame = frame.sort_values(["ticker", "date"], kind="stable")
    days = frame.groupby("ticker", sort=True).size()
    short = days[days < min_days]
    if len(short):
        if not repair:
            t = short.index[0]
            raise DataError(f"{path}: ticker {t} has {int(short.iloc[0])} days, fewer than the {min_days} a window needs "
                            f"(lstmae.prices.data.days + horizon); {len(short)} ticker(s) are that short: "
                            f"{', '.join(short.index[:10])}{' ...' if len(short) > 10 else ''}. Set "
                            "lstmae.prices.data.repair: true to drop them")
        dropped["short_tickers"] = sorted(short.index)
        frame = frame.loc[~frame["ticker"].isin(short.index)]
    return frame, dropped


def load_source(source: str, column: str, min_days: int, repair: bool) -> Prices:
    """Read and check a source (see the module docstring)."""
    if source == OFFLINE_DEFAULT:
        path = skfolio_file()
        origin = f"skfolio {importlib.metadata.version('skfolio')}: skfolio/{'/'.join(_SKFOLIO_FILE)}"
        frame = read_skfolio(path)
        used = ADJ_CLOSE
        note = ("" if column == ADJ_CLOSE else
                f"the offline source ships adjusted daily closes only, so they stand in for {column!r}")
    elif source.startswith("csv:") and len(source) > 4:
        path = Path(source[4:]).expanduser()
        origin = source[4:]
        frame = read_long_csv(path, column)
        used, note = column, ""
    else:
        raise DataError(f"unknown price source {source!r}; allowed: {', '.join(SOURCES)}")
    frame, dropped = check(frame, path, min_days, repair)
    series, dates = {}, {}
    for ticker, rows in frame.groupby("ticker", sort=True):
        series[str(ticker)] = rows["price"].to_numpy(np.float64)
        dates[str(ticker)] = rows["date"].to_numpy("datetime64[D]")
    return Prices(series, dates, source, origin, _sha256(path), used, note, dropped)


# --- splits and windows ---------------------------------------------------------------------


def split_tickers(tickers: list[str], fractions: tuple[float, float, float], seed: int,
                  what: str = "the source") -> dict[str, list[str]]:
    """Shuffle the tickers (seeded) and cut them into train, val and test by ``fractions``; each
    split gets at least one ticker, and no ticker is in two."""
    n = len(tickers)
    sizes = [int(round(f * n)) for f in fractions[1:]]
    sizes = [n - sum(sizes), *sizes]
    if n < 3 or min(sizes) < 1:
        raise DataError(f"{what} has {n} ticker(s); three disjoint splits in proportions {list(fractions)} need every "
                        "split to get at least one")
    order = np.random.default_rng(seed).permutation(sorted(tickers))
    cuts = np.cumsum(sizes)[:-1]
    return {name: sorted(part.tolist()) for name, part in zip(("train", "val", "test"), np.split(order, cuts))}


# --- the course's tickers (lstm_ae_snp500.py; notes/issue27-protocol.md §3) --------------------


@dataclass(frozen=True)
class NoGap:
    """The tickers the course's "no gap" filter keeps, and why it dropped the others."""

    kept: list[str]  # alphabetical, the order of the course's pivot rows
    dropped: dict[str, str]  # ticker -> why, e.g. "absent on 808 of 1259 dates (first 2015-01-12)"
    dates: np.ndarray  # (days,) datetime64[D], sorted: the union of the frame's dates; each kept ticker has all


def no_gap_filter(frame: pd.DataFrame) -> NoGap:
    """The course's ticker filter: keep a ticker only if it has a present, positive price on
    every date of the union of all dates in ``frame``.

    The course ran ``stocks.pivot(index='symbol', columns='date', values='close').dropna(how='any',
    axis=0)``: the pivot is a (ticker x union of dates) table with its rows sorted by symbol, and
    dropna drops every ticker with a hole. A hole is a date the ticker has no row for, or a missing
    price; a price <= 0 counts as one too (a zero close is a missing one written as 0; the
    course's file had none). A (date, ticker) pair given twice raises, as the pivot does: pass
    :func:`check`'s output (``repair`` drops such pairs), or :meth:`Prices.to_frame`. Rows dropped
    before the filter take their dates out of the union only if no other ticker has them.

    Example: dates d1, d2, d3; A has all three, B has no row for d2, C's price on d3 is 0 ->
    kept ["A"], dropped {"B": "absent on 1 of 3 dates (first d2)",
    "C": "missing or non-positive price on 1 of 3 dates (first d3)"}.

    Args:
        frame: long rows with columns ``date`` (datetimes or ISO strings), ``ticker`` and ``price``.

    Returns:
        the kept tickers (alphabetical), the dropped ones with the reason, and the union of dates.

    Raises:
        DataError: a (date, ticker) pair appears twice.
    """
    rows = pd.DataFrame({"date": pd.to_datetime(frame["date"], format="ISO8601").dt.normalize(),
                         "ticker": frame["ticker"].astype(str),
                         "ok": frame["price"].notna() & (frame["price"] > 0)})
    dup = rows.duplicated(["date", "ticker"])
    if dup.any():
        first = rows.loc[dup].iloc[0]
        raise DataError(f"ticker {first['ticker']} has two rows for {_day(first['date'])} ({int(dup.sum())} such pair(s)), "
                        "so the course's pivot is ambiguous: drop them first (check() with repair does)")
    # (tickers, dates), rows and columns sorted as the course's pivot sorts them: 1 ok, 0 bad price, NaN absent
    table = rows.assign(ok=rows["ok"].astype(np.float64)).pivot(index="ticker", columns="date", values="ok")
    dates = table.columns.to_numpy("datetime64[D]")
    kept, dropped = [], {}
    for ticker, row in zip(table.index, table.to_numpy()):
        why = [f"{what} on {int(hole.sum())} of {len(dates)} dates (first {dates[np.argmax(hole)]})"
               for what, hole in (("absent", np.isnan(row)), ("missing or non-positive price", row == 0.0))
               if hole.any()]
        if why:
            dropped[str(ticker)] = "; ".join(why)
        else:
            kept.append(str(ticker))
    return NoGap(kept, dropped, dates)


def alphabetical_split(tickers: list[str], fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                       what: str = "the source") -> dict[str, list[str]]:
    """The course's split: the tickers in alphabetical order, cut at ``int(f0 * n)`` and
    ``int((f0 + f1) * n)``, with no shuffle.

    lstm_ae_snp500.py ran ``np.split(full_dataset, [int(.6 * n), int(.8 * n)])`` on the pivot's
    rows, which are sorted by symbol. So n = 479 (the course's file) gives 287 / 96 / 96, n = 451
    (the developer file) 270 / 90 / 91 and n = 20 (skfolio) 12 / 4 / 4. Unlike
    :func:`split_tickers`, neighbouring names (GOOG, GOOGL) land in the same split unless a cut
    falls between them.

    Args:
        tickers: distinct names, in any order.
        fractions: train, val and test shares, each > 0, summing to 1.
        what: how an error names the tickers' origin.

    Returns:
        {"train", "val", "test"} -> alphabetical lists that partition ``tickers``.

    Raises:
        ValueError: bad fractions or a repeated ticker.
        DataError: a split would get no ticker.
    """
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three shares > 0 that sum to 1, got {list(fractions)}")
    order = sorted(map(str, tickers))
    if len(set(order)) < len(order):
        raise ValueError(f"{what}: a ticker is listed twice")
    n = len(order)
    cuts = [int(fractions[0] * n), int((fractions[0] + fractions[1]) * n)]  # the course's int(.6n), int(.8n)
    parts = [order[: cuts[0]], order[cuts[0] : cuts[1]], order[cuts[1] :]]
    if min(map(len, parts)) < 1:
        raise DataError(f"{what} has {n} ticker(s); three disjoint splits in proportions {list(fractions)} need every "
                        "split to get at least one")
    return dict(zip(("train", "val", "test"), parts))


@dataclass(frozen=True)
class Windows:
    prices: np.ndarray  # (M, length) float64
    ticker: np.ndarray  # (M,) index into ``tickers``
    start: np.ndarray  # (M,) first day's index in that ticker's series
    tickers: list[str]


def crop(series: dict[str, np.ndarray], tickers: list[str], m: int, length: int, seed: int) -> Windows:
    """``m`` windows of ``length`` consecutive days, drawn without replacement from every
    (ticker, first day) pair of ``tickers``; each ticker must have at least ``length`` days."""
    starts = np.array([len(series[t]) - length + 1 for t in tickers])  # first days per ticker
    if (starts < 1).any():
        raise DataError(f"ticker {tickers[int(np.argmin(starts))]} has fewer than {length} days")
    if m > starts.sum():
        raise DataError(f"{m} windows of {length} days asked of tickers {', '.join(tickers)}, which hold only "
                        f"{int(starts.sum())} distinct ones: lower lstmae.prices.data.windows or days")
    pick = np.sort(np.random.default_rng(seed).choice(int(starts.sum()), size=m, replace=False))
    which = np.searchsorted(np.cumsum(starts), pick, side="right")  # (m,) ticker index
    first = pick - np.concatenate([[0], np.cumsum(starts)[:-1]])[which]  # (m,) day index
    prices = np.stack([series[tickers[t]][s : s + length] for t, s in zip(which, first)])
    return Windows(prices, which, first, list(tickers))


def normalise(prices: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Z-score each window by its first ``days`` values: (z, mean (M, 1), std (M, 1)). A flat
    window (std 0) keeps std 1, so it maps to zeros rather than to a division by zero."""
    inputs = prices[:, :days]
    mean = inputs.mean(axis=1, keepdims=True)
    std = inputs.std(axis=1, keepdims=True)
    std = np.where(std > 0, std, 1.0)
    return (prices - mean) / std, mean, std


def denormalise(z: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The inverse of :func:`normalise`: back to prices."""
    return z * std + mean


# --- forecasts that need no model -------------------------------------------------------------


def naive(x: np.ndarray, horizon: int) -> np.ndarray:
    """Tomorrow = today: every one of the next ``horizon`` days forecast as the last day. (M, days) -> (M, horizon)."""
    return np.repeat(x[:, -1:], horizon, axis=1)


def drift(x: np.ndarray, horizon: int) -> np.ndarray:
    """The random walk with drift: the last day plus h times the window's mean daily change."""
    slope = (x[:, -1] - x[:, 0]) / (x.shape[1] - 1)  # (M,)
    return x[:, -1:] + slope[:, None] * np.arange(1, horizon + 1)[None, :]


def linear(x: np.ndarray, horizon: int) -> np.ndarray:
    """A least-squares line through the window's days, extended ``horizon`` days past it."""
    t = np.arange(x.shape[1], dtype=np.float64)
    coef = np.polynomial.polynomial.polyfit(t, x.T, 1)  # (2, M): intercept, slope
    future = np.arange(x.shape[1], x.shape[1] + horizon, dtype=np.float64)
    return coef[0][:, None] + coef[1][:, None] * future[None, :]
