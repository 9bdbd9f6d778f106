"""The criteria that judge the Northwestern report's masked-autoencoder claims on the course's
network: pure functions, counts in and a Verdict out, each docstring the rule in words
(tests/test_masked_course.py feeds them inputs whose verdict is known).

A seed is one trained network; its test reconstructions are read by the judge. Within a seed a
share is judged against its binomial standard error; across seeds, a claim holds only where
every seed says so.
"""

from __future__ import annotations

from typing import Sequence

from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE, Verdict, beats, binomial_se, two_proportions

FAITHFUL = 0.5  # the line: a network that reconstructs faithfully gives back the digit's class most of the time
Z = 2.0  # standard errors a difference must clear


def swapped(cm: list[list[int]], a: int, b: int) -> tuple[int, int]:
    """(how many a's and b's the judge read as the other digit of the pair, how many a's and b's),
    from a confusion matrix whose rows are the true digit."""
    return cm[a][b] + cm[b][a], sum(cm[a]) + sum(cm[b])


def across_seeds(per_seed: Sequence[str]) -> str:
    """Seeds' verdicts (each holds, does not hold or within noise) as one: holds if every seed
    holds, does not hold if every seed does not, within noise if every seed is within noise,
    mixed otherwise (the seeds disagree)."""
    if not per_seed:
        raise ValueError("no seeds to judge")
    for verdict in (HOLDS, FAILS, NOISE):
        if all(v == verdict for v in per_seed):
            return verdict
    return MIXED


def fails_to_reconstruct(right: Sequence[int], n: int, line: float = FAITHFUL, z: float = Z) -> Verdict:
    """"The MLP fails to effectively reconstruct the input image", with the homework's own test of
    a faithful reconstruction, "a similar-looking image of the same class": per seed, the share of
    the ``n`` test reconstructions that the judge reads as the original's class (``right`` of
    them). A seed shows the failure when that share is below ``line`` (50%) by more than ``z``
    binomial standard errors (taken at the measured share), and shows the opposite when it is
    above by more than ``z`` SE. Holds if every seed shows the failure, does not hold if every
    seed shows the opposite, mixed if some seeds show one and some the other, within noise
    otherwise (some seed inside ``z`` SE of the line, none on the other side). Not comparable
    without test images."""
    if not right:
        raise ValueError("no seeds to judge")
    if n <= 0:
        return Verdict(NOT_COMPARABLE, "no test images", {"n": n})
    if any(not 0 <= k <= n for k in right):
        raise ValueError(f"counts {list(right)} must lie in 0..{n}")
    shares = [k / n for k in right]
    ses = [binomial_se(s, n) for s in shares]
    per_seed = [beats(line - s, se, z) for s, se in zip(shares, ses)]  # holds: below the line
    below, above = per_seed.count(HOLDS), per_seed.count(FAILS)
    verdict = (HOLDS if below == len(per_seed) else FAILS if above == len(per_seed)
               else MIXED if below and above else NOISE)
    cells = "; ".join(f"{k}/{n} = {s:.1%} ± {se:.1%}" for k, s, se in zip(right, shares, ses))
    evidence = (f"read as the original's class, per seed: {cells}; {below} of {len(right)} seeds below {line:.0%} "
                f"by more than {z:g} SE, {above} above")
    return Verdict(verdict, evidence, {"right": list(right), "n": n, "shares": [round(s, 6) for s in shares],
                                       "se": [round(se, 6) for se in ses], "per_seed": per_seed})


def swaps_3_8(swaps_reconstruction: Sequence[int], swaps_original: int, n: int, z: float = Z) -> Verdict:
    """A masked 3 comes back as an 8 (and an 8 as a 3): per seed, among the ``n`` test 3s and 8s,
    the judge reads the reconstruction as the pair's other digit more often than it reads the
    original so (the same originals and judge for every seed), by more than ``z`` standard errors
    of the difference (two binomials): the seed holds; less often by more than ``z`` SE: it does
    not hold; between: within noise. Across seeds: holds if every seed holds, does not hold if
    every seed does not, within noise if every seed is within noise, mixed otherwise. Not
    comparable without test 3s or 8s."""
    if not swaps_reconstruction:
        raise ValueError("no seeds to judge")
    if n <= 0:
        return Verdict(NOT_COMPARABLE, "no test 3s or 8s", {"n": n})
    if any(not 0 <= k <= n for k in (*swaps_reconstruction, swaps_original)):
        raise ValueError(f"swap counts must lie in 0..{n}")
    per_seed, ses = [], []
    for k in swaps_reconstruction:
        verdict, se = two_proportions(k / n, swaps_original / n, n, z)
        per_seed.append(verdict)
        ses.append(se)
    cells = "; ".join(f"{k}/{n} ({k / n:.1%}), {(k - swaps_original) / n:+.3f} ± {se:.3f}: {v}"
                      for k, se, v in zip(swaps_reconstruction, ses, per_seed))
    evidence = (f"3↔8 swaps in the reconstructions per seed, against {swaps_original}/{n} "
                f"({swaps_original / n:.1%}) in the originals: {cells}")
    return Verdict(across_seeds(per_seed), evidence, {
        "swaps_reconstruction": list(swaps_reconstruction), "swaps_original": swaps_original, "n": n,
        "se": [round(se, 6) for se in ses], "per_seed": per_seed})
