"""The CS324 report's palindrome claims, judged on this run's outputs.

The CS324 report trained an LSTM on decimal palindromes and says its RNN "from the last
assignment" failed on a long one. Both rows are judged on the course's own protocol (the student's
scripts as they ran: stages palindrome_course_*, seqlab.studies.palindrome.course_claims), and
this study, seqlab's one-hot headline protocol on the same task, gives each row's ``corrected``
answer by the same rule. (The UvA report's palindromes are binary ones on another protocol: the
uvapal study judges those. The Northwestern report's RNN-vs-LSTM loss curves came from its
Add2Digits task, judged in the study that runs it.)

Reads the palindrome study's results, the course protocol's, and, for the RNN, the length
sweep's: it trains the same task at more lengths, and a reader needs one answer from both.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import NOT_COMPARABLE, Verdict, breaks_beyond
from seqlab.studies.palindrome import course_criteria as cc
from seqlab.studies.palindrome.course_claims import course_claims
from seqlab.studies.palindrome.params import PalindromeParams

STUDY = "palindrome"
COURSE_STUDY = "palindrome_course"  # stage palindrome_course_evaluate's results
SWEEP = "sweep"  # the length sweep's runs count as evidence on where the RNN breaks
COURSE_BASE = 10  # the CS324 course's palindromes are decimal


def _results(p: PalindromeParams) -> dict[str, dict]:
    return {m: read_json(paths.study_results(STUDY, m)) for m in p.palindrome.models}


def _other_base(p: PalindromeParams) -> str:
    """Why this run's palindromes are not the CS324 course's task ("" when they are)."""
    base = p.palindrome.data.base
    return "" if base == COURSE_BASE else (f"this study's palindromes are in base {base} "
                                           f"(palindrome.data.base), the course's in base {COURSE_BASE}")


def protocol(p: PalindromeParams, model: str) -> str:
    """seqlab's headline protocol in a phrase, for a row's corrected answer."""
    d, t = p.palindrome.data, p.palindrome.train
    return (f"seqlab's headline study (each digit one-hot, `{getattr(p, model).impl}` {model.upper()} of hidden "
            f"{t.hidden}, logits into the cross-entropy, Adam at lr {t.lr:g}, {t.steps:,} steps of batch {t.batch_size}, "
            f"{len(t.seeds)} seeds, accuracy on a held-out test split of up to {d.n_test:,})")


def _answer(verdict: Verdict, how: str) -> str:
    return f"{verdict.verdict}: {how}: {verdict.evidence}"


def lstm_answer(p: PalindromeParams, results: dict) -> str:
    """The LSTM row's rule on this study: every seed's test accuracy reaches the target at every
    LSTM length up to palindrome.claims.lstm_solves_T."""
    if _other_base(p):
        return f"{NOT_COMPARABLE}: {_other_base(p)}"
    T, target = p.palindrome.claims.lstm_solves_T, p.palindrome.evaluate.target_acc
    lengths = results.get("lstm", {}).get("lengths", {})
    if str(T) not in lengths:
        return f"{NOT_COMPARABLE}: this study's LSTM did not train T={T} (lstm.T, palindrome.claims.lstm_solves_T)"
    judged = sorted(int(L) for L in lengths if int(L) <= T)
    acc = {L: [s["test_acc"] for s in lengths[str(L)]["seeds"]] for L in judged}
    how = (f"{protocol(p, 'lstm')}, test accuracy per seed at every length up to T={T} "
           "(palindrome.claims.lstm_solves_T)")
    return _answer(cc.performs_well(acc, target, judged), how)


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


def rnn_answer(p: PalindromeParams, results: dict) -> str:
    """The RNN row's rule on this study and the length sweep, pooled: no RNN run above
    palindrome.claims.rnn_breaks_above_T reaches the target."""
    if _other_base(p):
        return f"{NOT_COMPARABLE}: {_other_base(p)}"
    T0, target = p.palindrome.claims.rnn_breaks_above_T, p.palindrome.evaluate.target_acc
    runs: dict[int, list[float]] = {}
    for T, r in results.get("rnn", {}).get("lengths", {}).items():
        runs.setdefault(int(T), []).extend(s["test_acc"] for s in r["seeds"])
    swept, other = _sweep_runs(p.palindrome.data.base)
    for T, accs in swept.items():
        runs.setdefault(T, []).extend(accs)
    if not any(T > T0 for T in runs):
        return f"{NOT_COMPARABLE}: no RNN length above T={T0} (palindrome.claims.rnn_breaks_above_T) in this run"
    how = (f"{protocol(p, 'rnn')} and the length sweep's RNN runs (same task; fewer steps, stopped at 100% validation "
           f"accuracy), pooled, with *long* read as T > {T0} (palindrome.claims.rnn_breaks_above_T)"
           + (f"; sweep lengths in another base left out: {', '.join(map(str, other))}" if other else ""))
    return _answer(breaks_beyond(runs, T0, target), how)


def claims(p: PalindromeParams) -> list:
    results = _results(p)
    course = read_json(paths.study_results(COURSE_STUDY))
    return course_claims(course, p.palindrome.evaluate.target_acc, lstm_answer(p, results), rnn_answer(p, results))
