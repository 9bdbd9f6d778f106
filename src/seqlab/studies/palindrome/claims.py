"""The course reports' claims about palindromes, judged on this run's outputs.

Two reports make them. The CS324 report trained an LSTM on decimal palindromes and says its RNN
"from the last assignment" failed on a long one; this study's task is the same (the first T−1
digits in, the last digit out), on seqlab's own protocol: each row lists every difference. The
Northwestern report's RNN-vs-LSTM loss curves came from another task (Add2Digits), so its row is
not judged here. (The UvA report's palindromes are binary ones on another protocol: the uvapal
study judges those.)

Reads the palindrome study's results and per-seed curves, and, for the RNN's breaking point, the
length sweep's results too: it trains the same task at more lengths, and a reader needs one
answer from both.
"""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.palindrome.params import PalindromeParams
from seqlab.judging.verdicts import (
    NOT_COMPARABLE,
    OTHER_TASK,
    SEQLAB,
    Claim,
    Verdict,
    breaks_beyond,
    by_seed,
    fmt,
    not_comparable_here,
)

STUDY = "palindrome"
SWEEP = "sweep"  # the length sweep's runs count as evidence on where the RNN breaks
COURSE_BASE = 10  # the CS324 course's palindromes are decimal
LOSS_FALLS = 0.1  # "the loss falls": its last interval below a tenth of its first

# The reports' own words (../shared/seeds/; tests/test_ledger_quotes.py checks each against its report).
RNN_FAILED = ("The recurrent neural network (RNN) from the last assignment failed to accurately predict the last "
              "digit of a long palindrome.")
LSTM_WELL = "The LSTM model performs well on palindromes with different lengths."
LSTM_HELPS = ("This example helps support the theory above, that the LSTM helps mitigate against the "
              "exploding/vanishing gradients problem as the sequence length increases.")


def _results(p: PalindromeParams) -> dict[str, dict]:
    return {m: read_json(paths.study_results(STUDY, m)) for m in p.palindrome.models}


def _seed_curves(model: str, T: int) -> pd.DataFrame:
    return pd.read_csv(paths.study_results(STUDY, model).parent / "seeds" / f"T{T}.csv")


def _not_run(what: str) -> Verdict:
    return Verdict(NOT_COMPARABLE, f"not trained in this run: {what}")


def _other_base(p: PalindromeParams) -> str:
    """Why this run's palindromes are not the CS324 course's task ("" when they are)."""
    base = p.palindrome.data.base
    return "" if base == COURSE_BASE else (f"this run's palindromes are in base {base} "
                                           f"(palindrome.data.base), the course's in base {COURSE_BASE}")


def cs324_deviations(p: PalindromeParams, model: str) -> tuple[str, ...]:
    """Every way this study's runs of ``model`` depart from the CS324 course's palindrome protocol
    (COURSES.md §2: the student's Part 1 code and the course template's dataset)."""
    d, t = p.palindrome.data, p.palindrome.train
    return (
        f"input: each digit one-hot over {d.base} symbols; the course fed each digit as one scalar value",
        f"optimiser: Adam at lr {t.lr:g}; the course's code used RMSprop at lr 0.001",
        "loss: cross-entropy on the logits; the course's model applied a softmax before CrossEntropyLoss "
        "(a softmax taken twice)",
        f"model: `{getattr(p, model).impl}` {model.upper()}, hidden {t.hidden}, forget-gate bias {t.forget_bias:g}; "
        "the course's hand-written cell, hidden 128, with extra zero bias tensors",
        f"data: {d.n_train:,} / {d.n_val:,} / {d.n_test:,} distinct palindromes per length (fewer where fewer exist) "
        "in disjoint train / validation / test splits; the course drew up to 100,000 distinct palindromes and split "
        "them 80/20 at random into train and validation",
        f"schedule: {t.steps:,} steps of batch {t.batch_size}, gradient clipping at {t.clip_norm:g}, seeds "
        f"{list(t.seeds)}; the course: 100 epochs of batch 128, clipping at 10, one run",
        f"metric: accuracy on the held-out test split, per seed, against {p.palindrome.evaluate.target_acc:.0%}; "
        "the course showed validation-accuracy curves",
    )


