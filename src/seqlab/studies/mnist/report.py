"""The report's sequential-MNIST section, read from the study's stage outputs only."""

from __future__ import annotations

import math

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.models.image import KINDS, view_shape
from seqlab.models.recurrent import CHRONO
from seqlab.studies.mnist.params import MnistParams
from seqlab.judging.verdicts import binomial_se

STUDY = "mnist"
CONTENTS = "sequential MNIST"

# Published pixel-by-pixel MNIST test accuracies, each trained on the full 60,000 training
# images: the anchors the report shows beside this run's numbers (citations, not results).
ANCHORS = [
    ("LSTM", "98.9%", "Cooijmans et al. 2016, Recurrent Batch Normalization"),
    ("tanh-RNN", "35%", "Cooijmans et al. 2016"),
    ("LSTM", "87.2%", "Bai et al. 2018, An Empirical Evaluation of Generic Convolutional and Recurrent Networks"),
    ("GRU", "96.2%", "Bai et al. 2018"),
]


def above_chance(chance: float, n_test: int) -> float:
    """The accuracy two binomial standard errors above chance on ``n_test`` images: a model
    scoring more than this has learned something beyond naming the commonest class."""
    return chance + 2 * math.sqrt(chance * (1 - chance) / n_test)


def _gate_init(schedules: dict) -> str:
    """How each view's gate biases start, in words."""
    parts = []
    for view, s in schedules.items():
        steps = view_shape(view)[0]
        if s.forget_bias == CHRONO:
            parts.append(f"**{view}** chrono initialisation (Tallec & Ollivier 2018): each unit's LSTM forget-gate "
                         f"bias, and the GRU's update-gate bias, is log u with u ~ U(1, {steps - 1}), and the LSTM "
                         f"input-gate bias is −log u, so the gated cells start with memories that span all {steps} "
                         "steps")
        else:
            parts.append(f"**{view}** every LSTM forget-gate bias at {s.forget_bias:g}, the GRU with torch's "
                         "initialisation")
    return ("Gate biases start per view (`mnist.train.schedule.<view>.forget_bias`; the RNN has no gate to set): "
            + "; ".join(parts) + ". At a forget bias of 1 a gate of 0.73 shrinks a digit's gradient by about 1e-14 "
            "across the ~100 blank pixels at the foot of an image")


def _per_cell(classifiers: pd.DataFrame, chosen: dict, above: float) -> str:
    """Per cell and view: the test accuracy of the model chosen on validation, and how many of the
    cell's models beat chance."""
    rows = []
    for kind in KINDS:
        runs = classifiers[classifiers["kind"] == kind]
        if runs.empty:
            continue
        row = {"model": kind.upper()}
        for view, g in runs.groupby("view", sort=False):
            pick = g[g["name"] == chosen[view][kind]].iloc[0]
            row[f"{view}: chosen on validation"] = f"{pick['test_acc']:.3f} ({pick['hidden']} {pick['direction']})"
            row[f"{view}: above chance"] = f"{int((g['test_acc'] > above).sum())} of {len(g)}"
        rows.append(row)
    return table(rows)


def _pixel_note(classifiers: pd.DataFrame, source: str, n_test: int, workers: int, above: float) -> str:
    """How far this run's pixel models got, and what the anchors' budget would cost at the speed
    measured here."""
    pixel = classifiers[classifiers["view"] == "pixel"].sort_values("test_acc")
    if pixel.empty:
        return ""
    lo, hi = pixel.iloc[0], pixel.iloc[-1]
    steps_per_epoch = math.ceil(60_000 / lo["batch_size"])
    hours = steps_per_epoch * (1 / pixel["steps_per_second"]).sum() / workers / 3600
    return (f"This run's pixel-by-pixel models trained for {lo['steps']:,} Adam steps of {lo['batch_size']} images "
            f"({lo['n_train']:,} `{source}` training images, {lo['epochs']} epoch(s)); the anchors trained to "
            f"convergence on all 60,000. Test accuracy ranges from {lo['test_acc']:.3f} ({lo['name']}) to "
            f"{hi['test_acc']:.3f} ({hi['name']}); {int((pixel['test_acc'] > above).sum())} of {len(pixel)} score "
            f"above {above:.3f}, two standard errors over chance on {n_test:,} test images. At the speed measured in "
            f"this run, one epoch over 60,000 images at this batch size would take the {len(pixel)} pixel models "
            f"about {hours:.1f} hours on this machine, {workers} at a time. So these numbers show where each cell "
            "stands after a small CPU budget, not its ceiling.")


