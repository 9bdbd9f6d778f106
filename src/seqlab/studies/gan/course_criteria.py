"""The criteria that judge the CS324 report's GAN claims on the course-protocol runs (stages
gan_course_*): pure functions, numbers in and a Verdict out, each docstring the rule in words
(tests/test_gan_course.py feeds them inputs whose verdict is known).

The report judged its images by eye. seqlab reads them with the judge (the MNIST study's best
classifier): the Fréchet distance of 500 generated digits to 500 test digits in its features,
placed between two reference points of the same run: the *floor*, the distance between 500
training and 500 test digits (what real digits score), and the *ceiling*, the untrained
generator's distance. A log scale, because the distance falls by orders of magnitude and a
generator that halves it late in training has improved as much as one that halved it early.
"""

from __future__ import annotations

import math
import statistics
from typing import Sequence

from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE, Verdict, beats, binomial_se, by_seed

POOR, MIX, NEAR_REAL = "poor", "a mix", "near-real"
# The report's three figures and what it says of each: "performed poorly", "a mix of noise and
# number", "almost identical to handwritten numbers".
CLAIMED = {"first": POOR, "halfway": MIX, "end": NEAR_REAL}
WINDOW_NAMES = {"first": "the first 1,000 batches", "halfway": "halfway", "end": "the end"}


def log_position(frechet: float, floor: float, ceiling: float) -> float:
    """Where a Fréchet distance lies from real digits (0: the floor) to the untrained generator
    (1: the ceiling), on a log scale: log(F / floor) / log(ceiling / floor), clipped to [0, 1]."""
    if not 0 < floor < ceiling:
        raise ValueError(f"need 0 < floor < ceiling, got floor {floor} and ceiling {ceiling}")
    if not frechet > 0:
        raise ValueError(f"a Fréchet distance must be positive, got {frechet}")
    return min(1.0, max(0.0, math.log(frechet / floor) / math.log(ceiling / floor)))


def phase(position: float) -> str:
    """The log scale in thirds: nearer the untrained generator than two thirds of the way down
    (position >= 2/3) is *poor*; within the last third (<= 1/3) is *near-real*; between, *a mix*."""
    if not 0 <= position <= 1:
        raise ValueError(f"a position must be in [0, 1], got {position}")
    return POOR if position >= 2 / 3 else NEAR_REAL if position <= 1 / 3 else MIX


def images_improve(runs: dict[str, dict[str, Sequence[float]]]) -> Verdict:
    """Each run (seed) gives the log positions of the snapshots in each of the report's three
    windows (the course's first three grids, its "halfway" three, its last three); a window's
    phase is that of its median position. Holds if every window of every run is in the phase
    the report names (poor, a mix, near-real), does not hold if none is, mixed otherwise."""
    if not runs:
        raise ValueError("no runs to judge")
    passed, parts, numbers = [], [], {}
    for seed, windows in runs.items():
        if set(windows) != set(CLAIMED):
            raise ValueError(f"run {seed}: need the windows {sorted(CLAIMED)}, got {sorted(windows)}")
        said = []
        for name, claimed in CLAIMED.items():
            if not windows[name]:
                raise ValueError(f"run {seed}: the window {name!r} has no snapshots")
            median = statistics.median(windows[name])
            seen = phase(median)
            passed.append(seen == claimed)
            said.append(f"{WINDOW_NAMES[name]} {median:.2f} ({seen}{'' if seen == claimed else f', not {claimed}'})")
            numbers[f"seed{seed}_{name}"] = {"position": round(median, 4), "phase": seen}
        parts.append(f"seed {seed}: " + ", ".join(said))
    return Verdict(by_seed(passed), "median log position (0 = real digits, 1 = untrained) per window: "
                   + "; ".join(parts), numbers)


# --- the interpolation ------------------------------------------------------------------------


def contiguous(labels: Sequence[int]) -> bool:
    """The labels change only between neighbouring frames, never back: each label's frames form
    one unbroken run (3 3 8 8 1 is, 3 8 3 is not)."""
    runs = [a for i, a in enumerate(labels) if i == 0 or a != labels[i - 1]]
    return len(runs) == len(set(runs))


def through_other(labels: Sequence[int]) -> bool:
    """Some frame is read as a digit that is neither end's: the path passes through another digit
    (the report's 3 -> 8 -> 1)."""
    if len(labels) < 3:
        raise ValueError(f"a path needs at least 3 frames, got {len(labels)}")
    return any(a not in (labels[0], labels[-1]) for a in labels[1:-1])


def path_smooth(labels: Sequence[int], consecutive: Sequence[float], random_median: float) -> bool:
    """A smooth path: its labels are contiguous, and every two consecutive frames are closer
    (pixel distance) than the median distance between two unrelated generated digits."""
    if len(consecutive) != len(labels) - 1:
        raise ValueError(f"{len(labels)} frames need {len(labels) - 1} consecutive distances, got {len(consecutive)}")
    return contiguous(labels) and max(consecutive) < random_median


def interpolation(paths: Sequence[tuple[Sequence[int], Sequence[float]]], random_pairs: Sequence[float],
                  z: float = 2.0) -> Verdict:
    """One run's paths, each (labels, consecutive distances), and the distances of random pairs.
    *Smooth* is judged on the share of smooth paths against one half (binomial SE): above by more
    than ``z`` SE, smooth; below by more, not smooth; between, within noise. *Through other
    digits* is met when the share of paths through another digit is above 0 by more than ``z`` SE
    (it happens, and not as a fluke). Holds if both are met, does not hold if neither, within
    noise if smoothness is, mixed otherwise."""
    if not paths or not random_pairs:
        raise ValueError("need paths and random pairs")
    n = len(paths)
    threshold = statistics.median(random_pairs)
    smooth = sum(path_smooth(labels, d, threshold) for labels, d in paths) / n
    through = sum(through_other(labels) for labels, _ in paths) / n
    smooth_v = beats(smooth - 0.5, binomial_se(smooth, n), z)
    through_met = beats(through, binomial_se(through, n), z) == HOLDS
    if smooth_v == NOISE:
        verdict = NOISE
    elif smooth_v == HOLDS and through_met:
        verdict = HOLDS
    elif smooth_v == FAILS and not through_met:
        verdict = FAILS
    else:
        verdict = MIXED
    contiguous_share = sum(contiguous(labels) for labels, _ in paths) / n
    closer = sum(max(d) < threshold for _, d in paths) / n
    evidence = (f"{smooth:.0%} of {n} paths smooth (labels contiguous {contiguous_share:.0%}, every step closer than "
                f"the median random pair {threshold:.2f}: {closer:.0%}); through another digit {through:.0%}")
    return Verdict(verdict, evidence, {"paths": n, "smooth": round(smooth, 4), "contiguous": round(contiguous_share, 4),
                                       "closer": round(closer, 4), "through_other": round(through, 4),
                                       "random_median": round(threshold, 4)})


def agree(verdicts: Sequence[str]) -> str:
    """Several runs' verdicts as one: theirs when all agree, mixed otherwise."""
    if not verdicts:
        raise ValueError("no verdicts")
    return verdicts[0] if len(set(verdicts)) == 1 else MIXED
