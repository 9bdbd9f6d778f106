"""The `csv:` price source in both file layouts (Kaggle's `Name`, the course's `symbol`), and the
course's ticker filter and split (notes/issue27-protocol.md §3, §7)."""


import numpy as np
import pandas as pd
import pytest

from seqlab.core.errors import DataError
from seqlab.tasks import prices
from test_lstmae import write  # the same CSV writer the study's tests use

TICKERS = ("DDD", "AAA", "CCC", "BBB")


def kaggle_frame(tickers=TICKERS, days=30, start=10.0) -> pd.DataFrame:
    """date,open,high,low,close,volume,Name; ticker by ticker, so row i is line i + 2."""
    dates = pd.bdate_range("2020-01-01", periods=days).strftime("%Y-%m-%d")
    rows = [{"date": d, "open": start + k + i, "high": start + k + i + 1, "low": start + k + i - 1,
             "close": start + k + i + 0.5, "volume": 100, "Name": t}
            for k, t in enumerate(tickers) for i, d in enumerate(dates)]
    return pd.DataFrame(rows)


def course_frame(**kw) -> pd.DataFrame:
    """The same rows in the course's layout: symbol,date,open,high,low,close,volume."""
    return kaggle_frame(**kw).rename(columns={"Name": "symbol"})[list(prices.COURSE_COLUMNS)]


LAYOUTS = {"kaggle": kaggle_frame, "course": course_frame}
TICKER = {"kaggle": "Name", "course": "symbol"}


def test_the_two_layouts_are_what_the_reader_names():
    assert prices.KAGGLE_COLUMNS == ("date", "open", "high", "low", "close", "volume", "Name")
    assert prices.COURSE_COLUMNS == ("symbol", "date", "open", "high", "low", "close", "volume")
    assert list(kaggle_frame().columns) == list(prices.KAGGLE_COLUMNS)
    assert list(course_frame().columns) == list(prices.COURSE_COLUMNS)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("column", ["close", "high"])
def test_both_layouts_read_to_identical_frames_and_prices(tmp_path, gz, column):
    ext = ".csv.gz" if gz else ".csv"
    k = write(kaggle_frame(), tmp_path / f"k{ext}", gz)
    c = write(course_frame(), tmp_path / f"c{ext}", gz)
    fk, fc = prices.read_long_csv(k, column), prices.read_long_csv(c, column)
    pd.testing.assert_frame_equal(fk, fc)
    assert list(fk.columns) == ["line", "date", "ticker", "price"]
    assert (fk.attrs["ticker_column"], fc.attrs["ticker_column"]) == ("Name", "symbol")
    a = prices.load_source(f"csv:{k}", column, min_days=20, repair=False)
    b = prices.load_source(f"csv:{c}", column, min_days=20, repair=False)
    assert a.tickers == b.tickers == ["AAA", "BBB", "CCC", "DDD"] and a.column == b.column == column
    for t in a.tickers:
        assert np.array_equal(a.series[t], b.series[t]) and np.array_equal(a.dates[t], b.dates[t])
    assert np.array_equal(a.series["AAA"], np.arange(30) + 11.0 + (1.0 if column == "high" else 0.5))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def test_a_ticker_column_is_needed_and_exactly_one(tmp_path):
    neither = write(kaggle_frame().rename(columns={"Name": "ticker"}), tmp_path / "neither.csv")
    with pytest.raises(DataError) as err:
        prices.load_source(f"csv:{neither}", "close", 20, False)
    msg = str(err.value)
    assert str(neither) in msg and "no ticker column (Name or symbol)" in msg
    assert "the file has date, open, high, low, close, volume, ticker" in msg  # its columns
    assert "date,open,high,low,close,volume,Name" in msg and "symbol,date,open,high,low,close,volume" in msg

    both = write(kaggle_frame().assign(symbol="X"), tmp_path / "both.csv")
    with pytest.raises(DataError, match=r"both a Name and a symbol column") as err:
        prices.load_source(f"csv:{both}", "close", 20, False)
    assert str(both) in str(err.value) and "Keep one of them" in str(err.value)


