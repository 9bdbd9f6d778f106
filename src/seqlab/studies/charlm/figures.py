"""Stage charlm_figures: loss, accuracy and bits per character on the training batches and the
held-out text, against the n-gram baselines; and what each decoding mode generates, measured:
repeated n-grams and log-likelihood at every checkpoint, against the held-out text's own.

    python -m seqlab.studies.charlm.figures
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json
from seqlab.studies.charlm.params import COURSE_ACC, COURSE_STEP, CharParams, course_corpus
from seqlab.studies.charlm.layout import GREEDY, STUDY
from seqlab.present.viz import save_figure

SETS = (("train", "training batches (mean per interval)", "tab:gray"), ("heldout", "held-out text", "tab:blue"))
BASELINES = (("unigram", ":"), ("bigram", "--"))


def plot_curves(curves: pd.DataFrame, baselines: dict, checkpoints: list[int], course: bool, path: Path) -> Path:
    """Three panels over training steps: cross-entropy (nats), accuracy, bits per character."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, (col, ylabel, base_key) in zip(axes, (("loss", "cross-entropy (nats / char)", "loss"),
                                                   ("acc", "next-character accuracy", "acc"),
                                                   ("bpc", "bits per character", "bpc"))):
        for name, label, color in SETS:
            ax.plot(curves["step"], curves[f"{name}_{col}"], color=color, label=label)
        for name, style in BASELINES:
            ax.axhline(baselines[name][base_key], color="tab:red", ls=style, lw=1,
                       label=f"{name} baseline ({baselines[name][base_key]:.3f})")
        for k in checkpoints:
            ax.axvline(k, color="0.8", lw=0.8, zorder=0)
        ax.set(xlabel="step", ylabel=ylabel)
    if course:
        axes[1].plot([COURSE_STEP], [COURSE_ACC], marker="*", ms=12, color="tab:orange", ls="none",
                     label=f"course: {COURSE_ACC} at {COURSE_STEP:,} steps (quoted)")
    axes[1].set_ylim(0, 1)
    axes[1].legend(fontsize=7, loc="lower right")
    axes[0].set_title("Loss")
    axes[1].set_title("Accuracy (grey lines: checkpoints)")
    axes[2].set_title("Bits per character")
    return save_figure(fig, path)


def mode_label(mode: str) -> str:
    return "greedy" if mode == GREEDY else f"τ = {mode[1:]}"


def plot_decoding(res: dict, n: int, length: int, path: Path) -> Path:
    """Per checkpoint and decoding mode: rep-n, the longest passage two starts' texts share (the
    held-out text's chunks, at the same length, as lines), and the samples' mean log-likelihood
    under the model (the held-out text's as a line)."""
    ckpts = res["checkpoints"]
    modes = list(ckpts[0]["modes"])
    width = 0.8 / len(ckpts)
    x = np.arange(len(modes))
    fig, (ax, ax_shared, ax2) = plt.subplots(1, 3, figsize=(16, 3.8))
    panels = ((ax, "rep"), (ax_shared, "shared_mean"), (ax2, "log_likelihood"))
    for i, c in enumerate(ckpts):
        color = plt.cm.Blues(0.35 + 0.65 * (i + 1) / len(ckpts))
        offset = (i - (len(ckpts) - 1) / 2) * width
        for a, key in panels:
            a.bar(x + offset, [c["modes"][m][key] or 0 for m in modes], width, color=color, label=f"step {c['step']:,}")
    corpus = res["corpus"]
    ax.axhline(corpus["rep"], color="tab:red", ls="--", lw=1, label=f"held-out text ({corpus['rep']:.3f})")
    if corpus["shared_mean"] is not None:
        ax_shared.axhline(corpus["shared_mean"], color="tab:red", ls="--", lw=1,
                          label=f"held-out text ({corpus['shared_mean']:.1f})")
    ax2.axhline(-ckpts[-1]["carried_loss"], color="tab:red", ls="--", lw=1,
                label=f"held-out text, final model ({-ckpts[-1]['carried_loss']:.3f})")
    for a, _ in panels:
        a.set_xticks(x, [mode_label(m) for m in modes])
        a.legend(fontsize=7)
    ax.set(ylabel=f"repeated {n}-grams (1 − distinct / total)", ylim=(0, 1.02),
           title=f"Repetition in {length} generated characters per start")
    ax_shared.set(ylabel="characters (mean over pairs of starts)", title="Longest passage two starts' texts share")
    ax2.set(ylabel="mean log p(char) under the model (nats)", title="Likelihood of the generated text")
    return save_figure(fig, path)


def make_figures(p: CharParams, tracker=None) -> None:
    res = read_json(paths.study_results(STUDY))
    curves = pd.read_csv(paths.study_plots(STUDY) / "curves.csv")
    out = paths.study_figures(STUDY)
    course = course_corpus(res["meta"])
    png = plot_curves(curves, res["baselines"], [c["step"] for c in res["checkpoints"]], course, out / "curves.png")
    plot_decoding(res, p.generate.ngram, p.generate.measure_length, out / "decoding.png")
    if tracker and res["run"]["run_id"]:
        tracker.log_artifact(res["run"]["run_id"], png)


STEPS = {"figures": Step(make_figures, reads=("charlm.generate.ngram", "charlm.generate.measure_length"))}

if __name__ == "__main__":
    run_stage(__doc__, CharParams, STEPS, experiment=STUDY)
