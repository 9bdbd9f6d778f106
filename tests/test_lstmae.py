"""The LSTM-autoencoder study: the dip generator, price files and their errors, ticker-disjoint
windows, normalisation, the no-model forecasts, the model, and the params schema."""

import gzip

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.core.errors import DataError, ParamsError
from seqlab.models.series import SeriesAutoencoder
from seqlab.studies.lstmae import params as lp
from seqlab.tasks import prices, signals

# --- synthetic signals ----------------------------------------------------------------------------


def test_every_signal_has_exactly_one_dip_of_the_right_size_and_place():
    kw = dict(n=500, length=50, dip_min=20, dip_max=30, half=5, seed=3)
    dipped, plain = signals.dip_signals(factor=0.1, **kw), signals.dip_signals(factor=1.0, **kw)
    # the same draws without the dip: the ratio is 0.1 exactly on the dip and 1 elsewhere
    assert np.array_equal(dipped.centre, plain.centre)
    ratio = dipped.x.astype(np.float64) / plain.x
    mask = signals.dip_mask(dipped.centre, 50, 5)
    assert np.allclose(ratio[mask], 0.1, rtol=1e-6) and np.allclose(ratio[~mask], 1.0)
    assert (mask.sum(axis=1) == 10).all()
    for row, c in zip(mask, dipped.centre):  # one run of 10: x[c - 5 : c + 5]
        assert np.flatnonzero(row).tolist() == list(range(c - 5, c + 5))
    assert dipped.centre.min() == 20 and dipped.centre.max() == 30  # both ends drawn, nothing outside
    assert dipped.x.dtype == np.float32 and dipped.x.shape == (500, 50) and (dipped.x >= 0).all() and (dipped.x < 1).all()


def test_dip_signals_are_seeded_and_refuse_a_dip_that_does_not_fit():
    a = signals.dip_signals(20, 50, 20, 30, 5, 0.1, seed=1)
    b = signals.dip_signals(20, 50, 20, 30, 5, 0.1, seed=1)
    assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, signals.dip_signals(20, 50, 20, 30, 5, 0.1, 2).x)
    with pytest.raises(ValueError, match="does not fit"):
        signals.dip_signals(5, 50, 3, 30, 5, 0.1, seed=0)


def test_baselines_in_closed_form():
    x = np.array([[0.0, 3.0, 0.0, 3.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]], dtype=np.float32)
    # width 3, ends repeat the edge: row 0 -> [1, 1, 2, 1, 1]; a constant row is unchanged
    assert np.allclose(signals.moving_average(x, 3), [[1, 1, 2, 1, 1], [1, 1, 1, 1, 1]])
    assert np.array_equal(signals.moving_average(x, 1), x)
    assert np.allclose(signals.mean_signal(x, 3), np.tile([0.5, 2.0, 0.5, 2.0, 0.5], (3, 1)))


# --- price files ------------------------------------------------------------------------------------


def kaggle_frame(tickers=("AAA", "BBB", "CCC", "DDD"), days=30, start=10.0) -> pd.DataFrame:
    dates = pd.bdate_range("2020-01-01", periods=days).strftime("%Y-%m-%d")
    rows = [{"date": d, "open": start + i, "high": start + i + 1, "low": start + i - 1, "close": start + i,
             "volume": 100, "Name": t} for t in tickers for i, d in enumerate(dates)]
    return pd.DataFrame(rows)


def write(frame: pd.DataFrame, path, gz=False):
    text = frame.to_csv(index=False)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_a_kaggle_file_loads_by_ticker_in_date_order(tmp_path, gz):
    frame = kaggle_frame().sample(frac=1.0, random_state=0)  # rows in any order
    path = write(frame, tmp_path / ("s.csv.gz" if gz else "s.csv"), gz)
    src = prices.load_source(f"csv:{path}", "high", min_days=20, repair=False)
    assert src.tickers == ["AAA", "BBB", "CCC", "DDD"] and src.column == "high" and src.note == ""
    assert np.array_equal(src.series["AAA"], np.arange(30) + 11.0)
    assert (np.diff(src.dates["BBB"]) > np.timedelta64(0, "D")).all()


@pytest.mark.parametrize("break_it, message", [
    (lambda f: f.drop(columns=["high"]), r"missing column\(s\) high; the file has date, open, low, close"),
    (lambda f: f.assign(date=f["date"].where(f.index != 7, "2020-13-45")), r"line 9: date '2020-13-45' is not a date"),
    (lambda f: f.assign(high=f["high"].where(f.index != 4, np.nan)), r"line 6 \(ticker AAA, 2020-01-07\): the price is missing or not positive"),
    (lambda f: f.assign(high=f["high"].where(f.index != 35, 0.0)), r"line 37 \(ticker BBB.*missing or not positive"),
    (lambda f: pd.concat([f, f.iloc[[40]]], ignore_index=True), r"lines 42 and 122: ticker BBB has two rows for"),
    (lambda f: f[~((f["Name"] == "CCC") & (f.index % 30 >= 15))], r"ticker CCC has 15 days, fewer than the 20"),
])
def test_a_malformed_file_fails_naming_the_file_and_the_line(tmp_path, break_it, message):
    path = write(break_it(kaggle_frame()), tmp_path / "bad.csv")
    with pytest.raises(DataError, match=message) as err:
        prices.load_source(f"csv:{path}", "high", min_days=20, repair=False)
    assert str(path) in str(err.value)


