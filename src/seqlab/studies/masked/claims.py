"""The Northwestern report's claims about its masked autoencoder: judged on the course's network
(course_claims: the stages masked_course_*), with this study's network as the corrected answer
beside each (``ghosts`` and ``seqlab_fails``: the same rules on seqlab's protocol)."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.masked import course_criteria as cc
from seqlab.studies.masked.course_claims import GHOSTS, course_claims
from seqlab.studies.masked.course_criteria import swapped
from seqlab.studies.masked.params import MaskedParams
from seqlab.judging.verdicts import NOT_COMPARABLE, SEQLAB, Claim, Verdict, two_proportions

STUDY = "masked"
COURSE_STUDY = "masked_course"  # stage masked_course_evaluate's results
PAIR = (3, 8)  # the pair the course names
COURSE_MASK = "left"
# The course's homework (a filled-in copy: the report's author keeps the code private): 30 epochs of
# the 60,000 MNIST training images, batch 64, Adam at lr 0.001, pixel MSE.
COURSE_TRAIN = {"epochs": 30, "batch_size": 64, "lr": 0.001}
FULL_TRAIN = 60_000


def deviations(p: MaskedParams, res: dict) -> tuple[str, ...]:
    """Every way the study departs from the course's masked autoencoder (COURSES.md §5)."""
    t = p.train
    widths = " → ".join(map(str, (784, *p.model.encoder, *p.model.decoder, 784)))
    out = [
        f"data: {res['n_train']:,} training images (the MNIST study's split); the course's {FULL_TRAIN:,} MNIST "
        "training images",
        f"model: {widths}, ReLU on every hidden layer and on the code, sigmoid output; the course's homework: "
        "784 → 128 → 128 → 32 → 128 → 128 → 784, ReLU in the encoder, LeakyReLU(0.2) in the decoder, sigmoid output",
        f"metric: a classifier ({res['judge']}) reads the reconstruction of every test {PAIR[0]} and {PAIR[1]}; the "
        f"course looked at reconstructions (one hard-coded {PAIR[0]}) by eye",
    ]
    ours = {"epochs": t.epochs, "batch_size": t.batch_size, "lr": t.lr}
    if ours != COURSE_TRAIN:
        out.append(f"training: {t.epochs} epochs of batch {t.batch_size}, Adam at lr {t.lr:g}; the course's "
                   f"{COURSE_TRAIN['epochs']} epochs of batch {COURSE_TRAIN['batch_size']}, lr {COURSE_TRAIN['lr']:g}")
    if p.mask.kind != COURSE_MASK:
        out.append(f"mask: {p.mask.kind}; the course's the left half (columns 0–13)")
    return tuple(out)


def ghosts(p: MaskedParams, res: dict) -> Claim:
    a, b = PAIR
    criterion = (f"Among the test {a}s and {b}s, the judge reads the reconstruction as the pair's other digit ({a} as "
                 f"{b}, {b} as {a}) more often than it reads the original so, by more than 2 standard errors of the "
                 "difference (binomial): holds; less often by more than 2 SE: does not hold; between: within noise. "
                 f"Comparable only with the course's mask, `{COURSE_MASK}`, and some test {a}s or {b}s.")
    cm = res["confusion"]
    swaps_r, n = swapped(cm["reconstruction"], a, b)
    swaps_o, _ = swapped(cm["original"], a, b)
    if p.mask.kind != COURSE_MASK or n == 0:
        why = f"masked.mask.kind is {p.mask.kind!r}" if n else f"no test {a}s or {b}s"
        return Claim("masked.ghosts_3_8", GHOSTS, "northwestern", criterion, Verdict(NOT_COMPARABLE, why), SEQLAB,
                     deviations(p, res))
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
    return Claim("masked.ghosts_3_8", GHOSTS, "northwestern", criterion, Verdict(verdict, evidence, {
        "swaps_reconstruction": swaps_r, "swaps_original": swaps_o, "n": n, "se": round(se, 6), "rank": rank}),
        SEQLAB, deviations(p, res))


def seqlab_fails(p: MaskedParams, res: dict) -> Verdict:
    """The course row's rule (course_criteria.fails_to_reconstruct) on this study's one network."""
    m = res["metrics"]
    if p.mask.kind != COURSE_MASK:
        return Verdict(NOT_COMPARABLE, f"masked.mask.kind is {p.mask.kind!r}, not the course's left half")
    n = m["n_test"]
    return cc.fails_to_reconstruct([round(m["judge_reconstruction_acc"] * n)], n)


def _corrected(p: MaskedParams, res: dict, v: Verdict) -> str:
    widths = " → ".join(map(str, (784, *p.model.encoder, *p.model.decoder, 784)))
    t = p.train
    return (f"seqlab's network ({widths}, ReLU on every hidden layer and on the code, sigmoid output; "
            f"{res['run']['n_params']:,} parameters; {t.epochs} epochs of batch {t.batch_size}, Adam at lr {t.lr:g}, "
            f"seed {t.seed}, mask {p.mask.kind}): {v.verdict}: {v.evidence}")


def claims(p: MaskedParams) -> list[Claim]:
    """The course-protocol rows, each with this study's network's answer as its corrected."""
    res = read_json(paths.study_results(STUDY))
    course = read_json(paths.study_results(COURSE_STUDY))
    return course_claims(course, _corrected(p, res, seqlab_fails(p, res)), _corrected(p, res, ghosts(p, res).result))