def section(p: MnistParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    data, chance, workers = res["data"], res["chance"], res["workers"]
    n_test = data["sizes"]["test"]
    above = above_chance(chance, n_test)
    runs = pd.DataFrame(res["runs"])
    classifiers = runs[runs["kind"] != "autoencoder"]
    ae = runs[runs["kind"] == "autoencoder"].iloc[0]
    best = runs[runs["name"] == res["best"]].iloc[0]
    row_pick = {k: runs[runs["name"] == n].iloc[0] for k, n in res["chosen"].get("row", {}).items()}
    counts = pd.DataFrame({split: data["class_counts"][split] for split in ("train", "val", "test")},
                          index=pd.Index(data["class_names"], name="class")).reset_index()
    budget = "; ".join(f"**{v}**: {r['epochs']} epoch(s) over {r['n_train']:,} images in batches of "
                       f"{r['batch_size']} ({r['steps']:,} Adam steps)"
                       for v, r in classifiers.groupby("view", sort=False).first().iterrows())
    results = classifiers.assign(model=lambda d: d["kind"].str.upper()).rename(columns={"n_train": "train images"})
    se = results["test_acc"].map(lambda a: binomial_se(a, n_test))
    results = results.assign(**{"test accuracy": results["test_acc"].map("{:.3f}".format) + " ± " + se.map("{:.3f}".format),
                                "train time (s)": results["train_seconds"].map("{:.0f}".format),
                                "steps/s": results["steps_per_second"].map("{:.1f}".format)})
    results = results[["view", "model", "hidden", "direction", "parameters", "train images", "epochs", "steps",
                       "test accuracy", "train time (s)", "steps/s"]]
    a = p.autoencoder
    return [
        "## Sequential MNIST: images read as sequences",
        "",
        f"Source `{data['source']}`: a pool of {data['pool']:,} images, split (seeded, stratified, disjoint) into "
        f"{data['sizes']['train']:,} train / {data['sizes']['val']:,} validation / {n_test:,} test. Row by row is "
        "28 steps of 28 pixels; pixel by pixel is 784 steps of one pixel.",
        "",
        "<details><summary>Images per class and split</summary>",
        "",
        counts.to_markdown(index=False),
        "",
        "</details>",
        "",
        f"What this run's classifiers trained on: {budget}. Adam lr {p.train.lr}, weight decay "
        f"{p.train.weight_decay}, gradient norm clipped at {p.train.clip_norm:g}, seed {p.train.seed}. "
        f"{_gate_init(p.schedules)}. `mnist.data.full: true` trains every view on the whole training split.",
        "",
        f"Best classifier (chosen on validation accuracy, ties to fewer parameters; never on test): **{best['model']}**, test accuracy "
        f"{best['test_acc']:.3f}. Chance, naming the commonest test class, is {chance:.3f}; two standard errors "
        f"above it is {above:.3f}.",
        "",
        "### Classifiers",
        "",
        _per_cell(classifiers, res["chosen"], above),
        "",
        results.to_markdown(index=False, disable_numparse=True),
        "",
        f"Steps/s is training steps (forward, backward, Adam; each epoch's validation and test scoring included) per "
        f"second of wall time, with {workers} run(s) training side by side (`compute.workers` on a CPU, one thread "
        "each; one at a time on a GPU).",
        "",
        f"Test accuracy is ± one binomial standard error on {n_test:,} images. The learning curves score the test "
        "split at the end of every epoch for display only; the best model is chosen on validation.",
        "",
        *[fig(STUDY, f"curves_{v}.png", f"{v} learning curves") + "\n" for v in p.classifiers.views],
        fig(STUDY, "confusion_best.png", "Confusion matrix of the best classifier"),
        "",
        "### Published anchors (quoted from the papers, not run here: pixel by pixel, full 60,000-image training set)",
        "",
        pd.DataFrame(ANCHORS, columns=["model", "test accuracy", "source"]).to_markdown(index=False),
        "",
        _pixel_note(classifiers, data["source"], n_test, workers, above),
        "",
        "### LSTM autoencoder",
        "",
        f"Encoder LSTM (hidden {a.hidden}) over the 28 rows → latent of {a.latent} → decoder LSTM that rebuilds the "
        f"rows; a classifier (dropout {a.dropout}) on the latent, trained jointly with loss = {a.recon_weight} × "
        f"reconstruction MSE + cross-entropy, {a.epochs} epochs in batches of {a.batch_size}, Adam lr {a.lr}, "
        f"{'chrono gate initialisation' if a.forget_bias == CHRONO else f'forget-gate bias {a.forget_bias:g}'}. Test "
        f"reconstruction MSE **{ae['recon_mse']:.4f}** (per pixel, intensities in [0, 1]); test accuracy "
        f"**{ae['test_acc']:.3f}** (validation {ae['val_acc']:.3f}), beside the row-by-row classifiers "
        f"chosen on validation ({', '.join(f'{k.upper()} {r.test_acc:.3f}' for k, r in row_pick.items())}). The "
        "LSTM-AE course report's 99.04% (quoted) is Keras's binary accuracy over ten sigmoid outputs, not a ten-way "
        "accuracy; the ledger says what it can be compared with (`mnist.autoencoder_9904`).",
        "",
        fig(STUDY, "autoencoder_reconstructions.png", "Test digits above their reconstructions"),
        "",
        "MLflow experiment `mnist`: a parent run per view with a child run per classifier, and one run for the "
        "autoencoder.",
        "",
    ]