def test_a_missing_file_and_an_unknown_source_fail_clearly(tmp_path):
    with pytest.raises(DataError, match="no file at"):
        prices.load_source(f"csv:{tmp_path / 'none.csv'}", "high", 20, False)
    with pytest.raises(DataError, match="unknown price source 'yahoo'; allowed: csv:<path>, skfolio:sp500"):
        prices.load_source("yahoo", "high", 20, False)


def test_repair_drops_and_counts_what_strict_refuses(tmp_path):
    f = kaggle_frame(tickers=("AAA", "BBB", "CCC", "DDD", "EEE"))
    f.loc[3, "high"] = 0.0  # a zero price, as a real file has
    f = pd.concat([f, f.iloc[[40]].assign(volume=7)], ignore_index=True)  # a conflicting duplicate
    f = f[~((f["Name"] == "EEE") & (f.index % 30 >= 10))]  # a ticker of 10 days
    src = prices.load_source(f"csv:{write(f, tmp_path / 'r.csv')}", "high", min_days=20, repair=True)
    assert src.repaired == {"bad_price_rows": 1, "duplicate_rows": 2, "short_tickers": ["EEE"]}
    assert src.tickers == ["AAA", "BBB", "CCC", "DDD"]
    assert len(src.series["AAA"]) == 29 and len(src.series["BBB"]) == 29  # one day gone from each
    assert all(np.isfinite(s).all() and (s > 0).all() for s in src.series.values())


def test_the_offline_source_is_read_from_the_installed_wheel_without_importing_it():
    import sys

    src = prices.load_source(prices.OFFLINE_DEFAULT, "high", min_days=300, repair=False)
    assert "skfolio" not in sys.modules
    assert len(src.tickers) == 20 and src.column == "adj_close" and "'high'" in src.note
    assert src.origin.startswith("skfolio 1.12.2: skfolio/datasets/data/")  # no path of this machine
    assert all(len(s) == 8313 and (s > 0).all() for s in src.series.values())


# --- splits, windows, normalisation ------------------------------------------------------------------


def test_ticker_splits_are_disjoint_seeded_and_refuse_too_few_tickers():
    tickers = [f"T{i:02d}" for i in range(20)]
    s = prices.split_tickers(tickers, (0.6, 0.2, 0.2), seed=0)
    assert [len(s[k]) for k in ("train", "val", "test")] == [12, 4, 4]
    assert set(s["train"]) | set(s["val"]) | set(s["test"]) == set(tickers)
    assert not (set(s["train"]) & set(s["val"]) or set(s["train"]) & set(s["test"]) or set(s["val"]) & set(s["test"]))
    assert s == prices.split_tickers(list(reversed(tickers)), (0.6, 0.2, 0.2), seed=0)  # input order does not matter
    assert s != prices.split_tickers(tickers, (0.6, 0.2, 0.2), seed=1)
    with pytest.raises(DataError, match="has 2 ticker"):
        prices.split_tickers(["A", "B"], (0.6, 0.2, 0.2), seed=0)
    with pytest.raises(DataError, match="has 4 ticker"):
        prices.split_tickers(["A", "B", "C", "D"], (0.9, 0.05, 0.05), seed=0)


def test_windows_have_exact_lengths_come_from_their_tickers_and_are_seeded():
    series = {t: np.arange(n, dtype=np.float64) + 1000 * k for k, (t, n) in enumerate((("A", 50), ("B", 80), ("C", 40)))}
    w = prices.crop(series, ["A", "B"], m=60, length=12, seed=5)
    assert w.prices.shape == (60, 12)
    for row, t, s in zip(w.prices, w.ticker, w.start):
        assert np.array_equal(row, series[w.tickers[t]][s : s + 12])  # consecutive days of one ticker
    assert set(np.array(w.tickers)[w.ticker]) <= {"A", "B"}
    assert len({(t, s) for t, s in zip(w.ticker, w.start)}) == 60  # drawn without replacement
    again = prices.crop(series, ["A", "B"], m=60, length=12, seed=5)
    assert np.array_equal(w.prices, again.prices)
    with pytest.raises(DataError, match="hold only 108 distinct"):  # (50 - 11) + (80 - 11)
        prices.crop(series, ["A", "B"], m=109, length=12, seed=5)


