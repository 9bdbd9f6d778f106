"""The EE6132 report's claims about hidden size, judged on this run's digit-recall outputs.

The report's Question 2 is digit recall (its q2.py): "increasing the hidden unit size increases the
accuracy". Its sentence about hidden 10 reaching nearly 100% and hidden 2 doing worse sits in
Question 3, binary addition (an LSTM of hidden 5 adding two binary numbers): that row is kept,
marked as another task, so that a reader of the old ledger sees where the sentence belongs.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.recall.params import RecallParams
from seqlab.judging.verdicts import (
    NOT_COMPARABLE,
    OTHER_TASK,
    SEQLAB,
    Claim,
    Verdict,
    accuracy_se,
    fmt,
    not_comparable_here,
    rises_with,
)

STUDY = "recall"
COURSE_HIDDEN = (2, 5, 10)  # the course's hidden sizes for digit recall
LARGE, SMALL = 10, 2  # the hidden sizes the Question 3 sentence names

# The report's own words (../shared/seeds/; tests/test_ledger_quotes.py checks each against it).
RECALL_CLAIM = "We notice that increasing the hidden unit size increases the accuracy"  # Question 2
ADDITION_CLAIM = ("We notice that increasing this to 10 improves accuracy (nearly 100%) and decreasing to 2 lowers "
                  "accuracy.")  # Question 3, binary addition


def deviations(p: RecallParams, res: dict) -> tuple[str, ...]:
    """Every way this study departs from the course's digit recall (COURSES.md §3, q2.py)."""
    d, t = p.data, p.train
    sizes = res["data"]["sizes"]
    hidden = () if tuple(sorted(t.hidden)) == COURSE_HIDDEN else (
        f"hidden sizes: {list(t.hidden)}; the course's {list(COURSE_HIDDEN)}",)
    return (
        "digits: 0–9; the course's generator (randint(0, 9)) drew 0–8 only",
        f"input: lengths {d.min_len}–{d.max_len} drawn per sequence, padded at the end with a PAD token (one-hot over "
        "11 symbols), the answer read from the state at each sequence's last digit; the course drew one length per "
        "batch, no padding, one-hot over 10",
        f"data: a fixed training set of {sizes['train']:,} sequences ({res['data']['test_in_train']:.1%} of the test "
        "sequences also occur in it); the course drew a fresh batch every step",
        f"schedule: Adam at lr {t.lr:g}, {t.steps:,} steps of batch {t.batch_size}, clipping at {t.clip_norm:g}, "
        f"forget-gate bias {t.forget_bias:g}, seeds {list(t.seeds)}; the course: Adam at lr 0.01, 15 × 100 steps of "
        "batch 32, no clipping, torch's default initialisation, one run",
        f"metric: accuracy on a fixed test set of {sizes['test']:,} sequences; the course's on 640 fresh ones",
        *hidden,
    )


def _accuracies(p: RecallParams, res: dict) -> dict[int, list[float]]:
    return {h: [r["test_acc"] for r in res["runs"] if r["hidden"] == h] for h in sorted(p.train.hidden)}


def hidden_size_raises_accuracy(p: RecallParams, res: dict) -> Claim:
    n_test = res["data"]["sizes"]["test"]
    criterion = ("Over the trained hidden sizes in increasing order, each step up raises the mean test accuracy by "
                 "more than 2 standard errors of the difference (each mean's SE: the seeds' spread and the binomial "
                 f"error of {n_test:,} test sequences). Holds if every step does; within noise if every step is "
                 "within 2 SE; does not hold if none rises and some falls beyond 2 SE; mixed otherwise. Not "
                 "comparable with fewer than two hidden sizes.")
    acc = _accuracies(p, res)
    if len(acc) < 2:
        result = Verdict(NOT_COMPARABLE, f"recall.train.hidden has one size only: {list(acc)}")
    else:
        groups = [(f"hidden {h}", sum(v) / len(v), accuracy_se(v, n_test)) for h, v in acc.items()]
        trend = rises_with(groups, "mean test accuracy, step by step")
        per_seed = "; ".join(f"hidden {h}: {fmt(v)}" for h, v in acc.items())
        result = Verdict(trend.verdict, f"{trend.evidence}. Per seed: {per_seed}", trend.numbers)
    return Claim("recall.hidden_size_raises_accuracy", RECALL_CLAIM, "ee6132", criterion, result, SEQLAB,
                 deviations(p, res))


def addition_sentence(p: RecallParams, res: dict) -> Claim:
    criterion = ("Not judged here: the sentence is the report's Question 3, about an LSTM adding binary numbers, not "
                 f"about digit recall. Shown for reference: this run's digit-recall accuracy at hidden {LARGE} and "
                 f"{SMALL}.")
    acc = _accuracies(p, res)
    shown = "; ".join(f"hidden {h}: mean {sum(acc[h]) / len(acc[h]):.3f} (per seed {fmt(acc[h])})"
                      for h in (LARGE, SMALL) if acc.get(h)) or f"hidden {LARGE} and {SMALL} not trained"
    return Claim("recall.hidden10_solves_hidden2_lower", ADDITION_CLAIM, "ee6132", criterion,
                 not_comparable_here(f"digit recall, not binary addition: {shown}"), OTHER_TASK,
                 ("task: digit recall; the sentence is about the report's binary addition (Question 3: an LSTM of "
                  "hidden 5, MSE on per-step sigmoid outputs, whole-number accuracy)",))


def claims(p: RecallParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    return [hidden_size_raises_accuracy(p, res), addition_sentence(p, res)]
