"""The report's subsection on the CS324 GAN as the course ran it, read from the course stages'
outputs (reports/gan_course/) and, where committed, the course-scale run recorded once
(sweeps/gan_course/)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd

from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.studies.gan import course_criteria as cc
from seqlab.studies.gan.course.params import COURSE
from seqlab.studies.gan.course_claims import judge_record, judge_walk, placeable, positions

STUDY = "gan_course"
RECORD = Path("sweeps") / STUDY


def load_record() -> dict:
    """The course-scale run recorded once by ``python -m seqlab.tools.gan_record`` (an input the
    developer commits, not a stage output): record.json's fields plus "steps" and "frechet", or {}."""
    if not (RECORD / "record.json").is_file():
        return {}
    scores = pd.read_csv(RECORD / "scores.csv")
    return read_json(RECORD / "record.json") | {"steps": scores["step"].tolist(), "frechet": scores["frechet"].tolist()}


def phases(res: dict) -> list[dict]:
    """One table row per seed: each window's snapshots, median log position and phase."""
    floor, rows = res["metrics"]["frechet_floor"], []
    for seed, r in res["runs"].items():
        placed = placeable(floor, r["snapshots"][0]["frechet"])
        pos = positions(r["snapshots"], r["windows"], floor) if placed else {}
        frechet = {s["step"]: s["frechet"] for s in r["snapshots"]}
        row = {"seed": seed}
        for name in cc.CLAIMED:  # the report's order (results.json keeps its keys sorted)
            steps = r["windows"][name]
            median = statistics.median(pos[name]) if placed else None  # as the criterion reads a window
            row[cc.WINDOW_NAMES[name]] = (f"{', '.join(f'{frechet[s]:.1f}' for s in steps)} → "
                                          + (f"{median:.2f}, {cc.phase(median)}" if placed else "not placed"))
        row["final"] = f"{frechet[max(frechet)]:.2f} ({frechet[max(frechet)] / floor:.1f}× floor)"
        rows.append(row)
    return rows


def record_lines(record: dict) -> list[str]:
    """The course-scale run, recorded once: its windows by the same rule, and its cost."""
    if not record:
        return ["No course-scale run has been recorded: `sweeps/gan_course/` holds no `record.json` "
                "(docs/experiments.md gives the command).", ""]
    verdict, spans = judge_record(record)
    frechet = dict(zip(record["steps"], record["frechet"]))
    rows = [{"window": cc.WINDOW_NAMES[name], "batches": ", ".join(f"{s:,}" for s in steps),
             "Fréchet distance": ", ".join(f"{frechet[s]:.2f}" for s in steps),
             "median position": f"{pos:.2f}", "phase": cc.phase(pos), "the report says": cc.CLAIMED[name]}
            for name, (steps, pos) in spans.items()]
    walk = ""
    if record.get("final_histogram"):
        counts = record["final_histogram"]
        top = max(range(len(counts)), key=counts.__getitem__)
        share = counts[top] / sum(counts)
        walk += (f" The judge reads {share:.0%} of its final samples as a {top}"
                 + (": one class for most samples, mode collapse." if share > 0.5 else "."))
    if record.get("interpolation"):
        v = judge_walk(record["interpolation"])
        walk += (f" Its interpolation, by the rule below: **{v.verdict}** ({v.evidence}); the course's path reads "
                + " → ".join(map(str, record["interpolation"]["labels"][0])) + ".")
    return [
        f"**Recorded once at the course's scale** (`sweeps/gan_course/`, from {record['source']}; commit "
        f"`{record['commit'][:10]}`, {record['cpu']}, {record['cores']} cores): the course's protocol planned for "
        f"{record['updates_planned']:,} updates, {record['updates_reached']:,} reached in "
        f"{record['seconds'] / 3600:.1f} h, seed "
        f"{record['seed']}, on the MNIST study's {record['n_train']:,} images; final Fréchet distance "
        f"{record['frechet'][-1]:.2f} ({record['frechet'][-1] / record['floor']:.1f}× its floor "
        f"{record['floor']:.2f}). By the same rule: **{verdict}**.{walk}",
        "",
        *([table(rows), ""] if rows else []),
    ]


def course_section(res: dict, record: dict) -> list[str]:
    r0 = res["runs"][str(res["seeds"][0])]
    return [
        "### The GAN as the CS324 course ran it",
        "",
        "The course's template fixes the networks (the ones above) and the student's `my_gan.py` trained them: "
        f"Adam at {COURSE['lr']:g} with torch's default betas {COURSE['betas']} (seqlab's own run above uses "
        "(0.5, 0.999)), batch 64, per batch **the generator first and then the discriminator on the same fakes**, "
        "the discriminator's loss **halved**, a sigmoid and `BCELoss`; 200 epochs of 60,000 images, "
        f"{COURSE['updates']:,} batches, with a 5 × 5 grid every 500 (all quoted from the course's code). This run: "
        f"{res['updates']:,} updates per seed on the MNIST study's {res['n_train']:,} training images, seeds "
        f"{' and '.join(map(str, res['seeds']))}; {r0['n_params']:,} parameters; "
        f"{sum(r['train_seconds'] for r in res['runs'].values()):.0f} s of training in all.",
        "",
        "The report's three figures, read with the judge: each window's Fréchet distances (judge's features, "
        f"{res['metrics']['n_samples']} training-mode samples), then the median's log position from real digits "
        f"(0; floor {res['metrics']['frechet_floor']:.2f}) to the untrained generator (1), and its phase in "
        "thirds (poor, a mix, near-real):",
        "",
        table(phases(res)),
        "",
        fig(STUDY, "windows.png", "The course protocol's grids at the report's three moments (each window's middle "
            f"snapshot, seed {res['seeds'][0]})"),
        "",
        fig(STUDY, "frechet.png", "Fréchet distance across training: the course's protocol, seqlab's GAN, and the "
            "recorded course-scale run"),
        "",
        *record_lines(record),
        f"**Interpolation**, as `test_gan.py` drew it: the final generator in eval mode, {res['points']} points on "
        "the line between the first two latent draws after `torch.manual_seed"
        f"({res['interpolation_seed']})` (the course padded them to 9 images by repeating both ends), and "
        f"{len(r0['interpolation']['labels']) - 1} more paths from the same stream, every frame read by the judge. "
        "The report saw 3 → 8 → 1 on its own (unseeded) generator (quoted); the course's path here reads "
        + "; ".join(f"seed {s}: {' → '.join(map(str, r['interpolation']['labels'][0]))}" for s, r in res["runs"].items())
        + ".",
        "",
        fig(STUDY, "interpolation.png", "The course's interpolation path and three more, read by the judge"),
        "",
    ]