def test_normalisation_uses_the_input_days_only_and_round_trips():
    rng = np.random.default_rng(0)
    p = 100 + rng.normal(size=(7, 25)).cumsum(axis=1)
    p[3] = 42.0  # a flat window
    z, mean, std = prices.normalise(p, days=20)
    assert np.allclose(z[:, :20].mean(axis=1), 0) and np.allclose(np.delete(z, 3, 0)[:, :20].std(axis=1), 1)
    assert np.allclose(z[3], 0) and std[3, 0] == 1.0
    assert np.allclose(prices.denormalise(z, mean, std), p)
    assert np.allclose(mean[:, 0], p[:, :20].mean(axis=1))  # the 5 later days do not leak into the scale


def test_the_no_model_forecasts_on_series_where_they_are_known():
    line = np.arange(10, dtype=np.float64)[None, :] * 2 + 5  # 5, 7, ..., 23, then 25, 27, 29
    truth = np.array([[25.0, 27.0, 29.0]])
    assert np.array_equal(prices.naive(line, 3), [[23.0, 23.0, 23.0]])
    assert np.allclose((prices.naive(line, 3) - truth) ** 2, [[4, 16, 36]])  # (2h)^2: the trend it ignores
    assert np.allclose(prices.drift(line, 3), truth) and np.allclose(prices.linear(line, 3), truth)
    walk = np.array([[1.0, 3.0, 2.0, 4.0]])  # drift: mean change 1 -> 5, 6; line: slope 0.8, ends at 3.7
    assert np.allclose(prices.drift(walk, 2), [[5.0, 6.0]])
    assert np.allclose(prices.linear(walk, 2), [[1.3 + 0.8 * 4, 1.3 + 0.8 * 5]])


# --- the model --------------------------------------------------------------------------------------


def lstm_params(i: int, h: int) -> int:
    return 4 * h * (i + h) + 8 * h  # torch keeps two bias vectors


def test_parameter_counts_in_closed_form():
    h, z = 8, 4
    encoder = lstm_params(1, h) + (h * z + z) + lstm_params(z, h) + (h + 1)
    assert sum(q.numel() for q in SeriesAutoencoder(20, h, z, predict=False).parameters()) == encoder
    assert sum(q.numel() for q in SeriesAutoencoder(20, h, z, predict=True).parameters()) == (
        encoder + lstm_params(z, h) + h + 1)


def test_the_predictor_loss_is_both_decoders_and_trains_both():
    torch.manual_seed(0)
    model = SeriesAutoencoder(12, 6, 3, predict=True)
    x, nxt = torch.randn(5, 12), torch.randn(5, 12)
    out, loss = model(x, nxt)
    recon, pred = model.parts(x)
    assert out.shape == recon.shape == (5, 12) and torch.equal(out, pred)
    assert torch.allclose(loss, ((recon - x) ** 2).mean() + ((pred - nxt) ** 2).mean())
    loss.backward()
    head = model.autoencoder.head
    assert head.lstm.weight_hh_l0.grad.abs().sum() > 0 and model.autoencoder.decoder.weight_hh_l0.grad.abs().sum() > 0
    assert model.autoencoder.encoder.weight_ih_l0.grad.abs().sum() > 0
    plain = SeriesAutoencoder(12, 6, 3, predict=False)
    out, loss = plain(x, x)
    assert torch.allclose(loss, ((out - x) ** 2).mean())


# --- params -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, value, message", [
    (("synthetic", "train", "clip"), -1, r"'lstmae.synthetic.train.clip' must be a number > 0, or null"),
    (("prices", "train", "clip"), "none", r"'lstmae.prices.train.clip' must be a number > 0, or null"),
    (("synthetic", "data", "split"), [0.5, 0.2, 0.2], r"'lstmae.synthetic.data.split' must be three fractions"),
    (("synthetic", "data", "dip_at"), [2, 30], r"does not fit in 'lstmae.synthetic.data.length' = 50"),
    (("prices", "data", "source"), "yahoo:SPY", r"'lstmae.prices.data.source' is 'yahoo:SPY'; allowed values: csv:<path>"),
    (("prices", "data", "column"), "vwap", r"'lstmae.prices.data.column' is 'vwap'; allowed values: adj_close, close"),
    (("prices", "model", "hidden"), 0, r"'lstmae.prices.model.hidden'"),
    (("prices", "data", "show"), ["AMZN"], r"'lstmae.prices.data.show' must be two ticker names"),
])
def test_bad_params_name_the_key_and_the_allowed_values(default_params, path, value, message):
    section = default_params["lstmae"]
    for key in path[:-1]:
        section = section[key]
    section[path[-1]] = value
    with pytest.raises(ParamsError, match=message):
        lp.parse(default_params)


def test_null_clip_means_no_clipping(default_params):
    p = lp.parse(default_params)
    assert p.synthetic.train.clip is None and p.synthetic.train.clip_norm == float("inf")
    default_params["lstmae"]["synthetic"]["train"]["clip"] = 1
    assert lp.parse(default_params).synthetic.train.clip_norm == 1.0
