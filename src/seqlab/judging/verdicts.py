"""Verdicts on the course's claims: the record every claim fills in, and the criteria, each
written once and tested on inputs whose answer is known (tests/test_verdicts.py).

A criterion takes this run's numbers, per seed where there are seeds, and returns a verdict with
the evidence it rests on. Every criterion carries its uncertainty: seeds that disagree make a
claim *mixed*; a comparison whose difference is inside two standard errors is *within noise*,
not a win; a claim made at another scale is *not comparable*. A verdict that would flip with the
machine's floating-point path is therefore not reported as a finding.

Each study's ``claims.py`` builds its claims with these; ``python -m seqlab.report.ledger`` collects
them into reports/metrics/claims.json and the report's ledger.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

HOLDS = "holds"
FAILS = "does not hold"
MIXED = "mixed"
NOISE = "within noise"
NOT_COMPARABLE = "not comparable"
VERDICTS = (HOLDS, FAILS, MIXED, NOISE, NOT_COMPARABLE)
# For dvc metrics diff: a flip shows as a number changing (null: not comparable).
CODES = {HOLDS: 1, MIXED: 0, NOISE: 0, FAILS: -1, NOT_COMPARABLE: None}


@dataclass(frozen=True)
class Verdict:
    verdict: str  # one of VERDICTS
    evidence: str  # this run's numbers the verdict rests on, per seed where there are seeds
    numbers: dict = field(default_factory=dict)  # the same numbers, for claims.json

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; valid: {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Source:
    """A course report whose claims the ledger judges: its name, and its file in the course
    reports' folder (../shared/seeds/, beside the repository), which every quote must match."""

    name: str
    file: str


SOURCES = {
    "northwestern": Source("Northwestern deep learning, homework 4 report", "000_981b845c4d37b544.txt"),
    "uva": Source("UvA Deep Learning 2020, assignment 2 report", "001_77d393676faf26e5.txt"),
    "cs324": Source("CS324 (SUSTech) assignment 3 report", "002_b6e41ffd8ddbd0b2.txt"),
    "lstmae": Source("Practical Deep Learning HW2 report (LSTM autoencoders)", "003_57873a1670a86b18.txt"),
    "ee6132": Source("EE6132 (IIT Madras) assignment 3 report", "004_faf8705be2f11ff5.txt"),
}

# The protocol a row was judged on. A claim can only be judged on the experiment that made it:
COURSE = "course"  # the course's task, model, loss and metric (perhaps smaller: see the deviations)
SEQLAB = "seqlab"  # seqlab's own protocol on the course's task: judged, every difference listed
OTHER_TASK = "other task"  # seqlab's experiment on another task: never judged, not comparable
PROTOCOLS = (COURSE, SEQLAB, OTHER_TASK)
QUOTE_CUT = " … "  # joins the exact fragments of a quote that leaves words out


@dataclass(frozen=True)
class Claim:
    """One row of the ledger."""

    id: str  # stable key in claims.json, e.g. "palindrome.lstm_solves_T20"
    claim: str  # the report's own words, exact; QUOTE_CUT marks words left out
    source: str  # a key of SOURCES: the report that makes it
    criterion: str  # the rule, in words, that the verdict follows from
    result: Verdict
    protocol: str  # one of PROTOCOLS: what the verdict was judged on
    deviations: tuple[str, ...]  # every way the judged experiment departs from the course's (scale, data, metric)
    corrected: str = ""  # what seqlab's corrected protocol gives on the same question, where it runs one

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"claim {self.id}: unknown source {self.source!r}; valid: {', '.join(SOURCES)}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"claim {self.id}: unknown protocol {self.protocol!r}; valid: {', '.join(PROTOCOLS)}")
        if self.protocol == OTHER_TASK and self.result.verdict != NOT_COMPARABLE:
            raise ValueError(f"claim {self.id}: judged on another task, so its verdict must be {NOT_COMPARABLE!r}, "
                             f"not {self.result.verdict!r}")
        if self.protocol != COURSE and not self.deviations:
            raise ValueError(f"claim {self.id}: judged on {self.protocol!r}, so it must list its deviations")

    def row(self) -> dict:
        return {"id": self.id, "claim": self.claim, "source": self.source, "report": SOURCES[self.source].name,
                "criterion": self.criterion, "protocol": self.protocol, "deviations": list(self.deviations),
                "verdict": self.result.verdict, "evidence": self.result.evidence, "corrected": self.corrected,
                "numbers": self.result.numbers}


def quote_fragments(claim: str) -> list[str]:
    """The exact fragments of a quote (split at QUOTE_CUT), each to be found in its report."""
    return [f for f in claim.split(QUOTE_CUT) if f]


def not_comparable_here(evidence: str) -> Verdict:
    """The verdict of a row judged on another task: what this run measured, not a verdict."""
    return Verdict(NOT_COMPARABLE, evidence)


def fmt(values: Sequence[float], digits: int = 3) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


# --- counting seeds --------------------------------------------------------------------------


def by_seed(passed: Sequence[bool]) -> str:
    """All seeds pass: holds; none: does not hold; some: mixed."""
    if not passed:
        raise ValueError("no seeds to judge")
    return HOLDS if all(passed) else FAILS if not any(passed) else MIXED


def all_reach(values: Sequence[float], target: float) -> Verdict:
    """Every seed's value reaches ``target``."""
    passed = [v >= target for v in values]
    return Verdict(by_seed(passed), f"per seed {fmt(values)}; {sum(passed)} of {len(values)} reach {target:g}",
                   {"values": list(values), "reached": sum(passed), "seeds": len(values)})


