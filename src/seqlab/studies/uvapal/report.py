"""The report's UvA palindrome section, read from the study's stage outputs only."""

from __future__ import annotations

import statistics

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table, training_cost
from seqlab.studies.uvapal.params import UvaParams

STUDY = "uvapal"
CONTENTS = "UvA binary palindromes (the course's protocol)"
NAMES = {"course": "course (bug on)", "corrected": "corrected (bug off)", "forget_bias": "course, forget bias {forget_bias:g}",
         "lr": "course, lr {lr:g}"}


def _steps(runs: list[dict]) -> str:
    return ", ".join("never" if r["solved_at"] is None else f"{r['solved_at']:,}" for r in runs)


def _levels(runs: list[dict]) -> str:
    return ", ".join("-" if r["pre_solve_median"] is None else f"{r['pre_solve_median']:.2f}" for r in runs)


def cause(res: dict, T: int) -> list[str]:
    """Which one-change variant of the course's protocol moves the LSTM's level before solving and
    its solve step, seed by seed (same seeds, same data streams, so the runs are paired)."""
    groups = {g["protocol"]["name"]: g for g in res["groups"] if g["model"] == "lstm" and g["T"] == T}
    base = groups.get("course")
    if base is None or len(groups) < 2:
        return []
    after = res["steps"] + 1
    base_steps = {r["seed"]: r["solved_at"] or after for r in base["runs"]}
    lines = [f"**What the LSTM's plateau at T={T} comes from.** Each variant changes one thing in the course's protocol "
             f"and keeps its seeds and data streams, so each seed's runs are paired. The course's run first:", ""]
    for name, g in groups.items():
        steps = [r["solved_at"] or after for r in g["runs"]]
        earlier = sum(s < base_steps[r["seed"]] for s, r in zip(steps, g["runs"]))
        levels = [r["pre_solve_median"] for r in g["runs"] if r["pre_solve_median"] is not None]
        lines.append(f"- {NAMES[name].format(**g['protocol'])}: course's metric before solving "
                     f"{statistics.median(levels):.2f} (median over seeds; the majority answer scores "
                     f"{res['majority']:.3f}); solved at steps {_steps(g['runs'])}"
                     + ("" if name == "course" else f"; before the course's run on {earlier} of {len(steps)} seeds"))
    return lines + [""]


def section(p: UvaParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    rows = []
    for g in res["groups"]:
        runs = g["runs"]
        rows.append({"protocol": NAMES[g["protocol"]["name"]].format(**g["protocol"]), "model": g["model"], "T": g["T"],
                     "solved at step (per seed)": _steps(runs), "course's metric before solving": _levels(runs),
                     "held-out, course's metric (last)": ", ".join(f"{r['heldout_final']:.2f}" for r in runs),
                     "held-out, per example (last)": ", ".join(f"{r['heldout_example_final']:.2f}" for r in runs)})
    figures = [fig(STUDY, f"protocols_T{T}.png", f"UvA palindromes at T={T}: the course's protocol and corrected")
               for T in p.lengths]
    if any(g["protocol"]["name"] in ("forget_bias", "lr") for g in res["groups"]):
        figures.append(fig(STUDY, "ablation.png", "One change at a time from the course's protocol"))
    stopped = sum(r["stopped_early"] for g in res["groups"] for r in g["runs"])
    solved = {name: [r["heldout_example_final"] for g in res["groups"] if g["protocol"]["name"] == name
                     for r in g["runs"] if r["solved_at"] is not None] for name in ("course", "corrected")}
    threshold = ([
        f"Solved on the course's metric is not solved as a classifier. Of the course protocol's {len(solved['course'])} "
        f"solved runs, {sum(a < res['target_acc'] for a in solved['course'])} score below {res['target_acc']:.0%} "
        "when each held-out sequence is judged by its own two logits (per run: "
        + ", ".join(f"{a:.2f}" for a in solved["course"]) + f"); of the corrected protocol's {len(solved['corrected'])}, "
        f"{sum(a < res['target_acc'] for a in solved['corrected'])}. Under the bug the offset between the two classes "
        "is never trained, so a run can rank its batch perfectly and still put the threshold in the wrong place.", ""]
                 if solved["course"] else [])
    return [
        "## UvA binary palindromes, as the course ran them",
        "",
        "The UvA report's palindrome claims come from its own task and code (../shared/COURSES.md §1): binary palindromes "
        "built from random digits 0–8, left-padded to 4T+2 symbols ({pad, 0, 1}); an embedding of hidden/2; an LSTM or "
        "peephole LSTM reading the first 4T symbols with h zeroed after pads; Kaiming-normal weights and every bias 0; "
        "Adam 1e-4, clipping at 10, a fresh batch every step. Its output took `log_softmax` over the **batch** axis, not "
        "the classes, and its accuracy is its own predictions on the training batch, logged every "
        f"{res['course_log_every']} steps. The label is 1 two times in three, so always answering 1 scores "
        f"{res['majority']:.3f}.",
        "",
        f"This run: hidden {res['hidden']}, batch {res['batch_size']} (`uvapal.scale: {res['scale']}`; the course's: 256 "
        f"and 256), up to {res['steps']:,} steps, seeds as real seeds. *Solved* is the first evaluation where the course's "
        f"metric on {res['heldout_n']:,} held-out sequences (scored in batches of {res['batch_size']}, as the bug needs) "
        f"reaches {res['target_acc']:.0%}; {stopped} runs stopped there (`uvapal.train.stop_early`). *Held-out, per "
        "example* scores each sequence by its own two logits: the network as a classifier, whatever its batch. "
        "The *corrected* protocol changes one thing: log-softmax over the classes.",
        "",
        table(rows),
        "",
        *cause(res, p.ablation.T),
        *threshold,
        "Why the bug matters: normalised over the batch, each class's column of scores is a softmax over the samples, so "
        "adding a constant to a column changes nothing. The loss cannot move the output bias or any offset between the two "
        "classes, and it rewards ranking a class's samples above the rest of the batch, not choosing a class. A network that "
        "has learned nothing then predicts by the noise of its batch, which scores about one half, below the majority "
        "answer; the same network under a correct loss answers the majority.",
        "",
        *figures,
        "",
        f"Training cost: {training_cost([r for g in res['groups'] for r in g['runs']])}.",
        "",
    ]
