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
class Claim:
    """One row of the ledger."""

    id: str  # stable key in claims.json, e.g. "palindrome.lstm_solves_T20"
    claim: str  # the claim, quoted
    source: str  # the report that makes it
    criterion: str  # the rule, in words, that the verdict follows from
    result: Verdict

    def row(self) -> dict:
        return {"id": self.id, "claim": self.claim, "source": self.source, "criterion": self.criterion,
                "verdict": self.result.verdict, "evidence": self.result.evidence, "numbers": self.result.numbers}


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


def both(first: Verdict, second: Verdict, joiner: str = "; ") -> Verdict:
    """A claim made of two parts: holds if both hold, does not hold if both fail, mixed otherwise
    (a part within noise counts as not shown)."""
    parts = (first.verdict, second.verdict)
    verdict = HOLDS if parts == (HOLDS, HOLDS) else FAILS if all(p in (FAILS, NOISE) for p in parts) else MIXED
    return Verdict(verdict, first.evidence + joiner + second.evidence, {"first": first.numbers, "second": second.numbers})
