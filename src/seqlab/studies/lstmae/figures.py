"""Stage lstmae_figures: the synthetic signals against their reconstruction; the two shown
tickers' prices; three test windows with their reconstruction and fed-back forecast; the
forecast error by horizon against the naive, drift and linear forecasts.

    python -m seqlab.studies.lstmae.figures
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.studies.lstmae.params import COURSE_SYNTHETIC_MSE, LstmAeParams
from seqlab.studies.lstmae.layout import PREDICT, PRICES, RECONSTRUCT, STUDY, SYNTHETIC, data_dir
from seqlab.present.viz import log_run_curves, save_figure

FORECAST_STYLE = {"model": ("tab:blue", "-", "LSTM-AE, fed back"), "naive": ("tab:red", "--", "naive: tomorrow = today"),
                  "drift": ("tab:orange", ":", "drift"), "linear": ("tab:green", "-.", "linear trend")}


def plot_synthetic(p: LstmAeParams, res: dict, metrics: dict, curve: pd.DataFrame, path):
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    half = p.synthetic.data.dip_half
    for ax, name in zip(axes[:2], ("train", "test")):
        ex = res["examples"][name]
        t = np.arange(len(ex["x"]))
        ax.axvspan(ex["centre"] - half - 0.5, ex["centre"] + half - 0.5, color="0.9", label="dip")
        ax.plot(t, ex["x"], color="k", lw=1, label="signal")
        ax.plot(t, ex["recon"], color="tab:blue", lw=1.5, label="LSTM-AE reconstruction")
        if "moving_average" in ex:
            ax.plot(t, ex["moving_average"], color="tab:orange", lw=1, ls="--",
                    label=f"moving average ({p.synthetic.smoother})")
        ax.set(title=f"A {name} signal (dip at {ex['centre']})", xlabel="t", ylim=(-0.05, 1.1))
        ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    ax.plot(curve["step"], curve["val_mse"], color="tab:blue", label="validation MSE")
    for key, style, label in (("mean_signal_mse", ":", "mean signal (test)"),
                              ("moving_average_mse", "--", f"moving average {p.synthetic.smoother} (test)")):
        ax.axhline(metrics[key], color="tab:red", ls=style, lw=1, label=f"{label}: {metrics[key]:.4f}")
    ax.axhline(COURSE_SYNTHETIC_MSE, color="tab:orange", lw=1, label=f"course: {COURSE_SYNTHETIC_MSE} (quoted)")
    ax.set(yscale="log", xlabel="step", ylabel="MSE", title=f"Test MSE {metrics['test_mse']:.4f}")
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_tickers(shown: pd.DataFrame, meta: dict, path):
    fig, ax = plt.subplots(figsize=(10, 3.4))
    for ticker, rows in shown.groupby("ticker", sort=False):
        ax.plot(pd.to_datetime(rows["date"]), rows["price"], lw=1, label=ticker)
    ax.set(ylabel=f"price ({meta['column']})", yscale="log",
           title=f"Two tickers of {meta['source']}" + (f" ({meta['shown_note']})" if meta["shown_note"] else ""))
    ax.legend()
    return save_figure(fig, path)


def plot_windows(res: dict, days: int, path):
    examples = res["examples"]
    fig, axes = plt.subplots(1, len(examples), figsize=(5 * len(examples), 3.6))
    for ax, ex in zip(np.atleast_1d(axes), examples):
        prices = np.array(ex["prices"])
        horizon = len(prices) - days
        ax.plot(np.arange(len(prices)), prices, color="k", lw=1, label="price")
        ax.plot(np.arange(days), ex["recon"], color="tab:blue", lw=1.2, label="reconstruction")
        future = np.arange(days, days + horizon)
        ax.plot(future, ex["forecast"], "o-", color="tab:purple", ms=3, label=f"forecast, {horizon} days fed back")
        ax.plot(future, np.repeat(prices[days - 1], horizon), "--", color="tab:red", lw=1, label="naive")
        ax.axvline(days - 0.5, color="0.7", lw=0.8)
        ax.set(title=f"{ex['ticker']}, days {ex['start']:,}–{ex['start'] + len(prices) - 1:,} of its series",
               xlabel="day in window")
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_forecast(by_h: pd.DataFrame, curves: dict[str, pd.DataFrame], metrics: dict, path):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.8))
    for name, (color, style, label) in FORECAST_STYLE.items():
        ax.plot(by_h["horizon"], by_h[name], style, color=color, marker="o", ms=3, label=label)
    ax.set(xlabel="days past the window", ylabel="test MSE (window z-scale)", title="Forecast error by horizon")
    ax.set_xticks(by_h["horizon"])
    ax.legend(fontsize=7)
    for name, color in ((RECONSTRUCT, "tab:blue"), (PREDICT, "tab:purple")):
        c = curves[name]
        ax2.plot(c["step"], c["val_loss"], color=color, label=f"{name}: validation loss")
    ax2.axhline(metrics["val_naive_next_mse"], color="tab:red", ls="--", lw=1,
                label=f"naive in-window next-day MSE ({metrics['val_naive_next_mse']:.3f})")
    ax2.set(yscale="log", xlabel="step", title="Training (predict: reconstruction + next-day loss)")
    ax2.legend(fontsize=7)
    return save_figure(fig, path)


def figures(p: LstmAeParams, tracker=None) -> list:
    res = read_json(paths.study_results(STUDY))
    metrics = res["metrics"]
    plots, out = paths.study_plots(STUDY), paths.study_figures(STUDY)
    curves = {name: pd.read_csv(plots / f"{name}.csv") for name in (SYNTHETIC, RECONSTRUCT, PREDICT)}
    meta = res["prices"]["meta"]
    written = [
        plot_synthetic(p, res[SYNTHETIC], metrics[SYNTHETIC], curves[SYNTHETIC], out / "synthetic.png"),
        plot_tickers(pd.read_csv(data_dir(PRICES) / "shown.csv"), meta, out / "tickers.png"),
        plot_windows(res["prices"], meta["days"], out / "windows.png"),
        plot_forecast(pd.read_csv(plots / "forecast_by_horizon.csv"), curves, metrics["prices"], out / "forecast.png"),
    ]
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)
    return written


STEPS = {"figures": Step(figures, reads=("lstmae.synthetic.data.dip_half", "lstmae.synthetic.smoother"))}

if __name__ == "__main__":
    run_stage(__doc__, LstmAeParams, STEPS, experiment=STUDY)
