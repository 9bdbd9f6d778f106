"""The EE6132 report's Question 2 claim about digit recall, judged on the course's own protocol
(stages recall_course_train and recall_course_evaluate: its q2.py as it ran, seqlab.studies.
recall.course), with seqlab's own recall study (stages recall_train, recall_evaluate) judged by
the same rule as the row's *corrected* answer.

The course judged by eye from one unseeded run per hidden size, on 640 fresh test sequences;
here five seeded runs per size are scored on a larger set drawn the course's way, so each step
up in hidden size can be held against its noise. The report's sentence about hidden 10 reaching
nearly 100% belongs to its Question 3, binary addition, and is judged in that study.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import COURSE, NOT_COMPARABLE, Claim, Verdict, accuracy_se, fmt, rises_with
from seqlab.studies.recall.course.params import COURSE_DATA, COURSE_TRAIN
from seqlab.studies.recall.params import RecallParams

STUDY = "recall"
COURSE_RESULTS = "recall_course"  # stage recall_course_evaluate's reports/recall_course/results.json
CLAIM_ID = "recall.hidden_size_raises_accuracy"

# The report's own words (../shared/seeds/004_faf8705be2f11ff5.txt, Question 2).
RECALL_CLAIM = "We notice that increasing the hidden unit size increases the accuracy"


def trend(acc: dict[int, list[float]], n_items: int, what: str) -> Verdict:
    """The claim's criterion on one protocol's runs: ``acc`` maps each hidden size to its seeds'
    accuracies, each measured on the same ``n_items`` sequences. ``rises_with`` over the sizes in
    increasing order, each mean's SE from the seeds' spread and the binomial error of the items;
    not comparable with fewer than two sizes."""
    if len(acc) < 2:
        return Verdict(NOT_COMPARABLE, f"one hidden size only: {sorted(acc)}")
    groups = [(f"hidden {h}", sum(v) / len(v), accuracy_se(v, n_items)) for h, v in sorted(acc.items())]
    t = rises_with(groups, what)
    per_seed = "; ".join(f"hidden {h}: {fmt(v)}" for h, v in sorted(acc.items()))
    return Verdict(t.verdict, f"{t.evidence}. Per seed: {per_seed}", t.numbers)


def course_deviations(res: dict) -> tuple[str, ...]:
    """Every way the course-protocol runs depart from what q2.py@97a300d ran."""
    d, t, j = res["params"]["data"], res["params"]["train"], res["params"]["judge"]
    out = [f"seeds: {len(t['seeds'])} seeded runs per hidden size (seeds {', '.join(map(str, t['seeds']))}, each seeding "
           "the initial weights and the run's data streams); the course trained one unseeded run per size",
           f"judged on {res['n_judge']:,} sequences ({j['batches']} batches of {t['batch_size']}, one length per batch, "
           "drawn the course's way from their own seed, the same for every run) after training; the course's number is "
           f"its last epoch's test on {res['n_course_test']:,} fresh sequences, given beside it",
           "random streams: each run's batches drawn up front from numpy's seeded Generator and visited in a seeded "
           "random order; the course drew each batch from numpy's global stream as it went (the same i.i.d. batches "
           "in distribution)",
           "Adam at torch's default betas (0.9, 0.999), as q2.py ran it; the report's text says β2 = 0.99"]
    hidden = tuple(t["hidden"])
    if tuple(sorted(hidden)) != COURSE_TRAIN["hidden"]:
        out.append(f"hidden sizes: {list(hidden)}; the course's {list(COURSE_TRAIN['hidden'])}")
    schedule = {k: t[k] for k in ("epochs", "steps_per_epoch", "batch_size", "lr", "test_batches")}
    course_schedule = {k: COURSE_TRAIN[k] for k in schedule}
    if schedule != course_schedule:
        out.append("schedule: " + ", ".join(f"{k} {v:g}" for k, v in schedule.items()) + "; the course's: "
                   + ", ".join(f"{k} {v:g}" for k, v in course_schedule.items()))
    if d != COURSE_DATA:
        out.append(f"task: lengths {d['min_len']}–{d['max_len']}, position {d['position']}; the course's: lengths "
                   f"{COURSE_DATA['min_len']}–{COURSE_DATA['max_len']}, position {COURSE_DATA['position']}")
    return tuple(out)


def seqlab_protocol(p: RecallParams, res: dict) -> str:
    """seqlab's recall study in a phrase: what it changes against the course's q2.py."""
    d, t = p.data, p.train
    samples = sum(r["samples"] for r in res["runs"]) / len(res["runs"])
    return (f"digits 0–9 with lengths {d.min_len}–{d.max_len} drawn per sequence and padded, a fixed training set of "
            f"{res['data']['sizes']['train']:,} sequences, {t.steps:,} steps of batch {t.batch_size} (about "
            f"{samples:,.0f} samples per run), clipping at {t.clip_norm:g}, forget-gate bias {t.forget_bias:g}, "
            f"{len(t.seeds)} seeds, a fixed test set of {res['data']['sizes']['test']:,}")


def corrected(p: RecallParams, res: dict) -> str:
    """The same criterion on seqlab's own recall study (reports/recall/results.json)."""
    acc = {h: [r["test_acc"] for r in res["runs"] if r["hidden"] == h] for h in sorted(p.train.hidden)}
    v = trend(acc, res["data"]["sizes"]["test"], "mean test accuracy, step by step")
    return f"seqlab's protocol ({seqlab_protocol(p, res)}), by the same rule: {v.verdict}; {v.evidence}"


def hidden_size_raises_accuracy(course: dict, seqlab_corrected: str) -> Claim:
    """The row, from the course protocol's results (reports/recall_course/results.json)."""
    n = course["n_judge"]
    criterion = ("On the course's protocol (q2.py as it ran), over the trained hidden sizes in increasing order, each "
                 "step up raises the mean accuracy on the judge set by more than 2 standard errors of the difference "
                 f"(each mean's SE: the seeds' spread and the binomial error of {n:,} sequences). Holds if every step "
                 "does; within noise if every step is within 2 SE; does not hold if none rises and some falls beyond "
                 "2 SE; mixed otherwise. Not comparable with fewer than two hidden sizes.")
    sizes = course["params"]["train"]["hidden"]
    judged = {h: [r["judge_acc"] for r in course["runs"] if r["hidden"] == h] for h in sizes}
    v = trend(judged, n, f"mean accuracy on {n:,} judge sequences, step by step")
    finals = "; ".join(f"hidden {h}: {fmt([r['course_final'] for r in course['runs'] if r['hidden'] == h])}"
                       for h in sorted(sizes))
    result = Verdict(v.verdict, f"{v.evidence}. The course's own number (the last epoch's test on "
                     f"{course['n_course_test']:,} fresh sequences), per seed: {finals}", v.numbers)
    return Claim(CLAIM_ID, RECALL_CLAIM, "ee6132", criterion, result, COURSE, course_deviations(course),
                 seqlab_corrected)


def claims(p: RecallParams) -> list[Claim]:
    course = read_json(paths.study_results(COURSE_RESULTS))
    return [hidden_size_raises_accuracy(course, corrected(p, read_json(paths.study_results(STUDY))))]
