"""The report's part on the LSTM-AE course's own protocols (stages lstmae_course_*), read from
reports/lstmae_course/results.json and the recorded sweep of the course's synthetic grid."""

from __future__ import annotations

from pathlib import Path

from seqlab.present.markdown import fig, recorded_sweep, table
from seqlab.studies.lstmae import course_criteria as cc

STUDY = "lstmae_course"
SWEEP = Path("sweeps") / STUDY  # python -m seqlab.tools.experiment_grid --out sweeps/lstmae_course (docs/experiments.md)
QUOTED = "0.0003"


def _falling(curve: list[float]) -> str:
    state = cc.still_falling(curve)
    return "–" if state is None else "yes" if state else "no"


def _deviations(devs: list[str]) -> str:
    return "; ".join(devs) if devs else "none: the course's sizes"


def synthetic_part(r: dict) -> list[str]:
    p, floor = r["params"], r["plateau"]["val"]
    rows = []
    for run in [*r["runs"], *r["variants"]]:
        escape = cc.escape_epoch(run["val_loss_curve"], floor)
        rows.append({"run": run["label"] + (" (chosen)" if run["label"] == r["chosen"] else ""), "seed": run["seed"],
                     "validation MSE": f"{run['val_mse']:.5f}", "test MSE": f"{run['test_mse']:.5f}",
                     "training MSE": f"{run['train_mse']:.5f}", "left the plateau at epoch": escape or "never",
                     "still falling": _falling(run["val_loss_curve"]), "seconds": f"{run['train_seconds']:.0f}"})
    d, t = p["data"], p["train"]
    return [
        "### The course's protocols, as its code ran them",
        "",
        "The report's author's code (`yaelsarsha/LSTM-AutoEncoder@7633b39`: `lstm_ae_toy.py`, `lstm_ae_mnist.py`, "
        "`lstm_ae_snp500.py`) re-written in torch with Keras's LSTM, initialisers, Adam and fit loop. The ledger "
        "judges every claim of the report here; seqlab's own runs above are the corrected answers beside them.",
        "",
        "#### Synthetic signals",
        "",
        f"{d['n']:,} signals of {d['length']} values from U[0, 1], each min-max scaled to [0, 1] and shifted to mean "
        f"0.5 (no dip), split {r['sizes']['train']:,} / {r['sizes']['val']:,} / {r['sizes']['test']:,} in order. "
        "Keras's `LSTM(H)` → `RepeatVector` → `LSTM(H)` → `Dense(1, tanh)`: the code is the encoder's last state. "
        f"Batch {t['batch_size']}, {t['epochs']} epochs ({r['steps_per_epoch']} steps each), Keras's Adam. Predicting "
        f"each signal's own mean scores {floor:.4f} on validation: a run sits on that plateau until it learns more "
        f"than the mean. The report's \"loss function error\" is {QUOTED} (quoted), read off its loss graph. "
        f"Deviations: {_deviations(r['deviations'])}.",
        "",
        table(rows),
        "",
        fig(STUDY, "synthetic.png", "Synthetic signals as the course ran them: loss per epoch"),
        "",
        "The course's grid (hidden 32, 64, 128, 256 × lr 0.05, 0.01, 0.005, 0.001, 0.0005), recorded once as queued "
        "DVC experiments at one seed and chosen on validation (not part of `dvc repro`):",
        "",
        *recorded_sweep(SWEEP, "No sweep of the course's grid has been recorded: `sweeps/lstmae_course/` holds no "
                               "`sweep.json` (docs/experiments.md queues it)."),
    ]


