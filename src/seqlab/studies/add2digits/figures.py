"""Stage add2digits_figures: the Add2Digits curves as the course plotted them (per L, RNN beside
LSTM: loss, then accuracy, against the epoch), the corrected protocol's, the gradient reaching each
input position, and the theory sentence's probe (PNG); each run's curve in MLflow.

    python -m seqlab.studies.add2digits.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.present.viz import COLORS, log_run_curves, save_figure
from seqlab.studies.add2digits.criteria import EXPLODE, VANISH
from seqlab.studies.add2digits.params import MODELS, Add2DigitsParams

STUDY = "add2digits"
NAMES = {"rnn": "RNN", "lstm": "LSTM"}
HELD_OUT = {"course": "validation", "corrected": "judge set"}


def _steps(protocol: str, model: str, L: int, seed: int) -> pd.DataFrame:
    return pd.read_csv(paths.run_dir(STUDY, protocol, model, f"L{L}", seed=seed) / "history.csv",
                       usecols=["step", "train_loss"])


def plot_curves(res: dict, curves: pd.DataFrame, protocol: str, L: int, path: Path) -> Path:
    """One length: columns RNN | LSTM; rows loss | accuracy against the epoch, one line per seed
    (training solid, held-out dashed); each step's training loss faint behind the epoch means."""
    spe = res["course"]["steps_per_epoch"]
    fig, axes = plt.subplots(2, len(MODELS), figsize=(5.0 * len(MODELS), 6.0), sharex=True, squeeze=False)
    for col, m in enumerate(MODELS):
        c = curves[(curves["protocol"] == protocol) & (curves["model"] == m) & (curves["L"] == L)]
        loss_ax, acc_ax = axes[0][col], axes[1][col]
        for i, (seed, s) in enumerate(c.groupby("seed")):
            steps = _steps(protocol, m, L, seed)
            loss_ax.plot(steps["step"] / spe, steps["train_loss"], color=COLORS[m], lw=0.4, alpha=0.15)
            alpha = max(0.3, 1.0 - 0.25 * i)  # later seeds fainter, none invisible
            loss_ax.plot(s["epoch"], s["train_loss"], color=COLORS[m], marker="o", ms=2.5, alpha=alpha,
                         label="training (epoch mean)" if i == 0 else None)
            loss_ax.plot(s["epoch"], s["val_loss"], color="0.25", ls="--", alpha=alpha,
                         label=HELD_OUT[protocol] if i == 0 else None)
            acc_ax.plot(s["epoch"], s["train_acc"], color=COLORS[m], marker="o", ms=2.5, alpha=alpha,
                        label="training" if i == 0 else None)
            acc_ax.plot(s["epoch"], s["val_acc"], color="0.25", ls="--", alpha=alpha,
                        label=HELD_OUT[protocol] if i == 0 else None)
        loss_ax.axhline(np.log(10), color="tab:orange", lw=0.8, ls=":", label="ln 10: the last digit only")
        loss_ax.set(title=f"{NAMES[m]} loss, L={L}", ylabel="cross-entropy (nats)")
        acc_ax.set(title=f"{NAMES[m]} accuracy, L={L}", ylabel="accuracy", xlabel="epoch", ylim=(0, 1.05))
        loss_ax.legend(fontsize=7)
        acc_ax.legend(fontsize=7, loc="lower right")
    what = ("the copy's protocol: a fixed training set, reshuffled each epoch" if protocol == "course"
            else "corrected: every batch fresh, scored on the judge set")
    fig.suptitle(f"Add2Digits, L={L}: {what}; one line per seed", fontsize=10)
    return save_figure(fig, path)


def plot_gradients(res: dict, grads: pd.DataFrame, path: Path) -> Path:
    """Per L: the mean ||d loss / d x_t|| against the input position t, per model, at
    initialisation (dotted) and after the copy's training (solid), one line per seed."""
    lengths = res["lengths"]
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.4), squeeze=False)
    styles = {"init": ":", "course": "-", "corrected": "--"}
    labels = {"init": "at init", "course": "trained (copy's)", "corrected": "trained (fresh batches)"}
    for ax, L in zip(axes[0], lengths):
        for m in MODELS:
            for state, ls in styles.items():
                g = grads[(grads["model"] == m) & (grads["L"] == L) & (grads["state"] == state)]
                for i, (_, s) in enumerate(g.groupby("seed")):
                    ax.plot(s["position"], s["norm"], color=COLORS[m], ls=ls, lw=1.1,
                            label=f"{NAMES[m]} {labels[state]}" if i == 0 else None)
        ax.set(yscale="log", title=f"L={L}", xlabel="input position t")
    axes[0][0].set_ylabel("mean ||d loss / d x_t||")
    axes[0][0].legend(fontsize=6)
    fig.suptitle("Gradient reaching each input position (the loss at the last step)", fontsize=10)
    return save_figure(fig, path)


def plot_probe(res: dict, probe: pd.DataFrame, path: Path) -> Path:
    """Left: the first/last ratio against L per radius (each seed a point, the mean a line), with
    the criterion's thresholds. Right: the mean tanh derivative against L per radius."""
    fig, (ax, sat) = plt.subplots(1, 2, figsize=(10.0, 3.8))
    cmap = plt.get_cmap("coolwarm")
    rhos = res["gradients"]["rhos"]
    for i, rho in enumerate(rhos):
        g = probe[probe["rho"] == rho]
        color = cmap(i / max(1, len(rhos) - 1))
        mean = g.groupby("L")["ratio"].apply(lambda r: float(np.exp(np.log(r).mean())))  # geometric mean
        ax.plot(mean.index, mean.to_numpy(), color=color, marker="o", label=f"rho = {rho:g}")
        ax.scatter(g["L"], g["ratio"], color=color, s=10, alpha=0.6)
        d = g.groupby("L")["dtanh"].mean()
        sat.plot(d.index, d.to_numpy(), color=color, marker="o", label=f"rho = {rho:g}")
    ax.axhline(VANISH, color="0.4", ls=":", lw=0.8)
    ax.axhline(EXPLODE, color="0.4", ls=":", lw=0.8)
    ax.axhline(1.0, color="0.7", lw=0.6)
    ax.set(yscale="log", xlabel="sequence length L", ylabel="||grad at t=1|| / ||grad at t=L||",
           title="the course's RNN at init, W_hh rescaled to radius rho")
    sat.set(xlabel="sequence length L", ylabel="mean tanh'(a) = 1 - h²", ylim=(0, 1.02),
            title="how saturated its tanh units are")
    ax.legend(fontsize=7)
    sat.legend(fontsize=7)
    return save_figure(fig, path)


def make_figures(p: Add2DigitsParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    plots, out = paths.study_plots(STUDY), paths.study_figures(STUDY)
    curves = pd.read_csv(plots / "curves.csv")
    for L in res["lengths"]:
        plot_curves(res, curves, "course", L, out / f"curves_L{L}.png")
    for L in res["corrected_lengths"]:
        plot_curves(res, curves, "corrected", L, out / f"corrected_L{L}.png")
    plot_gradients(res, pd.read_csv(plots / "gradients.csv"), out / "gradients.png")
    plot_probe(res, pd.read_csv(plots / "probe.csv"), out / "rho_probe.png")
    log_run_curves(tracker, paths.study_models(STUDY), STUDY)


STEPS = {"figures": Step(make_figures, reads=())}  # everything it draws is in the evaluate step's outputs

if __name__ == "__main__":
    run_stage(__doc__, Add2DigitsParams, STEPS, experiment=STUDY)
