"""The report's length-sweep section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.markdown import fig, pm, table, training_cost
from seqlab.models.recurrent import label
from seqlab.studies.sweep.params import SweepParams, parse  # noqa: F401  (the registry reads parse)

STUDY = "sweep"
CONTENTS = "length sweep"


def section(p: SweepParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    metrics = res["metrics"]
    n = len(p.train.seeds)
    acc_rows = [{"model": label(m), **{f"T={T}": pm(metrics[m][f"T{T}"]["test_acc_mean"], metrics[m][f"T{T}"]["test_acc_std"])
                                          for T in p.T}} for m in p.models]
    crit_rows = []
    for m in p.models:
        c, f = metrics["critical_length"][m], metrics["first_failure"][m]
        note = ""
        if c is not None and f is not None and f < c:
            note = f"not monotone: below target at T={f}, above again at T={c}"
        crit_rows.append({"model": label(m), "critical length": c if c is not None else "none",
                          "first T below target": f if f is not None else f"none up to {max(p.T)}", "note": note})
    runs = res["runs"]
    stopped = sum(r["stopped_early"] for r in runs)
    return [
        "## Length sweep: the critical length of each cell",
        "",
        f"Every cell on palindromes of length T ∈ {{{', '.join(map(str, p.T))}}}. The *critical length* is the largest "
        f"T at which mean test accuracy reaches {p.target_acc:.0%}.",
        "",
        table(crit_rows),
        "",
        fig(STUDY, "accuracy_vs_length.png", "Test accuracy against T"),
        "",
        f"### Test accuracy (mean ± std over {n} seeds)",
        "",
        table(acc_rows),
        "",
        f"Settings, lighter than the headline study to afford T up to {max(p.T)}: {p.n_train} training palindromes "
        f"(fewer where the space is smaller), seeds {list(p.train.seeds)}, at most {p.train.steps} steps, hidden "
        f"{p.hidden}, Adam lr {p.train.lr}, batch {p.train.batch_size}; "
        + (f"a run stops at the first validation point with accuracy ≥ {p.stop_at} ({stopped} of {len(runs)} runs did). "
           if p.stop_at is not None else "no early stopping. ")
        + f"{training_cost(runs)}. MLflow experiment `sweep`.",
        "",
    ]
