"""The report's LSTM-autoencoder section, read from the study's stage outputs only, and the last
recorded sweep (python -m seqlab.tools.experiment_grid) where one is committed."""

from __future__ import annotations

from pathlib import Path

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, recorded_sweep, table
from seqlab.studies.lstmae.course_report import course_section
from seqlab.studies.lstmae.params import COURSE_SYNTHETIC_MSE, LstmAeParams

STUDY = "lstmae"
COURSE_STUDY = "lstmae_course"  # stage lstmae_course_evaluate's results
CONTENTS = "LSTM autoencoders on time series"
# The last recorded sweep: an input the user commits (`python -m seqlab.tools.experiment_grid --out sweeps/lstmae`),
# not a stage output, so that no `dvc repro` runs a sweep or deletes one.
SWEEP = Path("sweeps") / STUDY


def side(m: dict) -> str:
    """Which side of tomorrow = today the day-1 forecast lands, by the claims ledger's 2-SE rule."""
    diff, se = m["model_minus_naive_day1"], m["model_minus_naive_day1_se"]
    if diff < -2 * se:
        return "**beats** the naive forecast"
    if diff > 2 * se:
        return "**loses to** the naive forecast"
    return "**does not beat** the naive forecast (the difference is within 2 standard errors)"


def falling(still: bool) -> str:
    return ("was still falling at the end (its last 5 evaluations ≥ 2% below the 5 before: the step budget, not a "
            "plateau, stopped it)" if still else "had levelled off (its last 5 evaluations within 2% of the 5 before)")


def clip(c: float | None) -> str:
    return "no clipping" if c is None else f"gradient norm clipped at {c:g}"


COURSE_SETTINGS = (64, 0.005, 32, None)  # quoted: hidden, lr, batch, clip the course chose on validation


def synthetic_part(p: LstmAeParams, res: dict, m: dict) -> list[str]:
    d, mo, t = p.synthetic.data, p.synthetic.model, p.synthetic.train
    n = res["n"]
    epochs = t.steps * t.batch_size / n["train"]
    closer = "test signals the LSTM-AE reconstructs more closely"
    rows = [{"reconstruction": "LSTM-AE", "test MSE": f"{m['test_mse']:.5f}", "inside the dip": f"{m['test_mse_dip']:.5f}",
             closer: ""},
            {"reconstruction": "mean training signal", "test MSE": f"{m['mean_signal_mse']:.5f}",
             "inside the dip": f"{m['mean_signal_mse_dip']:.5f}", closer: f"{m['beats_mean_signal_share']:.1%}"},
            {"reconstruction": f"moving average of {p.synthetic.smoother}", "test MSE": f"{m['moving_average_mse']:.5f}",
             "inside the dip": f"{m['moving_average_mse_dip']:.5f}", closer: f"{m['beats_moving_average_share']:.1%}"},
            {"reconstruction": "course (quoted)", "test MSE": f"{COURSE_SYNTHETIC_MSE}", "inside the dip": "", closer: ""}]
    return [
        "### Synthetic signals with a dip",
        "",
        f"{d.n:,} signals of {d.length} values from U[0, 1]; in each, x[i − {d.dip_half} : i + {d.dip_half}] is "
        f"multiplied by {d.dip_factor:g} for i drawn uniformly from [{d.dip_min}, {d.dip_max}]. Split "
        f"{n['train']:,} / {n['val']:,} / {n['test']:,} (seed {d.seed}). The LSTM-AE (hidden {mo.hidden}, code "
        f"{mo.latent}, {res['run']['n_params']:,} parameters) trains for {t.steps:,} steps ({epochs:.0f} epochs) with "
        f"Adam at lr {t.lr:g}, batch {t.batch_size}, {clip(t.clip)}: "
        + ("the settings the course chose by grid search on validation" if (mo.hidden, t.lr, t.batch_size, t.clip) ==
           COURSE_SETTINGS else "not the settings the course chose by grid search on validation")
        + " (quoted: hidden 64, lr 0.005, batch 32, no clipping). Validation MSE at the "
        f"end {m['val_mse']:.5f}, training {m['train_mse']:.5f}; {res['run']['train_seconds']:.0f} s of training. "
        f"The validation loss {falling(m['still_falling'])}.",
        "",
        table(rows),
        "",
        f"The course reports a test MSE of {COURSE_SYNTHETIC_MSE} (quoted); this run's is {m['test_mse']:.5f}, "
        f"{m['test_mse'] / COURSE_SYNTHETIC_MSE:.1f} × the quoted number. Inside the dip it is {m['test_mse_dip']:.5f}, "
        f"outside {m['test_mse_outside']:.5f}. The mean signal is the best a reconstruction that ignores its input can "
        "do; the moving average keeps every signal's level and blurs the dip's edges, which is where a model "
        "that only learned smooth shapes fails.",
        "",
        fig(STUDY, "synthetic.png", "A training and a test signal against their reconstruction; validation MSE"),
        "",
    ]