def mnist_part(r: dict) -> list[str]:
    runs, n = r["runs"], r["sizes"]
    recon = [{"run": name, "epochs": run["epochs"], "validation MSE": f"{run['val_mse']:.5f}",
              "test MSE": f"{run['test_mse']:.5f}", "still falling": _falling(run["val_loss_curve"]),
              "seconds": f"{run['train_seconds']:.0f}"}
             for name in ("recon_row", "recon_row_short", "recon_pixel") if name in runs for run in runs[name]]
    clf = [{"run": name, "ten-way validation accuracy": f"{run['val']['acc']:.4f}",
            "Keras-binary validation accuracy": f"{run['val']['binary_acc']:.4f}",
            "training accuracy as Keras printed it": f"{run['keras_train_acc']:.4f}",
            "training accuracy, eval mode": f"{run['train']['acc']:.4f}", "test accuracy": f"{run['test']['acc']:.4f}",
            "seconds": f"{run['train_seconds']:.0f}"}
           for name in ("classifier_dropout", "classifier_no_dropout") for run in runs[name]]
    return [
        "#### MNIST",
        "",
        f"On the MNIST study's splits (`{r['source']}`: {n['train']:,} / {n['val']:,} / {n['test']:,}). "
        "Reconstruction as `question1` ran it (hidden 64, lr 0.01, batch 64, `Dense(28, tanh)`), row by row, and "
        "the same model pixel by pixel beside a row-by-row run of as many epochs. The classifier as `question2` "
        "ran it: recurrent dropout 0.2 in both LSTMs, binary cross-entropy on one-hot labels through 10 sigmoids, "
        "Adam at Keras's default 0.001 (the code never set the lr the report names), and the same without dropout. "
        "Keras printed the last epoch's running training accuracy, taken with dropout on; the eval-mode column "
        f"scores the final weights. Deviations: {_deviations(r['deviations'])}.",
        "",
        table(recon),
        "",
        table(clf),
        "",
        fig(STUDY, "mnist.png", "MNIST as the course ran it: reconstruction and classifier curves"),
        "",
    ]


def prices_part(r: dict) -> list[str]:
    m, runs = r["meta"], r["runs"]
    rec, pred = runs["reconstruct"], runs["predict"]
    w = m["windows"]
    column = m["column"] + (f" ({m['column_note']})" if m["column_note"] else "")
    p = r["params"]
    return [
        "#### S&P 500 windows",
        "",
        f"`{m['source']}`, the {column}: {m['tickers_in_source']} tickers, of which the course's filter (a price on "
        f"every one of the {m['days_in_union']:,} dates) keeps {m['kept']}, split alphabetically "
        f"{m['split']['train']} / {m['split']['val']} / {m['split']['test']}. Windows of {p['data']['days']} days "
        "drawn as the course drew them (a ticker with replacement, a start, the window min-max scaled over all its "
        f"days): {w['reconstruct']['windows']:,} and {w['predict']['windows']:,} for training, "
        f"{w['val']['windows']} and {w['test']['windows']} for validation and test; hidden {p['size']['hidden']}, "
        f"{p['size']['epochs']} epochs of batch {p['train']['batch_size']} (`scale: {p['scale']}`). "
        f"Deviations: {_deviations(r['deviations'])}.",
        "",
        table([
            {"model": "reconstruction (question 2, Dense tanh)", "test MSE": f"{rec['test_mse']:.5f}",
             "flat (each window's mean)": f"{rec['test_flat_mse']:.5f}", "still falling": _falling(rec["val_loss_curve"])},
            {"model": "prediction (question 3): its reconstruction branch", "test MSE": f"{pred['test_recon_mse']:.5f}",
             "flat (each window's mean)": "", "still falling": _falling(pred["val_recon"])},
            {"model": "prediction (question 3): its prediction branch, all N days", "test MSE":
             f"{pred['test_predict_mse']:.5f}", "flat (each window's mean)": "", "still falling": _falling(pred["val_predict"])},
            {"model": "prediction branch, the unseen last day only", "test MSE": f"{pred['last_day_mse']:.5f}",
             "flat (each window's mean)": f"tomorrow = today: {pred['naive_last_day_mse']:.5f}", "still falling": ""},
        ]),
        "",
        "The course's prediction branch outputs all N days from the first N − 1, so all but one of its targets are "
        "in its input; only the last day is a prediction. The window's min-max scaling includes that day: in "
        f"{pred['leak_share']:.1%} of the test windows it is the window's strict maximum or minimum, so its scaled "
        "value is exactly 1 or 0 and the inputs show that they stop short of it.",
        "",
        fig(STUDY, "prices.png", "S&P 500 windows as the course ran them: the two models' curves"),
        "",
    ]


def course_section(r: dict) -> list[str]:
    return [*synthetic_part(r["synthetic"]), *mnist_part(r["mnist"]), *prices_part(r["prices"])]
