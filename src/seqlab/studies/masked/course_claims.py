"""The Northwestern report's masked-autoencoder claims judged on the course's network (stages
masked_course_*: the homework's question 1.1 as the published filled-in copy ran it), with
seqlab's own masked network as each row's ``corrected``.

Every row reads reports/masked_course/results.json; its criterion is a pure function of
seqlab.studies.masked.course_criteria, tested there for every verdict it can return.
"""

from __future__ import annotations

from seqlab.judging.verdicts import COURSE, QUOTE_CUT, Claim, Verdict, fmt
from seqlab.studies.masked import course_criteria as cc
from seqlab.studies.masked.course.params import COURSE_TRAIN_IMAGES, SOURCE

REPORT = "northwestern"
PAIR = (3, 8)  # the pair the report names

# The report's own words (../shared/seeds/000_*.txt; python -m seqlab.tools.quotes checks each).
FAILS_QUOTE = "The MLP fails to effectively reconstruct the input image."
GHOSTS = QUOTE_CUT.join(("the model doesn’t fully understand that how to differentiate a 3 from an 8",
                         "there were times where the right half of the image looked like a 3, but happened to be an 8"))

FAILS_CRITERION = (
    "The homework's own test of a faithful reconstruction is \"a similar-looking image of the same class\". Per seed "
    "of the course's network, the share of the test reconstructions that the judge (the MNIST study's best "
    "classifier) reads as the original's class: a seed shows the failure when that share is below 50% by more than 2 "
    "binomial standard errors (at the measured share), the opposite when it is above 50% by more than 2 SE. Holds if "
    "every seed shows the failure, does not hold if every seed shows the opposite, mixed if some seeds show one and "
    "some the other, within noise otherwise; not comparable without test images.")
GHOSTS_CRITERION = (
    f"Per seed of the course's network, among the test {PAIR[0]}s and {PAIR[1]}s: the judge reads the reconstruction "
    f"as the pair's other digit ({PAIR[0]} as {PAIR[1]}, {PAIR[1]} as {PAIR[0]}) more often than it reads the original "
    "so, by more than 2 standard errors of the difference (two binomials): the seed holds; less often by more than "
    "2 SE: it does not hold; between: within noise. Holds if every seed holds, does not hold if every seed does not, "
    f"within noise if every seed is within noise, mixed otherwise; not comparable without test {PAIR[0]}s or "
    f"{PAIR[1]}s.")


def deviations(r: dict) -> tuple[str, ...]:
    """Every way the default run departs from the copy's run of the homework."""
    d, n = r["data"], r["n_train"]
    out = []
    if n != COURSE_TRAIN_IMAGES:
        out.append(f"data: {n:,} training images (the MNIST study's split, source {d['source']}); the copy's "
                   f"{COURSE_TRAIN_IMAGES:,} MNIST training images (`mnist.data.full: true` with `mnist.data.source: "
                   "torchvision` trains on 60,000 where torchvision's download works)")
    out += [f"settings: {s}" for s in r["settings_deviations"]]
    seeds = r["params"]["seeds"]
    out += [
        f"protocol: the network and settings of a published filled-in copy of the homework, {SOURCE}; the report's "
        "author keeps the code private, and the course's notebook 7 (the network the homework names) is not "
        "available, so the widths, optimiser and batch may be the copy's own choices",
        f"seeds: {len(seeds)} seeded runs ({', '.join(map(str, seeds))}), each judged; the copy's one run was "
        "unseeded",
        f"metric: the judge ({r['judge']}) reads the reconstructions of the MNIST study's {r['n_test']:,} test digits, "
        f"a split the copy never used; the report and the copy looked at the reconstruction of one hard-coded "
        f"{PAIR[0]} by eye",
    ]
    return tuple(out)


def _share(cell: dict) -> str:
    return f"{cell['right']}/{cell['n']} ({cell['share']:.1%})" if cell["n"] else "none"


def fails_to_reconstruct(r: dict, corrected: str) -> Claim:
    runs = r["runs"]
    v = cc.fails_to_reconstruct([run["judge"]["all"]["right"] for run in runs], r["n_test"])
    a = PAIR[0]
    threes = ", ".join(_share(run["judge"][f"class{a}"]) for run in runs)
    evidence = (f"{v.evidence}. The judge reads {_share(r['originals']['all'])} of the originals and "
                f"{_share(r['masked']['all'])} of the masked inputs right. The {a}s alone (the report's example): "
                f"reconstructions per seed {threes}; originals {_share(r['originals'][f'class{a}'])}, masked inputs "
                f"{_share(r['masked'][f'class{a}'])}. Pixel MSE on the hidden half per seed "
                f"{fmt([run['masked_mse'] for run in runs], 4)}, against {r['baseline']['masked_mse']:.4f} for the "
                "training mean image there")
    numbers = {**v.numbers, "original_share": r["originals"]["all"]["share"], "masked_share": r["masked"]["all"]["share"],
               f"class{a}_shares": [run["judge"][f"class{a}"]["share"] for run in runs],
               "masked_mse": [run["masked_mse"] for run in runs], "baseline_masked_mse": r["baseline"]["masked_mse"]}
    return Claim("masked.mlp_fails_to_reconstruct", FAILS_QUOTE, REPORT, FAILS_CRITERION,
                 Verdict(v.verdict, evidence, numbers), COURSE, deviations(r), corrected)


def ghosts(r: dict, corrected: str) -> Claim:
    a, b = PAIR
    swaps = [cc.swapped(run["judge"]["confusion"], a, b)[0] for run in r["runs"]]
    swaps_o, n = cc.swapped(r["originals"]["confusion"], a, b)
    v = cc.swaps_3_8(swaps, swaps_o, n)
    return Claim("masked.ghosts_3_8", GHOSTS, REPORT, GHOSTS_CRITERION, v, COURSE, deviations(r), corrected)


def course_claims(r: dict, fails_corrected: str, ghosts_corrected: str) -> list[Claim]:
    """The two rows, judged on the course's network; ``*_corrected``: seqlab's network's answers."""
    return [fails_to_reconstruct(r, fails_corrected), ghosts(r, ghosts_corrected)]