def lstm_solves(p: PalindromeParams, results: dict) -> Claim:
    T, target = p.palindrome.claims.lstm_solves_T, p.palindrome.evaluate.target_acc
    criterion = (f"\"Performs well\" read as: every seed's test accuracy reaches {target:.0%} (the study's target) "
                 f"at every length the LSTM trained up to T={T} (palindrome.claims.lstm_solves_T; the course showed "
                 f"T=5 and T={T}). Holds if every (length, seed) run does, does not hold if none does, mixed "
                 f"otherwise. Not comparable when the LSTM did not train T={T}, or on palindromes of another base.")
    deviations = cs324_deviations(p, "lstm")
    lengths = results.get("lstm", {}).get("lengths", {})
    judged = sorted(int(L) for L in lengths if int(L) <= T)
    if _other_base(p):
        return Claim("palindrome.lstm_solves_T", LSTM_WELL, "cs324", criterion, not_comparable_here(_other_base(p)),
                     OTHER_TASK, deviations)
    if str(T) not in lengths:
        return Claim("palindrome.lstm_solves_T", LSTM_WELL, "cs324", criterion, _not_run(f"lstm.T has no {T}"),
                     SEQLAB, deviations)
    per_T = {L: [s["test_acc"] for s in lengths[str(L)]["seeds"]] for L in judged}
    passed = [a >= target for accs in per_T.values() for a in accs]
    evidence = "; ".join(f"T={L}: {fmt(accs)} ({sum(a >= target for a in accs)}/{len(accs)})"
                         for L, accs in per_T.items())
    result = Verdict(by_seed(passed), f"test accuracy per seed, runs reaching {target:g}: {evidence}",
                     {f"T{L}": {"values": accs, "reached": sum(a >= target for a in accs)}
                      for L, accs in per_T.items()})
    return Claim("palindrome.lstm_solves_T", LSTM_WELL, "cs324", criterion, result, SEQLAB, deviations)


def _sweep_runs(base: int) -> tuple[dict[int, list[float]], list[int]]:
    """The length sweep's RNN test accuracies by length, on palindromes of ``base`` only; and the
    lengths it trained in another base (left out)."""
    sweep = paths.study_results(SWEEP)
    if not sweep.is_file():
        return {}, []
    res, runs, other = read_json(sweep), {}, set()
    for r in res["runs"]:
        if r["model"] != "rnn":
            continue
        if res["data"][str(r["T"])]["task"]["base"] == base:
            runs.setdefault(r["T"], []).append(r["test_acc"])
        else:
            other.add(r["T"])
    return runs, sorted(other)