@pytest.mark.parametrize("layout", ["kaggle", "course"])
def test_a_missing_column_names_the_layout_found(tmp_path, layout):
    path = write(LAYOUTS[layout]().drop(columns=["close"]), tmp_path / "m.csv")
    with pytest.raises(DataError, match=rf"missing column\(s\) close; the file has .* \(expected the (?i:{layout}) layout"):
        prices.load_source(f"csv:{path}", "close", 20, False)


@pytest.mark.parametrize("layout", ["kaggle", "course"])
@pytest.mark.parametrize("break_it, message", [
    (lambda f, t: f.assign(date=f["date"].where(f.index != 7, "07/01/2020")),
     r"line 9: date '07/01/2020' is not a date \(expected YYYY-MM-DD\)"),
    (lambda f, t: f.assign(**{t: f[t].where(f.index != 12, None)}), r"line 14: the ticker \(column {t}\) is empty"),
    (lambda f, t: f.assign(close=f["close"].where(f.index != 33, -1.0)),
     r"line 35 \(ticker AAA, 2020-01-06\): the price is missing or not positive.*repair: true"),
    (lambda f, t: f.assign(close=f["close"].where(f.index != 4, np.nan)),
     r"line 6 \(ticker DDD, 2020-01-07\): the price is missing or not positive"),
    (lambda f, t: pd.concat([f, f.iloc[[40]]], ignore_index=True), r"lines 42 and 122: ticker AAA has two rows for"),
    (lambda f, t: f[~((f[t] == "CCC") & (f.index % 30 >= 15))], r"ticker CCC has 15 days, fewer than the 20"),
])
def test_a_malformed_row_in_either_layout_names_the_file_the_line_and_the_fix(tmp_path, layout, break_it, message):
    path = write(break_it(LAYOUTS[layout](), TICKER[layout]), tmp_path / "bad.csv")
    with pytest.raises(DataError, match=message.format(t=TICKER[layout])) as err:
        prices.load_source(f"csv:{path}", "close", min_days=20, repair=False)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("layout", ["kaggle", "course"])
def test_repair_drops_the_same_rows_in_either_layout(tmp_path, layout):
    t = TICKER[layout]
    f = LAYOUTS[layout](tickers=("AAA", "BBB", "CCC", "DDD", "EEE"))
    f.loc[3, "close"] = 0.0
    f = pd.concat([f, f.iloc[[40]].assign(volume=7)], ignore_index=True)
    f = f[~((f[t] == "EEE") & (f.index % 30 >= 10))]
    src = prices.load_source(f"csv:{write(f, tmp_path / 'r.csv')}", "close", min_days=20, repair=True)
    assert src.repaired == {"bad_price_rows": 1, "duplicate_rows": 2, "short_tickers": ["EEE"]}
    assert src.tickers == ["AAA", "BBB", "CCC", "DDD"] and len(src.series["AAA"]) == len(src.series["BBB"]) == 29


# --- the course's filter and split -----------------------------------------------------------------


def gappy_frame() -> pd.DataFrame:
    """Five dates, rows in no particular order: MMM and AAPL complete; ZZZ lacks a day; BAD has a NaN
    and a zero; LATE starts on the third day; ONE is the only ticker on an extra date, so every
    ticker that lacks that date, i.e. all others, has a gap against the union."""
    dates = ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08"]
    rows = [(d, t, 10.0 + i) for t in ("MMM", "AAPL", "ZZZ", "BAD", "LATE") for i, d in enumerate(dates)
            if not (t == "ZZZ" and i == 3) and not (t == "LATE" and i < 2)]
    frame = pd.DataFrame(rows, columns=["date", "ticker", "price"])
    frame.loc[(frame["ticker"] == "BAD") & (frame["date"] == "2020-01-03"), "price"] = np.nan
    frame.loc[(frame["ticker"] == "BAD") & (frame["date"] == "2020-01-08"), "price"] = 0.0
    return frame.sample(frac=1.0, random_state=1)


