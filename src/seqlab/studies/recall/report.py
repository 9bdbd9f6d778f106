"""The report's digit-recall section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import accuracy_se
from seqlab.present.markdown import fig, pm, table, training_cost
from seqlab.studies.recall.params import RecallParams
from seqlab.tasks.recall import RecallTask

STUDY = "recall"
COURSE_STUDY = "recall_course"  # the course protocol's outputs (stages recall_course_*)
CONTENTS = "digit recall"


def section(p: RecallParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    d, t = p.data, p.train
    rows = []
    for h in p.train.hidden:
        m = res["metrics"][f"h{h}"]
        runs = [r for r in res["runs"] if r["hidden"] == h]
        rows.append({"hidden": h, "parameters": runs[0]["n_params"], "test accuracy": pm(m["test_acc_mean"], m["test_acc_std"]),
                     "per seed": ", ".join(f"{r['test_acc']:.3f}" for r in runs)})
    examples = [{"input": " ".join(map(str, e["input"])), "truth": e["truth"],
                 **{f"h={h}": e["predicted"][str(h)] for h in p.train.hidden}} for e in res["examples"]]
    meta = res["data"]
    return [
        "## Digit recall: how much memory does the LSTM need?",
        "",
        f"An LSTM reads {d.min_len}–{d.max_len} random digits (the length varies per sample) and must then name "
        f"the digit at position {d.position} (0-based), e.g. `[3, 5, 8, 6, 8] → 5`. "
        f"Chance is {1 / RecallTask.num_classes:.0%}.",
        "",
        f"### Test accuracy (mean ± std over {len(t.seeds)} seeds)",
        "",
        table(rows),
        "",
        fig(STUDY, "accuracy_by_hidden.png", "Recall accuracy by hidden size"),
        "",
        f"### Test examples (seed {res['example_seed']}'s models)",
        "",
        table(examples),
        "",
        f"Data: {meta['sizes']['train']} / {meta['sizes']['val']} / {meta['sizes']['test']} train/val/test sequences, "
        f"data seed {meta['seed']}; {meta['test_in_train']:.1%} of test sequences also occur in train "
        f"(short sequences repeat: there are only {10 ** d.min_len:,} of length {d.min_len}). "
        f"Training: Adam lr {t.lr}, batch {t.batch_size}, {t.steps} steps, clip {t.clip_norm}, forget bias {t.forget_bias}; "
        f"{training_cost(res['runs'])}. MLflow experiment `recall`.",
        "",
        *course_protocol(res),
    ]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def course_protocol(seqlab: dict) -> list[str]:
    """The course's q2.py protocol beside seqlab's, from stage recall_course_evaluate's results
    and seqlab's own (``seqlab``: reports/recall/results.json)."""
    res = read_json(paths.study_results(COURSE_STUDY))
    d, t = res["params"]["data"], res["params"]["train"]
    n_judge, n_test, n_seqlab = res["n_judge"], res["n_course_test"], seqlab["data"]["sizes"]["test"]
    rows = []
    for h in sorted(t["hidden"]):
        runs = [r for r in res["runs"] if r["hidden"] == h]
        judged = [r["judge_acc"] for r in runs]
        theirs = [r["test_acc"] for r in seqlab["runs"] if r["hidden"] == h]
        rows.append({"hidden": h, "parameters": runs[0]["n_params"],
                     f"course: final test, {n_test:,} fresh (per seed)": ", ".join(f"{r['course_final']:.3f}" for r in runs),
                     f"course: {n_judge:,} judge sequences (mean ± SE)": pm(_mean(judged), accuracy_se(judged, n_judge)),
                     f"seqlab: {n_seqlab:,} test sequences (mean ± SE)":
                         pm(_mean(theirs), accuracy_se(theirs, n_seqlab)) if theirs else "not trained"})
    course_samples = _mean([r["samples"] for r in res["runs"]])
    seqlab_samples = _mean([r["samples"] for r in seqlab["runs"]])
    return [
        "### The course's protocol beside seqlab's",
        "",
        f"The EE6132 course's own script (q2.py): digits 0–8 one-hot over 10, one length in {d['min_len']}–"
        f"{d['max_len']} per batch of {t['batch_size']} and no padding, the digit at index {d['position']} read at "
        f"the last step of `nn.LSTM(10, H)` → `Linear(H, 10)` at torch's default initialisation, Adam at "
        f"{t['lr']:g} with no clipping, {t['epochs']} epochs of {t['steps_per_epoch']} fresh batches, and after each "
        f"epoch its test on {n_test:,} fresh sequences (chance {res['chance']:.3f}). The course trained one unseeded "
        f"run per size and gave no numbers; here {len(t['seeds'])} seeds each, and every run is also scored on "
        f"{n_judge:,} sequences drawn the same way (the ledger's judge set).",
        "",
        table(rows),
        "",
        fig(COURSE_STUDY, "test_by_epoch.png", "Course protocol: test accuracy after each epoch"),
        "",
        fig(COURSE_STUDY, "accuracy_by_length.png", "Course protocol: accuracy by sequence length"),
        "",
        f"What differs: seqlab's runs see about {seqlab_samples / course_samples:.1f}× the course's training samples "
        f"({seqlab_samples:,.0f} against {course_samples:,.0f} per run), draw digits 0–9, revisit a fixed training set instead of "
        "drawing fresh batches, pad sequences of mixed lengths within a batch, clip gradients and start the "
        "forget gate at a bias of 1. The course's numbers in the table are this run's measurements of its "
        f"protocol, not quoted; {training_cost(res['runs'])}. MLflow experiment `recall_course`.",
        "",
    ]