def prices_part(p: LstmAeParams, res: dict, m: dict) -> list[str]:
    meta, d, mo, t = res["meta"], p.prices.data, p.prices.model, p.prices.train
    w, s = meta["windows"], meta["split_tickers"]
    repaired = meta["repaired"]
    repairs = ("" if not repaired else
               " `repair` dropped " + "; ".join(
                   f"{v} row(s) with a missing or non-positive price" if k == "bad_price_rows" else
                   f"{v} row(s) of duplicated (date, ticker) pairs" if k == "duplicate_rows" else
                   f"{len(v)} ticker(s) with fewer than {d.min_days} days ({', '.join(v)})"
                   for k, v in repaired.items()) + ".")
    column = (f"the `{meta['column']}` column" + (f" ({meta['column_note']})" if meta["column_note"] else ""))
    k = d.horizon
    lo, hi = meta["days_per_ticker"]["min"], meta["days_per_ticker"]["max"]
    days = f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
    forecast = [{"forecast": label, "day 1 test MSE": f"{m[f'{key}_day1_mse']:.4f}",
                 f"days 1–{k} test MSE": f"{m[f'{key}_k_mse']:.4f}",
                 "day 1 validation MSE": f"{m[f'val_{key}_day1_mse']:.4f}"}
                for key, label in (("model", "LSTM-AE second decoder (fed back after day 1)"),
                                   ("naive", "naive: tomorrow = today"), ("drift", "random walk with drift"),
                                   ("linear", "least-squares line through the window"))]
    inwindow = [{"model": "reconstruct only", "reconstruction MSE": f"{m['recon_mse']:.4f}", "next-day MSE (in window)": "",
                 "together": f"{m['recon_mse']:.4f}"},
                {"model": "reconstruct + predict", "reconstruction MSE": f"{m['predictor_recon_mse']:.4f}",
                 "next-day MSE (in window)": f"{m['predictor_next_mse']:.4f}", "together": f"{m['predictor_loss']:.4f}"},
                {"model": "naive x_t for x_{t+1}", "reconstruction MSE": "", "next-day MSE (in window)":
                 f"{m['naive_next_mse']:.4f}", "together": ""}]
    runs = res["runs"]
    return [
        "### Stock prices: reconstruction, and does the next-day forecast beat tomorrow = today?",
        "",
        f"Source `{meta['source']}` (`{meta['origin'].rsplit('/', 1)[-1]}`, SHA-256 `{meta['sha256'][:16]}…`): "
        f"{meta['tickers']} tickers, {meta['first_date']} to {meta['last_date']}, "
        f"{days} days each, using {column}.{repairs} "
        f"The tickers are split {len(s['train'])} / {len(s['val'])} / {len(s['test'])} (train / validation / test; "
        f"test: {', '.join(s['test'])}), so no series is in two splits, and each split's windows are drawn without "
        f"replacement from its own tickers: {w['train']:,} / {w['val']:,} / {w['test']:,} windows of {d.days} days "
        f"(M = {d.windows:,}, N = {d.days}; quoted, the course's: 3,000 × 300), plus the {k} days after each, which only "
        "the forecasts are scored on. Each window is z-scored by the mean and standard deviation of its "
        f"{d.days} input days only; the figures map back to prices with the same two numbers.",
        "",
        f"Both models: hidden {mo.hidden}, code {mo.latent} (quoted, the course's: 128 or 256; at N = 300 that does not "
        f"fit the study's budget on 2 CPU cores), Adam at lr {t.lr:g}, batch {t.batch_size}, {clip(t.clip)}, "
        f"{t.steps:,} steps; {runs['reconstruct']['n_params']:,} and {runs['predict']['n_params']:,} parameters, "
        f"{runs['reconstruct']['train_seconds']:.0f} s and {runs['predict']['train_seconds']:.0f} s of training, side by "
        "side. The second model's encoder feeds two decoders, one reconstructing x_1 … x_N and one predicting "
        "x_2 … x_{N+1}; its loss is the sum of the two MSEs. " + (
            f"For both, the validation loss {falling(m['predict_still_falling'])}."
            if m["reconstruct_still_falling"] == m["predict_still_falling"] else
            f"The validation loss {falling(m['reconstruct_still_falling'])} for the reconstructing model, and "
            f"{falling(m['predict_still_falling'])} for the predicting one."),
        "",
        fig(STUDY, "tickers.png", "The two shown tickers' prices"),
        "",
        "**Reconstruction** (test windows, z-scale; predicting each window's mean scores 1 by construction):",
        "",
        table(inwindow),
        "",
        "Inside the window the predicting decoder's targets x_2 … x_N are the encoder's own inputs, so its "
        "in-window next-day loss is mostly a reconstruction; a low value there shows nothing about forecasting. "
        f"Only day N + 1 is unseen. **The forecast** of the {k} days after each window (day 1 from the window, "
        "later days by feeding each forecast back in as the newest day):",
        "",
        table(forecast),
        "",
        f"On day 1 the model {side(m)}: test MSE {m['model_day1_mse']:.4f} against {m['naive_day1_mse']:.4f}, "
        f"a paired difference of {m['model_minus_naive_day1']:+.4f} ± {m['model_minus_naive_day1_se']:.4f} (SE) "
        f"over {res['n_test']} test windows; it is the closer of the two in {m['model_beats_naive_share']:.1%} of "
        "them. For a random walk the last price is the best forecast there is, and daily prices are close to one. "
        "The naive forecast copies the last input day exactly, while the model has to carry it through its "
        f"{mo.latent}-number code: its reconstruction of that last day alone has a test MSE of "
        f"{m['predictor_last_day_recon_mse']:.4f}, so the code does not hold today's price as well as the naive "
        "forecast's error on tomorrow's.",
        "",
        fig(STUDY, "windows.png", "Three test windows: price, reconstruction, forecast"),
        "",
        fig(STUDY, "forecast.png", "Forecast error by horizon; training curves"),
        "",
    ]


def sweep_part() -> list[str]:
    return ["### Hyper-parameter sweep (queued DVC experiments)", "", *recorded_sweep(
        SWEEP, "No sweep has been recorded: `sweeps/lstmae/` holds no `sweep.json`. The section \"Sweeps of queued "
        "experiments\" of `docs/experiments.md` queues one as DVC experiments and records it with "
        "`python -m seqlab.tools.experiment_grid`.")]


def section(p: LstmAeParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    m = res["metrics"]
    return [
        "## LSTM autoencoders on time series",
        "",
        "The course's LSTM autoencoder: an LSTM encoder's last state becomes a code z, and an LSTM decoder fed z at "
        "every step rebuilds the sequence. It ran on synthetic signals and on S&P 500 prices, where a second decoder "
        "predicts the next day. The question it never asked: does that beat tomorrow = today?",
        "",
        *synthetic_part(p, res["synthetic"], m["synthetic"]),
        *prices_part(p, res["prices"], m["prices"]),
        *sweep_part(),
        *course_section(read_json(paths.study_results(COURSE_STUDY))),
    ]