def rnn_breaks(p: PalindromeParams, results: dict) -> Claim:
    T0, target = p.palindrome.claims.rnn_breaks_above_T, p.palindrome.evaluate.target_acc
    criterion = (f"The report names no length: seqlab defines a *long* palindrome as T > {T0} "
                 f"(palindrome.claims.rnn_breaks_above_T), and \"failed to accurately predict\" as a test accuracy "
                 f"below {target:.0%}. Holds if no RNN run at any T above {T0} reaches {target:.0%}, does not hold if "
                 "every one does, mixed otherwise. Runs of the palindrome study and of the length sweep (same task and "
                 "base; the sweep trains fewer steps and stops a run once it is perfect) are pooled, one per seed. Not "
                 f"comparable without an RNN length above {T0}, or on palindromes of another base.")
    deviations = (
        "model: the claim is about the RNN of the course's previous assignment, whose settings the report does not "
        "give; seqlab's vanilla RNN, trained on this assignment's protocol as seqlab runs it, stands in",
        f"length: \"long\" is seqlab's reading, T > {T0}; the report gives no length",
        *cs324_deviations(p, "rnn"),
        "runs: the length sweep's RNN runs are pooled with the study's (fewer steps, early stopping at 100% "
        "validation accuracy)",
    )
    if _other_base(p):
        return Claim("palindrome.rnn_breaks_above_T", RNN_FAILED, "cs324", criterion,
                     not_comparable_here(_other_base(p)), OTHER_TASK, deviations)
    runs: dict[int, list[float]] = {}
    for T, r in results.get("rnn", {}).get("lengths", {}).items():
        runs.setdefault(int(T), []).extend(s["test_acc"] for s in r["seeds"])
    swept, other = _sweep_runs(p.palindrome.data.base)
    for T, accs in swept.items():
        runs.setdefault(T, []).extend(accs)
    if not any(T > T0 for T in runs):
        result = _not_run(f"no RNN length above {T0}")
    else:
        result = breaks_beyond(runs, T0, target)
        if other:
            result = Verdict(result.verdict, f"{result.evidence} (sweep lengths in another base left out: "
                                             f"{', '.join(map(str, other))})", result.numbers)
    return Claim("palindrome.rnn_breaks_above_T", RNN_FAILED, "cs324", criterion, result, SEQLAB, deviations)


def loss_falls_with_T(p: PalindromeParams, results: dict) -> Claim:
    t = p.palindrome.train
    criterion = ("Not judged: the Northwestern course's RNN-vs-LSTM loss curves came from its Add2Digits task, not "
                 "from palindromes. Shown for reference, measured on palindromes: per seed and T, the training "
                 f"loss's last interval over its first (it *falls* below {LOSS_FALLS:g}), for the LSTM at every T and "
                 "the RNN at its longest.")
    deviations = (
        "task: palindromes (the last digit from the first T−1); the course's Add2Digits: L digits 0–9 with one −1 "
        "marker, the label the digit after the marker plus the last digit (19 classes)",
        f"input: one-hot over {p.palindrome.data.base} digits; the course's over 11 tokens (the digits and the marker)",
        f"model: one layer, hidden {t.hidden}, its last state into {p.palindrome.data.base} classes; the course's two "
        "layers of 128, the last output into Linear(128, 19)",
        f"lengths: T = {', '.join(map(str, p.rnn.T))} (RNN) and {', '.join(map(str, p.lstm.T))} (LSTM); the course's "
        "L = 5, 10 and 30",
        f"optimiser and schedule: Adam at lr {t.lr:g}, {t.steps:,} steps of batch {t.batch_size}, {len(t.seeds)} seeds",
        "metric: the ratio of the training loss's last interval to its first; the course showed the loss curves",
    )
    if not all(m in results for m in ("lstm", "rnn")):
        return Claim("palindrome.loss_falls_lstm_not_rnn", LSTM_HELPS, "northwestern", criterion,
                     not_comparable_here("not trained in this run: the LSTM and the RNN"), OTHER_TASK, deviations)

    def ratios(model: str, T: int) -> list[float]:
        return [float(g["train_loss"].iloc[-1] / g["train_loss"].iloc[0])
                for _, g in _seed_curves(model, T).groupby("seed")]

    lstm = {int(T): ratios("lstm", int(T)) for T in results["lstm"]["lengths"]}
    longest = max(int(T) for T in results["rnn"]["lengths"])
    rnn = ratios("rnn", longest)
    measured = ("LSTM last/first training loss: " + "; ".join(f"T={T}: {fmt(r, 3)}" for T, r in sorted(lstm.items()))
                + f"; RNN at T={longest}: {fmt(rnn, 3)}")
    return Claim("palindrome.loss_falls_lstm_not_rnn", LSTM_HELPS, "northwestern", criterion,
                 not_comparable_here(f"measured on palindromes, not the course's task: {measured}"), OTHER_TASK,
                 deviations)


def claims(p: PalindromeParams) -> list[Claim]:
    results = _results(p)
    return [f(p, results) for f in (lstm_solves, rnn_breaks, loss_falls_with_T)]