def test_the_no_gap_filter_keeps_tickers_with_every_date_of_the_union():
    out = prices.no_gap_filter(gappy_frame())
    assert out.kept == ["AAPL", "MMM"]  # alphabetical, as the course's pivot sorts them
    assert out.dropped == {
        "BAD": "missing or non-positive price on 2 of 5 dates (first 2020-01-03)",
        "LATE": "absent on 2 of 5 dates (first 2020-01-02)",
        "ZZZ": "absent on 1 of 5 dates (first 2020-01-07)",
    }
    assert out.dates.dtype == np.dtype("datetime64[D]") and len(out.dates) == 5 and (np.diff(out.dates) > 0).all()

    # a date only one ticker has widens the union: everyone else now has a gap
    extra = pd.concat([gappy_frame(), pd.DataFrame({"date": ["2020-01-09"], "ticker": ["ONE"], "price": [1.0]})])
    out = prices.no_gap_filter(extra)
    assert out.kept == [] and out.dropped["AAPL"] == "absent on 1 of 6 dates (first 2020-01-09)"
    assert out.dropped["ONE"] == "absent on 5 of 6 dates (first 2020-01-02)"
    assert out.dropped["BAD"].startswith("absent on 1 of 6 dates (first 2020-01-09); missing or non-positive price on 2")


def test_the_no_gap_filter_agrees_with_the_courses_pivot_and_refuses_duplicates():
    frame = gappy_frame()
    course = frame.assign(price=frame["price"].where(frame["price"] > 0)).pivot(
        index="ticker", columns="date", values="price").dropna(how="any", axis=0)
    assert prices.no_gap_filter(frame).kept == list(course.index)
    with pytest.raises(DataError, match=r"ticker MMM has two rows for 2020-01-03 \(1 such pair"):
        prices.no_gap_filter(pd.concat([frame, frame[(frame["ticker"] == "MMM") & (frame["date"] == "2020-01-03")]]))


def test_the_filter_reads_a_checked_source(tmp_path):
    f = kaggle_frame()
    f = f[~((f["Name"] == "BBB") & (f.index % 30 == 17))]  # one day missing: still long enough for min_days
    src = prices.load_source(f"csv:{write(f, tmp_path / 'g.csv')}", "close", min_days=20, repair=False)
    out = prices.no_gap_filter(src.to_frame())
    assert out.kept == ["AAA", "CCC", "DDD"] and list(out.dropped) == ["BBB"] and len(out.dates) == 30


@pytest.mark.parametrize("n, sizes", [(451, (270, 90, 91)), (20, (12, 4, 4)), (479, (287, 96, 96))])
def test_the_alphabetical_split_cuts_where_the_courses_np_split_did(n, sizes):
    tickers = [f"T{i:03d}" for i in range(n)]
    s = prices.alphabetical_split(list(reversed(tickers)))  # input order does not matter
    assert tuple(len(s[k]) for k in ("train", "val", "test")) == sizes
    assert s["train"] + s["val"] + s["test"] == tickers  # alphabetical, contiguous, disjoint
    course = np.split(np.array(tickers), [int(.6 * n), int(.8 * n)])
    assert [p.tolist() for p in course] == [s["train"], s["val"], s["test"]]


def test_the_alphabetical_split_refuses_too_few_tickers_and_bad_fractions():
    for n in range(3, 60):  # the same cuts as np.split for every n that fills all three
        tickers = [f"T{i:02d}" for i in range(n)]
        if int(.8 * n) - int(.6 * n) >= 1 and int(.6 * n) >= 1:
            assert len(prices.alphabetical_split(tickers)["val"]) == int(.8 * n) - int(.6 * n)
    assert prices.alphabetical_split(["D", "C", "B", "A"]) == {"train": ["A", "B"], "val": ["C"], "test": ["D"]}
    with pytest.raises(DataError, match="has 4 ticker"):  # int(3.6) = int(3.8) = 3: 3 / 0 / 1
        prices.alphabetical_split(["A", "B", "C", "D"], (0.9, 0.05, 0.05))
    with pytest.raises(ValueError, match="sum to 1"):
        prices.alphabetical_split(["A", "B", "C"], (0.6, 0.2, 0.1))
    with pytest.raises(ValueError, match="listed twice"):
        prices.alphabetical_split(["A", "B", "C", "A"])
