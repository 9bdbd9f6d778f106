"""The report's digit-recall section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, pm, table, training_cost
from seqlab.studies.recall.params import RecallParams
from seqlab.tasks.recall import RecallTask

STUDY = "recall"
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
    ]
