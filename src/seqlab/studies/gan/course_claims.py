"""The CS324 report's GAN claims judged on the course's own protocol (stages gan_course_*: the
template's networks trained as the student's my_gan.py did, the interpolation as test_gan.py drew
it), with seqlab's own GAN (the gan study) as each row's ``corrected`` answer.

Every row reads reports/gan_course/results.json; its criterion is a pure function of
seqlab.studies.gan.course_criteria, tested there for every verdict it can return.
"""

from __future__ import annotations

import statistics

from seqlab.judging.verdicts import COURSE, NOT_COMPARABLE, QUOTE_CUT, Claim, Verdict
from seqlab.studies.gan import course_criteria as cc
from seqlab.studies.gan.course.params import COURSE as COURSE_RUN
from seqlab.studies.gan.course.params import COURSE_HALFWAY, windows

SOURCE = "cs324"

# The report's own words (../shared/seeds/002_*.txt; python -m seqlab.tools.quotes checks each).
IMAGES = QUOTE_CUT.join(("In the first 1000 batches, the generator performed poorly",
                         "In the halfway of training, the generated images appears like a mix of noise and number",
                         "When the training process is over, the model generates images that were almost identical "
                         "to handwritten numbers"))
INTERPOLATION = QUOTE_CUT.join((
    "The generated grid image is a smooth transition of digit images, showing a sequence of digits gradually "
    "morphing from one into another.",
    "the interpolation starts with a digit \"3\", smoothly transitions to a digit \"8\", and then finally to a "
    "digit \"1\"."))

SCORED = ("metric: the judge's Fréchet distance between 500 generated and 500 test digits, placed on a log scale "
          "between real digits (500 training vs 500 test) and the untrained generator; the course looked at 25 "
          "images by eye")
SAMPLED = ("images: 500 from a fixed latent batch, drawn in training mode as the course's were (batch norm on "
           "batches of 64, its running statistics put back); the course saved the first 25 fakes of a training "
           "batch, each grid min-max scaled")
SEEDED = "seeds: the course's run was unseeded, one run; seqlab seeds weights, noise and batch order, one run per seed"


def positions(snapshots: list[dict], spans: dict[str, list[int]], floor: float) -> dict[str, list[float]]:
    """Each window's snapshots as log positions, the run's untrained generator (update 0) the ceiling."""
    frechet = {s["step"]: s["frechet"] for s in snapshots}
    ceiling = frechet[0]
    return {name: [cc.log_position(frechet[s], floor, ceiling) for s in steps] for name, steps in spans.items()}


def placeable(floor: float, ceiling: float) -> bool:
    """The log scale exists only where the untrained generator scores worse than real digits do (a
    tiny judge on tiny data can fail that)."""
    return 0 < floor < ceiling


def unplaceable(floor: float, ceiling: float) -> str:
    return (f"the untrained generator's Fréchet distance ({ceiling:.4g}) is not above the floor ({floor:.4g}): the "
            "judge's features cannot place the images between real digits and noise")


def judge_images(res: dict) -> Verdict:
    """The images rule on one evaluate stage's results (this run's, or the recorded course-scale run's);
    not comparable where a run's images cannot be placed on the scale."""
    floor = res["metrics"]["frechet_floor"]
    for r in res["runs"].values():
        if not placeable(floor, r["snapshots"][0]["frechet"]):
            return Verdict(NOT_COMPARABLE, unplaceable(floor, r["snapshots"][0]["frechet"]))
    return cc.images_improve({seed: positions(r["snapshots"], r["windows"], floor) for seed, r in res["runs"].items()})


def judge_record(record: dict) -> tuple[str, dict[str, tuple[list[int], float]]]:
    """The images rule on the recorded course-scale run (seqlab.tools.gan_record): its verdict (or
    why there is none) and, per window it reached, the snapshots and their median log position.
    A window the run never reached (stopped early) is left out, and then there is no verdict."""
    steps, planned, every = record["steps"], record["updates_planned"], record["every"]
    if not placeable(record["floor"], record["frechet"][0]):
        return f"not judged: {unplaceable(record['floor'], record['frechet'][0])}", {}
    spans = windows(steps, planned)
    reached = record["updates_reached"]
    if reached < planned * COURSE_HALFWAY / COURSE_RUN["updates"] + every:
        del spans["halfway"]
    if reached < planned:
        del spans["end"]
    pos = positions([{"step": s, "frechet": f} for s, f in zip(steps, record["frechet"])], spans, record["floor"])
    found = {name: (spans[name], statistics.median(p)) for name, p in pos.items()}
    if len(found) < len(cc.CLAIMED):
        return f"not judged: the run stopped at update {reached:,} of {planned:,}", found
    return cc.images_improve({"record": pos}).verdict, found


