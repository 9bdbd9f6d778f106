"""The report's sequential-MNIST section, read from the study's stage outputs only."""

from __future__ import annotations

import json

import pandas as pd

from seqlab import paths
from seqlab.report_algorithmic import fig

# Published pixel-by-pixel MNIST test accuracies, each trained on the full 60,000 training
# images: the anchors the report shows beside this run's numbers (citations, not results).
ANCHORS = [
    ("LSTM", "98.9%", "Cooijmans et al. 2016, Recurrent Batch Normalization"),
    ("tanh-RNN", "35%", "Cooijmans et al. 2016"),
    ("LSTM", "87.2%", "Bai et al. 2018, An Empirical Evaluation of Generic Convolutional and Recurrent Networks"),
    ("GRU", "96.2%", "Bai et al. 2018"),
]


def mnist_section(p) -> list[str]:
    res = json.loads(paths.study_results("mnist").read_text())
    data = res["data"]
    runs = pd.DataFrame(res["runs"])
    names = data["class_names"]
    balance = ", ".join(f"{n}: {c}" for n, c in zip(names, data["class_counts"]["train"]))
    table = runs[runs["kind"] != "autoencoder"].assign(
        model=lambda d: d["kind"].str.upper(), **{"test accuracy": lambda d: d["test_acc"].map("{:.3f}".format),
                                                   "train time (s)": lambda d: d["train_seconds"].map("{:.0f}".format),
                                                   "steps/s": lambda d: d["steps_per_second"].map("{:.1f}".format)})
    table = table[["view", "model", "hidden", "direction", "parameters", "n_train", "epochs", "test accuracy",
                   "train time (s)", "steps/s"]].rename(columns={"n_train": "train images"})
    ae = runs[runs["kind"] == "autoencoder"].iloc[0]
    best = runs[runs["name"] == res["best"]].iloc[0]
    by_view = runs[runs["kind"] != "autoencoder"].groupby("view")["test_acc"].max()
    a = p.autoencoder
    views = ", ".join(f"{v}: {p.schedules[v].epochs} epoch(s) on "
                      + (f"{p.schedules[v].n_train:,}" if p.schedules[v].n_train and not p.data.full else "all")
                      + " training images" for v in p.views)
    return [
        "## Sequential MNIST: images read as sequences",
        "",
        f"Source `{data['source']}`: {data['pool']:,} images, split (seeded, stratified, disjoint) into "
        f"{data['sizes']['train']:,} train / {data['sizes']['val']:,} validation / {data['sizes']['test']:,} test. "
        f"Training-split class counts: {balance}. "
        "Row by row is 28 steps of 28 pixels; pixel by pixel is 784 steps of one pixel. "
        f"What the defaults train on — {views}; batch {p.optim.batch_size}, Adam lr {p.optim.lr}, weight decay "
        f"{p.optim.weight_decay}, seed {p.seed}. `mnist.data.full: true` trains every view on the whole training split.",
        "",
        f"Best classifier (chosen on validation accuracy): **{best['model'] if 'model' in best else best['name']}**, "
        f"test accuracy {best['test_acc']:.3f}; best test accuracy per view: "
        + ", ".join(f"{v} {acc:.3f}" for v, acc in by_view.items()) + ".",
        "",
        "### Classifiers",
        "",
        table.to_markdown(index=False, disable_numparse=True),
        "",
        "Steps/s is training steps (forward, backward, Adam) per second of wall time, with two runs training side "
        "by side on one CPU thread each.",
        "",
        *[fig("mnist", f"curves_{v}.png", f"{v} learning curves") + "\n" for v in p.views],
        fig("mnist", "confusion_best.png", "Confusion matrix of the best classifier"),
        "",
        "### Published anchors (pixel by pixel, full 60,000-image training set)",
        "",
        pd.DataFrame(ANCHORS, columns=["model", "test accuracy", "source"]).to_markdown(index=False),
        "",
        f"This run's pixel-by-pixel numbers come from {p.schedules['pixel'].n_train or 'all'} training images and "
        f"{p.schedules['pixel'].epochs} epoch(s) (source `{data['source']}`), so they measure how far each cell gets on a "
        "small CPU budget, not its ceiling." if "pixel" in p.views else "",
        "",
        "### LSTM autoencoder",
        "",
        f"Encoder LSTM (hidden {a.hidden}) over the 28 rows → latent of {a.latent} → decoder LSTM that rebuilds the "
        f"rows; a classifier (dropout {a.dropout}) on the latent, trained jointly with loss = {a.recon_weight} × "
        f"reconstruction MSE + cross-entropy, {a.epochs} epochs. Test reconstruction MSE **{ae['recon_mse']:.4f}** "
        f"(per pixel, intensities in [0, 1]); test accuracy **{ae['test_acc']:.3f}**, beside the best row-by-row "
        f"classifier's {by_view.get('row', float('nan')):.3f}. The course report reached 99.04% validation accuracy on "
        "the full MNIST.",
        "",
        fig("mnist", "autoencoder_reconstructions.png", "Test digits above their reconstructions"),
        "",
        "MLflow experiment `mnist`: a parent run per view and one for the autoencoder, a child run per model.",
        "",
    ]
