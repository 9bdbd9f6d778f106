"""The report's sequential-MNIST section, read from the study's stage outputs only, and the recorded
sweeps its two gate inits were chosen on (sweeps/mnist_*_init), where committed."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, recorded_sweep, table
from seqlab.models.image import KINDS, view_shape
from seqlab.models.recurrent import CHRONO
from seqlab.studies.mnist.course.params import COURSE_RUN, COURSE_TEST_IMAGES, COURSE_TRAIN_IMAGES, REPORT_VS_CODE
from seqlab.studies.mnist.course.params import STUDY as COURSE_STUDY
from seqlab.studies.mnist.params import MnistParams
from seqlab.judging.verdicts import accuracy_se, binomial_se

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
        "LSTM-AE course report's 99.04% (quoted) came from a classification-only network; the ledger judges it on "
        "that network as the course ran it (`lstmae.course_mnist_9904`), with this autoencoder's accuracy beside it.",
        "",
        fig(STUDY, "autoencoder_reconstructions.png", "Test digits above their reconstructions"),
        "",
        "MLflow experiment `mnist`: a parent run per view with a child run per classifier, and one run for the "
        "autoencoder.",
        "",
        *init_choice(),
        *course_section(res),
    ]


# The recorded sweeps the two gate inits were chosen on: inputs the user commits
# (python -m seqlab.tools.experiment_grid --out sweeps/<name>), not stage outputs.
INIT_SWEEPS = (
    ("mnist_row_init", "The row view's gate init (`mnist.train.schedule.row.forget_bias`), on the mean final "
                       "validation accuracy of the row classifiers (`views.row.val_acc_mean`)"),
    ("mnist_autoencoder_init", "The autoencoder's gate init (`mnist.autoencoder.forget_bias`), on its validation "
                               "reconstruction MSE (`autoencoder.val_recon_mse`)"),
)


def init_choice() -> list[str]:
    """How the two gate inits in params.yaml were chosen: each a recorded sweep of DVC experiments,
    chosen on a validation metric (the recording tool refuses a test one)."""
    lines = ["### How the gate inits were chosen: on validation", "",
             "Each setting below was chosen by queued DVC experiments (only the row view trained, "
             "`-S mnist.classifiers.views=[row]`, to keep them short) and recorded with "
             "`python -m seqlab.tools.experiment_grid`; the test column is shown, never used.", ""]
    for name, what in INIT_SWEEPS:
        lines += [f"**{what}.**", "", *recorded_sweep(
            Path("sweeps") / name, f"No sweep has been recorded: `sweeps/{name}/` holds no `sweep.json`, so this "
            "setting is as params.yaml states, unchosen by any recorded sweep.")]
    return lines


# --- the EE6132 course's protocol (stages mnist_course_*) ------------------------------------------


def _course_table(course: dict, res: dict) -> str:
    """The course's nine models beside seqlab's unidirectional row model of the same kind and widths."""
    n_test, grid_n = course["n_test"], res["data"]["sizes"]["test"]
    grid = {(r["kind"], r["hidden"]): r for r in res["runs"]
            if r["kind"] != "autoencoder" and r["view"] == "row" and r["direction"] == "uni"}
    first_seed = {}  # each model's first seed's run: its score at the course's last plotted point
    for r in course["runs"]:
        first_seed.setdefault((r["kind"], r["label"]), r)
    rows = []
    for m in course["models"]:
        g = grid.get((m["kind"], "x".join(map(str, m["layout"]))))
        first = first_seed[(m["kind"], m["label"])]
        rows.append({
            "model": m["kind"].upper(), "course's -l": m["label"], "trained parameters": f"{m['parameters']:,}",
            "frozen": f"{m['frozen_elements']:,}" if m["frozen_elements"] else "",
            f"test, update {course['params']['steps']:,}":
                f"{m['test_acc']:.3f} ± {accuracy_se(m['test_acc_seeds'], n_test):.3f}",
            f"test, update {first['course_last_step']:,} (seed {first['seed']})":
                f"{first['course_last_test_acc']:.3f}",
            "validation": f"{m['val_acc']:.3f}",
            "seqlab: model": f"{g['kind'].upper()} {g['hidden']}" if g else "",
            "seqlab: parameters": f"{g['parameters']:,}" if g else "",
            "seqlab: test": f"{g['test_acc']:.3f} ± {binomial_se(g['test_acc'], grid_n):.3f}" if g else "",
        })
    return table(rows)


def course_section(res: dict) -> list[str]:
    """The course protocol's subsection, from mnist_course_evaluate's outputs and, beside them,
    seqlab's grid (``res``: mnist_evaluate's)."""
    course = read_json(paths.study_results(COURSE_STUDY))
    prm, n_train = course["params"], course["data"]["sizes"]["train"]
    seconds = sum(r["train_seconds"] for r in course["runs"])
    seqlab_row = next(r for r in res["runs"] if r["view"] == "row" and r["kind"] != "autoencoder")
    return [
        "### The course's protocol: EE6132's q1.py as it ran",
        "",
        "The EE6132 report's Question 1 trains its MNIST classifiers with `q1.py` (`varun19299/EE6132-DL`, "
        "`assign-3`, commit 54d1096). Its code, quoted here and reproduced by stages `mnist_course_train` and "
        "`mnist_course_evaluate`: one unidirectional `nn.RNN` (tanh), `nn.LSTM` or `nn.GRU` layer reading an image's "
        "28 rows, `nn.Linear(H, 10)` on the last row's output, torch's default initialisation; Adam at lr "
        f"{COURSE_RUN['lr']:g} with default betas, no weight decay, no gradient clipping; {COURSE_RUN['steps']} "
        "updates "
        f"of batch {COURSE_RUN['batch_size']} (one epoch of the {COURSE_TRAIN_IMAGES:,} MNIST training images); its "
        f"first {COURSE_TEST_IMAGES:,} test images scored every {COURSE_RUN['eval_every']} steps. Its \"(64, 64)\" "
        "model keeps a `nn.Linear(28, 64)` in a plain Python dict, which torch never registers: the map stays at its "
        "random initialisation, untrained, in front of one recurrent layer of 64. It is kept here as a frozen map "
        "(buffers, in the checkpoint, outside the trained parameters). It adds no trainable layer. The recurrent layer "
        "reads 64 frozen features of each row instead of its 28 pixels, so it has more weights, but it computes "
        "the same functions as the 64 model: a 64 × 28 map of full rank loses nothing.",
        "",
        f"This run: {prm['steps']:,} updates of batch {prm['batch_size']} at lr {prm['lr']:g} on the {n_train:,} "
        f"`{course['data']['source']}` training images above ({prm['steps'] * prm['batch_size'] / n_train:.1f} passes "
        f"where the course made one), seed(s) {', '.join(map(str, prm['seeds']))}. The test split "
        f"({course['n_test']:,} "
        f"images) and the validation split ({course['n_val']:,}) are scored after updates "
        f"{', '.join(map(str, course['points'][:3]))}, …, {course['points'][-1]:,}. The course plotted up to "
        f"update {course['runs'][0]['course_last_step']:,}; the table also gives the final update, and the ledger "
        f"judges that. Training took {seconds:.0f} s in all, {course['workers']} run(s) at a time. No model is "
        "chosen: the course compared every curve. Beside each model is seqlab's unidirectional row model of the "
        f"same kind and widths ({seqlab_row['epochs']} epochs of batch {seqlab_row['batch_size']}, its own protocol "
        "above). There, 64x64 is two stacked trainable layers.",
        "",
        _course_table(course, res),
        "",
        "Test accuracy is ± one standard error: binomial on the test images, with the seeds' spread where there are "
        "several.",
        "",
        fig(COURSE_STUDY, "curves.png", "Each course model's test accuracy, training-batch loss and test loss"),
        "",
        fig(COURSE_STUDY, "final_accuracy.png", "Final test accuracy of the course's models"),
        "",
        "Where the report (quoted) and the code that ran disagree; these stages follow the code:",
        "",
        *[f"- \"{quote}\": {code}." for quote, code in REPORT_VS_CODE],
        "",
        "The ledger judges the report's two claims about these models on this protocol "
        "(`mnist.comparable_except_rnn`, `mnist.layers_and_lstm_help`), with seqlab's grid as the corrected answer. "
        "MLflow experiment `mnist_course`: one parent run with a child run per model and seed.",
        "",
    ]