def images_improve(res: dict, ours: dict, record: dict) -> Claim:
    result = judge_images(res)
    if record:
        verdict, spans = judge_record(record)
        said = "; ".join(f"{cc.WINDOW_NAMES[n]} {p:.2f} ({cc.phase(p)})" for n, (_, p) in spans.items())
        result = Verdict(result.verdict, f"{result.evidence}. At the course's scale, recorded once (sweeps/gan_course: "
                         f"{record['updates_reached']:,} of {record['updates_planned']:,} updates, seed "
                         f"{record['seed']}): {verdict}; {said}", result.numbers | {"course_scale": {
                             "verdict": verdict, **{n: round(p, 4) for n, (_, p) in spans.items()}}})
    shown = res["runs"][next(iter(res["runs"]))]["windows"]
    criterion = ("Each of the report's three figures is read as a window of this run's snapshots: the course's batches "
                 f"0, 500 and 1,000 ({', '.join(map(str, shown['first']))}); its \"halfway\", batches 59,500–60,500 "
                 f"of 187,600, scaled to this run's {res['updates']:,} updates ({', '.join(map(str, shown['halfway']))}); "
                 f"and the last three ({', '.join(map(str, shown['end']))}). " + " ".join(cc.log_position.__doc__.split())
                 + " " + " ".join(cc.phase.__doc__.split()) + " " + " ".join(cc.images_improve.__doc__.split()))
    corrected = ""
    if ours:
        snaps = ours["snapshots"]
        ow = windows([s["step"] for s in snaps], snaps[-1]["step"])
        mine = cc.images_improve({"0": positions(snaps, ow, ours["metrics"]["frechet_floor"])})
        corrected = (f"seqlab's GAN (D first, Adam betas (0.5, 0.999), {snaps[-1]['step']:,} updates, eval-mode samples): "
                     f"{mine.verdict}; {mine.evidence}")
    return Claim("gan.course_images_improve", IMAGES, SOURCE, criterion, result, COURSE,
                 (*res["deviations"], SCORED, SAMPLED, SEEDED), corrected)


def judge_walk(walk: dict) -> Verdict:
    """The interpolation rule on one run's paths (this run's, or the recorded run's)."""
    return cc.interpolation(list(zip(walk["labels"], walk["consecutive"])), walk["random_pairs"])


def interpolation(res: dict, ours: dict, record: dict) -> Claim:
    verdicts, parts, numbers = [], [], {}
    floor = res["metrics"]["frechet_floor"]
    for seed, r in res["runs"].items():
        walk = r["interpolation"]
        v = judge_walk(walk)
        verdicts.append(v.verdict)
        final, ceiling = r["snapshots"][-1]["frechet"], r["snapshots"][0]["frechet"]
        quality = (f" (the generator's final Fréchet distance is {final / floor:.0f}× the floor: "
                   f"{cc.phase(cc.log_position(final, floor, ceiling))} digits)" if placeable(floor, ceiling) else "")
        parts.append(f"seed {seed}: {v.verdict}, {v.evidence}; the course's path reads "
                     + " → ".join(map(str, walk["labels"][0])) + quality)
        numbers[f"seed{seed}"] = v.numbers | {"verdict": v.verdict}
    result = Verdict(cc.agree(verdicts), "; ".join(parts), numbers)
    if record.get("interpolation"):
        at_scale = judge_walk(record["interpolation"])
        result = Verdict(result.verdict, f"{result.evidence}. At the course's scale, recorded once (sweeps/gan_course, "
                         f"{record['updates_reached']:,} updates, seed {record['seed']}): {at_scale.verdict}; "
                         f"{at_scale.evidence}; the course's path reads "
                         + " → ".join(map(str, record["interpolation"]["labels"][0])),
                         numbers | {"course_scale": at_scale.numbers | {"verdict": at_scale.verdict}})
    n_paths = len(next(iter(res["runs"].values()))["interpolation"]["labels"])
    criterion = (f"{n_paths} straight paths through the final generator's latent space (eval mode, as test_gan.py), "
                 f"each of {res['points']} evenly spaced points; path 0 joins the first two draws after "
                 f"torch.manual_seed({res['interpolation_seed']}), the course's own, and the rest the next pairs of the "
                 "same stream. The judge reads every frame. " + " ".join(cc.contiguous.__doc__.split()) + " "
                 + " ".join(cc.path_smooth.__doc__.split()) + " " + " ".join(cc.interpolation.__doc__.split())
                 + " Over seeds: " + " ".join(cc.agree.__doc__.split()))
    corrected = ""
    if ours:
        walks = "; ".join(f"{name}: {' → '.join(map(str, w['labels']))} (contiguous: "
                          f"{'yes' if cc.contiguous(w['labels']) else 'no'})" for name, w in ours["interpolation"].items())
        corrected = f"seqlab's GAN, one pair of latent vectors (9 points): {walks}"
    deviations = (*res["deviations"],
                  "frames: the course showed one path of 9 images (7 distinct points, both ends repeated) and read it "
                  "by eye; seqlab reads the 7 distinct points of it and of more paths with the judge", SEEDED)
    return Claim("gan.course_interpolation_smooth", INTERPOLATION, SOURCE, criterion, result, COURSE, deviations,
                 corrected)


def course_claims(res: dict, ours: dict, record: dict) -> list[Claim]:
    """The two rows, from the course runs' results, seqlab's GAN's (``ours``) and the recorded
    course-scale run (``record``, {} when none is committed)."""
    return [images_improve(res, ours, record), interpolation(res, ours, record)]
