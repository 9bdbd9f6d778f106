"""Stage gradflow_measure: gradient norms through time for the sweep's models, at
initialisation and after training.

    python -m seqlab.studies.gradflow.steps
"""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.gradflow.norms import decay_factor, first_to_penultimate, gradient_norms
from seqlab.studies.gradflow.params import GradflowParams
from seqlab.tasks import palindrome
from seqlab.training.loop import evaluate
from seqlab.training.runs import CHECKPOINT
from seqlab.training.seeding import seed_everything

STUDY = "gradflow"
MEASURED = "sweep"  # the study whose data and trained models are measured


def measure(params: GradflowParams, tracker=None) -> dict:
    params.check_against_sweep()  # before any work
    p, sweep = params.gradflow, params.sweep
    # whether each measured run solved its task: the sweep's own verdict on that seed
    sweep_acc = {(r["model"], r["T"]): r["test_acc"] for r in read_json(paths.study_results(MEASURED))["runs"]
                 if r["seed"] == p.seed}
    rows, metrics = [], {}
    for T in p.T:
        splits, _ = palindrome.load(palindrome.data_dir(paths.study_data(MEASURED), T))
        x, y = palindrome.tensors(splits["test"][: p.batch_size])
        for m in sweep.models:
            checkpoint = paths.length_run(MEASURED, m, T, p.seed) / CHECKPOINT
            config, _ = SequenceClassifierConfig.read(checkpoint)
            seed_everything(p.seed)  # the sweep's run started from exactly this network
            models = {"init": config.build(), "trained": SequenceClassifierConfig.load(checkpoint)}
            entry = {}
            for phase, model in models.items():
                norms = gradient_norms(model, x, y)
                for t, (n_state, n_h) in enumerate(zip(norms["state"], norms["h"]), start=1):
                    rows.append({"model": m, "T": T, "phase": phase, "t": t, "state_norm": n_state, "h_norm": n_h})
                g = decay_factor(norms["state"])
                entry[f"decay_{phase}"] = None if g is None else round(g, 6)
                entry[f"ratio_first_penultimate_{phase}"] = float(f"{first_to_penultimate(norms['state']):.4g}")
            entry["batch_acc_trained"] = round(evaluate(models["trained"], x, y)[0], 6)
            entry["sweep_test_acc"] = sweep_acc[(m, T)]
            entry["solved"] = sweep_acc[(m, T)] >= sweep.evaluate.target_acc
            metrics.setdefault(m, {})[f"T{T}"] = entry
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


# sweep.T and sweep.train.seeds: gradflow.T and gradflow.seed are checked against them first.
STEPS = {"measure": Step(measure, reads=("gradflow", "sweep.models", "sweep.T", "sweep.train.seeds",
                                         "sweep.evaluate.target_acc"))}

if __name__ == "__main__":
    run_stage(__doc__, GradflowParams, STEPS, experiment=STUDY)
