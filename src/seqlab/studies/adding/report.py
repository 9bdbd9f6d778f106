"""The report's adding-task section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table, training_cost
from seqlab.models.recurrent import label
from seqlab.studies.adding.params import AddingParams

STUDY = "adding"
CONTENTS = "adding task"


def section(p: AddingParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    metrics = res["metrics"]
    base = metrics["baseline_mse"]
    n = len(p.train.seeds)
    rows = [{"model": "predict the mean (baseline)", **{f"T={T}": f"{base[f'T{T}']:.4f}" for T in p.T}}]
    for m in p.models:
        rows.append({"model": label(m), **{
            f"T={T}": (f"{metrics[m][f'T{T}']['test_mse_mean']:.4f}"
                       + (f" ± {metrics[m][f'T{T}']['test_mse_std']:.4f}" if n > 1 else "")
                       + f" ({metrics[m][f'T{T}']['vs_baseline']:.2f}× baseline)") for T in p.T}})
    solved = []
    for T in p.T:
        who = [label(m) for m in p.models if metrics[m][f"T{T}"]["seeds_solved"] == n]
        solved.append(f"T={T}: {', '.join(who) if who else 'none'}")
    return [
        "## The adding task (Hochreiter & Schmidhuber 1997)",
        "",
        "Each step carries a value in [0, 1] and a marker; exactly two steps are marked, one in each half, and the "
        "target is the sum of the two marked values. The first must be held for at least T/2 steps. Always "
        f"predicting the mean scores MSE ≈ {res['theoretical_baseline']:.3f} (Var(U+U) = 1/6); the baseline row is "
        "that predictor measured on this run's test data.",
        "",
        f"### Test MSE ({'mean ± std over ' + str(n) + ' seeds' if n > 1 else 'seed ' + str(p.train.seeds[0])})",
        "",
        table(rows),
        "",
        f"Solved (test MSE below {res['solved_mse']} for every seed): " + "; ".join(solved) + ".",
        "",
        fig(STUDY, "loss.png", "Adding task training loss"),
        "",
        f"Training: hidden {p.train.hidden}, Adam lr {p.train.lr}, batch {p.train.batch_size}, {p.train.steps} steps, clip "
        f"{p.train.clip_norm}, forget bias {p.train.forget_bias}; implementations "
        f"{', '.join(f'{label(m)} {p.impls[m]}' for m in p.models)}; {training_cost(res['runs'])}. MLflow experiment `adding`.",
        "",
    ]