def breaks_beyond(runs: dict[int, Sequence[float]], length: int, target: float) -> Verdict:
    """"Falls apart beyond ``length``": no run at any length above it reaches ``target``.

    Holds if none does, does not hold if every run above it does, mixed otherwise. ``runs``
    maps each length to its seeds' accuracies (from any number of studies, pooled)."""
    above = {T: list(v) for T, v in sorted(runs.items()) if T > length}
    if not above:
        raise ValueError(f"no runs above T={length}")
    passed = [a >= target for v in above.values() for a in v]
    per_T = "; ".join(f"T={T}: {sum(a >= target for a in v)}/{len(v)} ({fmt(v)})" for T, v in above.items())
    return Verdict(by_seed([not p for p in passed]), f"runs reaching {target:g} above T={length}: {per_T}",
                   {f"T{T}": {"reached": sum(a >= target for a in v), "seeds": len(v)} for T, v in above.items()})


# --- comparing two things ---------------------------------------------------------------------


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean (sample std, ddof=1, over sqrt(n)); 0 for fewer than 2 values."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy p measured on n independent items."""
    return math.sqrt(p * (1 - p) / n)


def accuracy_se(values: Sequence[float], n_items: int) -> float:
    """Standard error of a mean accuracy over seeds, each measured on the same ``n_items`` test
    items: the seeds' spread (training noise) and the binomial error of the test set, together."""
    n = len(values)
    mean = sum(values) / n
    return math.sqrt(standard_error(values) ** 2 + binomial_se(mean, n_items) ** 2 / n)


def beats(diff: float, se: float, z: float = 2.0) -> str:
    """Does A beat B, given the mean difference A - B and its standard error? Holds when the
    difference is above ``z`` SE, does not hold when it is below -z SE (B wins), within noise
    between. A zero SE with a zero difference is within noise (a tie)."""
    if diff > z * se and diff > 0:
        return HOLDS
    if diff < -z * se and diff < 0:
        return FAILS
    return NOISE


def paired(a: Sequence[float], b: Sequence[float], what: str, z: float = 2.0, digits: int = 4) -> Verdict:
    """"A beats B" on pairs that share everything but the compared choice (data, seed, init):
    the mean of the differences against z standard errors of that mean."""
    if len(a) != len(b) or not a:
        raise ValueError("paired comparison needs two equal, non-empty lists")
    d = [x - y for x, y in zip(a, b)]
    mean, se = sum(d) / len(d), standard_error(d)
    wins, losses = sum(x > 0 for x in d), sum(x < 0 for x in d)
    return Verdict(beats(mean, se, z),
                   f"{what}: mean difference {mean:+.{digits}f} ± {se:.{digits}f} (SE) over {len(d)} pairs; "
                   f"higher in {wins}, lower in {losses}, equal in {len(d) - wins - losses}",
                   {"mean_diff": round(mean, 6), "se": round(se, 6), "pairs": len(d), "higher": wins,
                    "lower": losses})


def two_proportions(p1: float, p2: float, n: int, z: float = 2.0) -> tuple[str, float]:
    """p1 against p2, each an accuracy on the same n test items: (beats(p1 - p2), SE of the
    difference), treating the two as independent binomials (conservative for paired items)."""
    se = math.sqrt(binomial_se(p1, n) ** 2 + binomial_se(p2, n) ** 2)
    return beats(p1 - p2, se, z), se


def every_step(steps: Sequence[str]) -> str:
    """One verdict from several comparisons, each judged by :func:`beats`: holds if every one
    holds, within noise if every one is within noise, does not hold if none holds, mixed
    otherwise (some hold, others do not)."""
    if all(s == HOLDS for s in steps):
        return HOLDS
    if all(s == NOISE for s in steps):
        return NOISE
    return FAILS if HOLDS not in steps else MIXED


def rises_with(groups: Sequence[tuple[str, float, float]], what: str, z: float = 2.0) -> Verdict:
    """"The larger the setting, the higher the score": ``groups`` are (label, mean, SE) in the
    order of the setting. Each step up is judged with ``beats`` on the difference of the two means
    and the SE of that difference (the two SEs in quadrature). Holds if every step rises beyond
    ``z`` SE; within noise if every step is within noise; does not hold if some step falls beyond
    ``z`` SE and none rises; mixed otherwise (some steps rise, others do not)."""
    if len(groups) < 2:
        raise ValueError("a trend needs at least two groups")
    steps, notes = [], []
    for (a, mean_a, se_a), (b, mean_b, se_b) in zip(groups, groups[1:]):
        diff, se = mean_b - mean_a, math.sqrt(se_a**2 + se_b**2)
        steps.append(beats(diff, se, z))
        notes.append(f"{a} → {b}: {diff:+.3f} ± {se:.3f} ({steps[-1]})")
    return Verdict(every_step(steps), f"{what}: " + "; ".join(notes),
                   {"means": {g[0]: round(g[1], 6) for g in groups}, "steps": steps})


def both(first: Verdict, second: Verdict, joiner: str = "; ") -> Verdict:
    """A claim made of two parts: holds if both hold, does not hold if both fail, mixed otherwise
    (a part within noise counts as not shown)."""
    parts = (first.verdict, second.verdict)
    verdict = HOLDS if parts == (HOLDS, HOLDS) else FAILS if all(p in (FAILS, NOISE) for p in parts) else MIXED
    return Verdict(verdict, first.evidence + joiner + second.evidence, {"first": first.numbers, "second": second.numbers})
