"""The course's claim about the masked autoencoder, judged on this run's outputs."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.masked.params import MaskedParams
from seqlab.judging.verdicts import NOT_COMPARABLE, Claim, Verdict, two_proportions

STUDY = "masked"
SOURCE = "course report (MLP masked autoencoder)"
PAIR = (3, 8)  # the pair the course names
COURSE_MASK = "left"


def swapped(cm: list[list[int]], a: int, b: int) -> tuple[int, int]:
    """(how many a's and b's the judge read as the other digit of the pair, how many a's and b's)."""
    return cm[a][b] + cm[b][a], sum(cm[a]) + sum(cm[b])


def ghosts(p: MaskedParams, res: dict) -> Claim:
    a, b = PAIR
    claim = (f"With the left half masked, reconstructions can come back as another digit (\"ghosts\"): the visible "
             f"right half of a {a} also looks like the right half of an {b}.")
    criterion = (f"Among the test {a}s and {b}s, the judge reads the reconstruction as the pair's other digit ({a} as "
                 f"{b}, {b} as {a}) more often than it reads the original so, by more than 2 standard errors of the "
                 "difference (binomial). Comparable only with the course's mask, `left`.")
    cm = res["confusion"]
    swaps_r, n = swapped(cm["reconstruction"], a, b)
    swaps_o, _ = swapped(cm["original"], a, b)
    if p.mask.kind != COURSE_MASK or n == 0:
        why = f"masked.mask.kind is {p.mask.kind!r}" if n else f"no test {a}s or {b}s"
        return Claim("masked.ghosts_3_8", claim, SOURCE, criterion, Verdict(NOT_COMPARABLE, why))
    verdict, se = two_proportions(swaps_r / n, swaps_o / n, n)
    # Where the pair ranks among all the reconstructions' confusions (each unordered pair counted both ways).
    k = len(cm["reconstruction"])
    counts = sorted(((cm["reconstruction"][i][j] + cm["reconstruction"][j][i], (i, j))
                     for i in range(k) for j in range(i + 1, k)), reverse=True)
    rank = 1 + sum(c > swaps_r for c, _ in counts)
    top = ", ".join(f"{i}↔{j}: {c}" for c, (i, j) in counts[:3])
    evidence = (f"{a}↔{b} swaps: reconstructions {swaps_r} of {n} ({swaps_r / n:.1%}), originals {swaps_o} of {n} "
                f"({swaps_o / n:.1%}); difference {(swaps_r - swaps_o) / n:+.3f} ± {se:.3f} (SE). Among the "
                f"reconstructions' confusions the pair ranks {rank} (top three {top})")
    return Claim("masked.ghosts_3_8", claim, SOURCE, criterion, Verdict(verdict, evidence, {
        "swaps_reconstruction": swaps_r, "swaps_original": swaps_o, "n": n, "se": round(se, 6), "rank": rank}))


def claims(p: MaskedParams) -> list[Claim]:
    return [ghosts(p, read_json(paths.study_results(STUDY)))]
