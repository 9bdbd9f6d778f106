"""The report's gradient-flow section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.models.recurrent import label
from seqlab.studies.gradflow.params import GradflowParams

STUDY = "gradflow"
CONTENTS = "gradient flow"


def section(params: GradflowParams) -> list[str]:
    p, sweep = params.gradflow, params.sweep
    metrics = read_json(paths.study_metrics(STUDY))
    rows = []
    for m in sweep.models:
        for T in p.T:
            e = metrics[m][f"T{T}"]
            fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
            rows.append({"model": label(m), "T": T, "decay/step at init": fmt(e["decay_init"]),
                         "decay/step trained": fmt(e["decay_trained"]),
                         "‖∂L/∂s(1)‖ / ‖∂L/∂s(T−2)‖ init": f"{e['ratio_first_penultimate_init']:.3g}",
                         "trained": f"{e['ratio_first_penultimate_trained']:.3g}",
                         "batch accuracy (trained)": f"{e['batch_acc_trained']:.3f}",
                         f"seed {p.seed} solved the task?": (f"yes ({e['sweep_test_acc']:.3f})" if e["solved"]
                                                             else f"no ({e['sweep_test_acc']:.3f})")})
    return [
        "## Gradient flow through time",
        "",
        "Backpropagation through time multiplies the gradient by one Jacobian ∂s(t)/∂s(t−1) per step, so its norm "
        "tends to shrink (or grow) by a roughly constant factor per step. Measured here with autograd on the "
        "hand-written cells (fused models are converted to their twin cells, same weights): ‖∂L/∂s(t)‖ for every t, "
        f"averaged over a fixed batch of {p.batch_size} test palindromes, where s(t) is the whole recurrent state "
        "(h for RNN and GRU; h and c for the LSTMs) and L is the loss at the last step. A palindrome of length T "
        "is read in T−1 steps, and the loss reads the last state, s(T−1), directly. The decay factor is exp(−slope) "
        "of a least-squares line through log ‖∂L/∂s(t)‖ for t = 1 … T−2 (s(T−1) left out); the ratio compares the "
        "two ends of that range. Below 1 the gradient vanishes going back in time. *Trained* is the sweep's model "
        f"of seed {p.seed}, whose test accuracy in the sweep says whether it solved its task "
        f"(≥ {sweep.evaluate.target_acc:.0%}); *init* is the same network before its first step.",
        "",
        table(rows),
        "",
        fig(STUDY, "gradient_norms.png", "Gradient norm against time step"),
        "",
    ]
