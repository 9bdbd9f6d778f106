"""The report's gradient-flow section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.markdown import fig, table
from seqlab.models.recurrent import label
from seqlab.studies.gradflow.params import GradflowParams, parse  # noqa: F401  (the registry reads parse)

STUDY = "gradflow"
CONTENTS = "gradient flow"


def section(p: GradflowParams) -> list[str]:
    metrics = read_json(paths.study_metrics(STUDY))
    rows = []
    for m in p.models:
        for T in p.T:
            e = metrics[m][f"T{T}"]
            fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
            rows.append({"model": label(m), "T": T, "decay/step at init": fmt(e["decay_init"]),
                         "decay/step trained": fmt(e["decay_trained"]),
                         "‖∂L/∂s(1)‖ / ‖∂L/∂s(T−1)‖ init": f"{e['ratio_first_last_init']:.3g}",
                         "trained": f"{e['ratio_first_last_trained']:.3g}",
                         "batch accuracy (trained)": f"{e['batch_acc_trained']:.3f}"})
    return [
        "## Gradient flow through time",
        "",
        "Backpropagation through time multiplies the gradient by one Jacobian ∂s(t)/∂s(t−1) per step, so its norm "
        "tends to shrink (or grow) by a roughly constant factor per step. Measured here with autograd on the "
        "hand-written cells (fused models are converted to their twin cells, same weights): ‖∂L/∂s(t)‖ for every t, "
        f"averaged over a fixed batch of {p.batch_size} test palindromes, where s(t) is the whole recurrent state "
        "(h for RNN and GRU; h and c for the LSTMs) and L is the loss at the last step. The decay factor is "
        "exp(−slope) of a least-squares line through log ‖∂L/∂s(t)‖ for t = 1 … T−1: below 1 the gradient "
        "vanishes going back in time. *Trained* is the sweep's model (seed "
        f"{p.seed}); *init* is the same network before its first step.",
        "",
        table(rows),
        "",
        fig(STUDY, "gradient_norms.png", "Gradient norm against time step"),
        "",
    ]
