"""The course's claims about its LSTM autoencoders, judged on this run's outputs."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.lstmae.params import COURSE_SYNTHETIC_MSE, LstmAeParams
from seqlab.judging.verdicts import FAILS, HOLDS, NOT_COMPARABLE, Claim, Verdict, beats

STUDY = "lstmae"
SOURCE = "course report (LSTM autoencoders on synthetic signals and S&P 500 prices)"
FACTOR = 2  # "0.0003": the same order, within a factor of two
COURSE_DATA = {"n": 10000, "length": 50, "dip_min": 20, "dip_max": 30, "dip_half": 5, "dip_factor": 0.1}


def synthetic_mse(p: LstmAeParams, m: dict) -> Claim:
    claim = f"An LSTM autoencoder reconstructs the synthetic dip signals to a test MSE of {COURSE_SYNTHETIC_MSE}."
    criterion = (f"The test reconstruction MSE is at most {FACTOR} × {COURSE_SYNTHETIC_MSE} (the quoted number, to within "
                 "a factor of two). Comparable only on the course's signals: 10,000 of 50 values, a dip of ten "
                 "values × 0.1 centred in [20, 30].")
    d, mo, t = p.synthetic.data, p.synthetic.model, p.synthetic.train
    ours = {k: getattr(d, k) for k in COURSE_DATA}
    settings = (f"hidden {mo.hidden}, lr {t.lr:g}, batch {t.batch_size}, "
                f"clip {t.clip or 'none'}, {t.steps:,} steps, the study's budget")
    if ours != COURSE_DATA:
        return Claim("lstmae.synthetic_mse", claim, SOURCE, criterion,
                     Verdict(NOT_COMPARABLE, f"the signals differ from the course's ({ours}); test MSE {m['test_mse']:.5f}"))
    return Claim("lstmae.synthetic_mse", claim, SOURCE, criterion, Verdict(
        HOLDS if m["test_mse"] <= FACTOR * COURSE_SYNTHETIC_MSE else FAILS,
        f"test MSE {m['test_mse']:.5f} ({settings}; the validation loss "
        f"{'still falling' if m['still_falling'] else 'levelled off'} at the end); inside the dip "
        f"{m['test_mse_dip']:.5f}; mean-signal baseline {m['mean_signal_mse']:.5f}, moving average "
        f"{m['moving_average_mse']:.5f}",
        {"test_mse": m["test_mse"], "quoted": COURSE_SYNTHETIC_MSE}))


def beats_naive(p: LstmAeParams, m: dict, res: dict) -> Claim:
    claim = "A second decoder on the LSTM autoencoder's code predicts the next day's price."
    criterion = ("The forecast of the day after each test window (a day no input contains) has a lower squared error "
                 "than the naive forecast tomorrow = today, on the same z-scored windows, paired over the test "
                 "windows, by more than 2 standard errors; worse by more than 2 SE: does not hold; between: within "
                 "noise. Windows of one ticker overlap in time, so the SE is, if anything, too small; a verdict "
                 "within noise is not a win.")
    diff, se = m["model_minus_naive_day1"], m["model_minus_naive_day1_se"]
    verdict = beats(-diff, se)  # lower error is better
    meta = res["prices"]["meta"]
    evidence = (f"day-1 test MSE {m['model_day1_mse']:.4f} vs naive {m['naive_day1_mse']:.4f} (drift "
                f"{m['drift_day1_mse']:.4f}, linear {m['linear_day1_mse']:.4f}); model − naive {diff:+.4f} ± {se:.4f} "
                f"(SE) over {res['prices']['n_test']} windows of {len(meta['split_tickers']['test'])} test tickers; "
                f"the model is closer in {m['model_beats_naive_share']:.1%} of them; source {meta['source']}")
    return Claim("lstmae.predicts_next_day", claim, SOURCE, criterion,
                 Verdict(verdict, evidence, {"model_minus_naive": diff, "se": se}))


def claims(p: LstmAeParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    m = res["metrics"]
    return [synthetic_mse(p, m["synthetic"]), beats_naive(p, m["prices"], res)]
