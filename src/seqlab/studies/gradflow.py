"""The gradient-flow study: ||dL/ds(t)|| for every cell at each gradflow.T, at initialisation
and after training, on a fixed batch of the sweep's test palindromes.

The trained models are the sweep's (seed ``gradflow.seed``); "at initialisation" is the same
network rebuilt from the same seed before any training step. Stages: measure -> figures.
"""

from __future__ import annotations

import pandas as pd

from seqlab import paths
from seqlab.gradflow import decay_factor, gradient_norms
from seqlab.params.sweep import GradflowParams
from seqlab.studies import sweep
from seqlab.studies.common import read_json, write_json
from seqlab.tasks import palindrome
from seqlab.train import evaluate

STUDY = "gradflow"
PHASES = ("init", "trained")


def measure(p: GradflowParams, tracker=None) -> dict:
    rows, metrics = [], {}
    for T in p.T:
        splits, _ = palindrome.load(sweep.data_dir(T))
        x, y = sweep.tensors(splits["test"][: p.batch_size])
        for m in p.sweep.models:
            run = sweep.run_dir(m, T, p.seed)
            models = {"init": sweep.init_model(sweep.arch(p.sweep, m, T), p.seed), "trained": sweep.load_model(run)}
            entry = {}
            for phase, model in models.items():
                norms = gradient_norms(model, x, y)
                for t, (n_state, n_h) in enumerate(zip(norms["state"], norms["h"]), start=1):
                    rows.append({"model": m, "T": T, "phase": phase, "t": t, "state_norm": n_state, "h_norm": n_h})
                g = decay_factor(norms["state"])
                entry[f"decay_{phase}"] = None if g is None else round(g, 6)
                # How much of the last step's gradient survives back to step 1.
                entry[f"ratio_first_last_{phase}"] = float(f"{norms['state'][0] / norms['state'][-2]:.4g}")
            entry["batch_acc_trained"] = round(evaluate(models["trained"], x, y)[0], 6)
            metrics.setdefault(m, {})[f"T{T}"] = entry
    return _write(p, rows, metrics, tracker)


def _write(p: GradflowParams, rows: list[dict], metrics: dict, tracker) -> dict:
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(plots / "norms.csv", index=False, float_format="%.6g")
    write_json(paths.study_metrics(STUDY), metrics)
    if tracker:
        for m, by_T in metrics.items():
            with tracker.run(m, {"model": m, "T": list(p.T), "seed": p.seed, "batch_size": p.batch_size}) as run_id:
                tracker.log_metrics(run_id, {f"{k}_{T}": v for T, e in by_T.items() for k, v in e.items()
                                             if isinstance(v, float)})
    return metrics


def make_figures(p: GradflowParams, tracker=None) -> None:
    from seqlab.figures_algorithmic import plot_gradflow

    norms = pd.read_csv(paths.study_plots(STUDY) / "norms.csv")
    metrics = read_json(paths.study_metrics(STUDY))
    plot_gradflow(norms, metrics, paths.study_figures(STUDY) / "gradient_norms.png")


STEPS = {"measure": measure, "figures": make_figures}
