"""The LSTM-AE report's claims, judged on this run's outputs.

Every claim of the report is judged on the course's own protocol (course_claims: the stages
lstmae_course_*), with this study's runs as the corrected answers beside them. This study adds
one row of its own: whether the price model forecasts the day after a window better than tomorrow
= today, a question the course never asked. Its prices are *sampled*, not the course's file: other
S&P 500 stocks' daily prices are the same task, so the row is judged and lists the differences.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.lstmae.course_claims import course_claims
from seqlab.studies.lstmae.params import LstmAeParams
from seqlab.judging.verdicts import SEQLAB, Claim, Verdict, beats

STUDY = "lstmae"
COURSE_STUDY = "lstmae_course"  # stage lstmae_course_evaluate's results
MNIST = "mnist"  # seqlab's joint MNIST autoencoder: the corrected answer to the course classifier's accuracy

# The report's own words (../shared/seeds/; tests/test_ledger_quotes.py checks each against it).
SECOND_DECODER = "another decoder has been added whose function is to extract the next time point for each t"


def prices_deviations(p: LstmAeParams, res: dict) -> tuple[str, ...]:
    d, mo, t = p.prices.data, p.prices.model, p.prices.train
    meta = res["prices"]["meta"]
    w = meta["windows"]
    column = meta["column"] + (f" (asked for {meta['column_asked']}: {meta['column_note']})"
                               if meta.get("column_note") else "")
    return (
        f"data: `{meta['source']}`, {meta['tickers']} tickers, {meta['first_date']} to {meta['last_date']}, the "
        f"{column} price; the course's \"SP 500 Stock Prices 2014-2017.csv\": 479 tickers × 1,007 days, the close",
        f"windows: {w['train']:,} / {w['val']:,} / {w['test']:,} windows of {d.days} days from disjoint tickers "
        f"({d.split[0]:.0%} / {d.split[1]:.0%} / {d.split[2]:.0%} of them, shuffled), each z-scored on its input days; "
        "the course's 10,000 (its report: 3,000) / 500 / 500 windows of 300 days from tickers split 60/20/20 in file "
        "order, each ticker min-max scaled over its whole series and each window again",
        f"model: hidden {mo.hidden}, a code of {mo.latent}, linear outputs; the course's hidden 128 or 256",
        f"schedule: {t.steps:,} steps of batch {t.batch_size}, Adam at lr {t.lr:g}, "
        f"{'no clipping' if t.clip is None else f'clipping at {t.clip:g}'}; the course's 300 epochs, Adam at its "
        "default lr (its report: lr 0.005, batch 64)",
        "metric: the squared error of the forecast of the day after each test window against the naive forecast "
        "tomorrow = today; the course showed training-loss curves and compared with no baseline",
    )


def beats_naive(p: LstmAeParams, res: dict) -> Claim:
    m = res["metrics"]["prices"]
    criterion = ("The report states no number: seqlab reads \"to extract the next time point\" as forecasting it "
                 "better than the naive forecast tomorrow = today. The forecast of the day after each test window (a "
                 "day no input contains) has a lower squared error than the naive forecast, on the same z-scored "
                 "windows, paired over the test windows, by more than 2 standard errors: holds; worse by more than "
                 "2 SE: does not hold; between: within noise. Windows of one ticker overlap in time, so the SE is, "
                 "if anything, too small; a verdict within noise is not a win. Judged although this run's prices are "
                 "not the course's file (the deviations list how): other S&P 500 stocks' daily prices are the same "
                 "task, where the synthetic row's signals come from another generator.")
    diff, se = m["model_minus_naive_day1"], m["model_minus_naive_day1_se"]
    verdict = beats(-diff, se)  # lower error is better
    meta = res["prices"]["meta"]
    evidence = (f"day-1 test MSE {m['model_day1_mse']:.4f} vs naive {m['naive_day1_mse']:.4f} (drift "
                f"{m['drift_day1_mse']:.4f}, linear {m['linear_day1_mse']:.4f}); model − naive {diff:+.4f} ± {se:.4f} "
                f"(SE) over {res['prices']['n_test']} windows of {len(meta['split_tickers']['test'])} test tickers; "
                f"the model is closer in {m['model_beats_naive_share']:.1%} of them; source {meta['source']}")
    return Claim("lstmae.predicts_next_day", SECOND_DECODER, "lstmae", criterion,
                 Verdict(verdict, evidence, {"model_minus_naive": diff, "se": se}), SEQLAB, prices_deviations(p, res))


def claims(p: LstmAeParams) -> list[Claim]:
    """The course-protocol rows (course_claims), with this study's runs as their corrected answers,
    then seqlab's own forecast row."""
    res = read_json(paths.study_results(STUDY))
    course = read_json(paths.study_results(COURSE_STUDY))
    mnist_path = paths.study_results(MNIST)
    ae = (next((r for r in read_json(mnist_path)["runs"] if r["kind"] == "autoencoder"), None)
          if mnist_path.is_file() else None)
    return [*course_claims(course, res["metrics"]["synthetic"], res["metrics"]["prices"], ae), beats_naive(p, res)]
