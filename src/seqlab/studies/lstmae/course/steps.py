"""Stages lstmae_course_<step>: the LSTM-AE course's three parts as its scripts ran them
(lstm_ae_toy.py, lstm_ae_mnist.py, lstm_ae_snp500.py @7633b39), then every run scored.

    python -m seqlab.studies.lstmae.course.steps {synthetic,mnist,prices,evaluate}

Every run is Keras's ``model.fit`` in torch: a fresh shuffle per epoch, Keras's Adam
(update.KerasStep), the validation set scored after every epoch, and the training curve as
Keras's ``history['loss']`` (the epoch's batch losses, each taken before its update, weighted by
batch size). The synthetic signals are drawn in the steps that need them (10,000 x 50 values take
milliseconds and come back bit for bit); the MNIST runs read the MNIST study's splits; the price
windows are drawn once, by the prices step, and saved beside its models for evaluate.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.files import read_json, write_json
from seqlab.judging.metrics import ACCURACY, Metric, mean_std
from seqlab.studies.lstmae.course.data import SPLITS, course_signals, course_split, course_windows, leak_share
from seqlab.studies.lstmae.course.network import (
    BINARY_ACCURACY,
    CourseClassifierConfig,
    KerasLSTMAEConfig,
    KerasPredictAEConfig,
    trainable_parameters,
)
from seqlab.studies.lstmae.course.params import (
    COURSE_MNIST,
    COURSE_PRICES,
    COURSE_SYNTHETIC,
    CourseParams,
    Mnist,
    Prices,
    Synthetic,
    Variant,
)
from seqlab.studies.lstmae.course.update import KERAS_EPSILON, KerasStep, epoch_means
from seqlab.tasks import mnist as mnist_data
from seqlab.tasks import prices as price_data
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

STUDY = "lstmae_course"  # its outputs: models/lstmae_course/, reports/lstmae_course/, ...
EXPERIMENT = "lstmae_course"  # MLflow
SYNTHETIC, MNIST, PRICES = "synthetic", "mnist", "prices"
WINDOWS = "windows.npz"  # the prices step's validation and test windows, for evaluate
# Keras's 'mse' per item: the mean over its T x F values, (B, T, F) -> (B,)
ITEM_MSE = Metric("mse", lambda out, y: ((out - y) ** 2).flatten(1).mean(1), higher_is_better=False, bounded=False)


def per_item_mse(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Each item's reconstruction MSE in eval mode: (n,). An autoencoder's own input is its target."""
    model.eval()
    with torch.no_grad():
        return torch.cat([ITEM_MSE.per_sample(model(x[i : i + batch_size])[0], x[i : i + batch_size])
                          for i in range(0, len(x), batch_size)]).double().numpy()


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """The mean of per-item values and its standard error."""
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def fit_keras(net, train, val, epochs: int, batch_size: int, lr: float, seed: int, name: str,
              clip_value: float | None = None, metric: Metric = ITEM_MSE, terms=None, on_eval=None):
    """``model.fit(epochs=..., batch_size=..., validation_data=val)``: validation after every epoch."""
    per_epoch = math.ceil(len(train[0]) / batch_size)  # Keras's last batch is short
    # clip_norm is unused: KerasStep clips by value, if at all
    cfg = FitConfig(epochs * per_epoch, batch_size, lr, math.inf, per_epoch)
    return fit(net, train, val, cfg, seed, name=name, progress=False, metric=metric, on_eval=on_eval,
               step=KerasStep(net, lr, clip_value, metric=metric if metric is not ITEM_MSE else None, terms=terms))


def epoch_curve(frame: pd.DataFrame, n_train: int, batch_size: int, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """A run's history per epoch, as Keras's History held it: ``train_loss`` (the epoch's running
    loss), ``val_loss`` (the validation set at the epoch's end, in eval mode), and any ``extra``
    training scalars (as running means) and validation series."""
    evals = frame.dropna(subset=["val_loss"])  # one row per epoch: its last step
    out = {"epoch": np.arange(1, len(evals) + 1), "step": evals["step"].to_numpy(),
           "train_loss": epoch_means(frame["train_loss"].tolist(), n_train, batch_size),
           "val_loss": evals["val_loss"].to_numpy()}
    for col in extra:
        out[col] = (epoch_means(frame[col].tolist(), n_train, batch_size) if col.startswith("train_")
                    else evals[col].to_numpy())
    return pd.DataFrame(out)


def curve_lists(curve: pd.DataFrame, *cols: str) -> dict[str, list[float]]:
    """Per-epoch series for results.json: what the claims read to tell whether a run was still
    falling or when it left the plateau (the criteria live with the claims, not here)."""
    return {f"{col}_curve": curve[col].round(8).tolist() for col in cols}


def workers(p: CourseParams, device_key: str, device: str) -> int:
    return workers_for(resolve_device(device, device_key), p.runtime.workers)


# --- synthetic signals (lstm_ae_toy.py) ----------------------------------------------------------

SYN_DEVICE = "lstmae.course.synthetic.train.device"


def synthetic_dir(run: Variant, seed: int) -> Path:
    return paths.run_dir(STUDY, SYNTHETIC, run.label, seed=seed)


def signals(s: Synthetic) -> dict[str, torch.Tensor]:
    """The course's train / val / test signals, (n_split, T, 1) each."""
    x = torch.from_numpy(course_signals(s.data.n, s.data.length, np.random.default_rng(s.data.seed)))
    return dict(zip(SPLITS, (x[part] for part in course_split(s.data.n))))


def synthetic_jobs(s: Synthetic) -> list[tuple[Synthetic, Variant, int]]:
    """The chosen run at every seed, then each variant at variant_seed."""
    return ([(s, s.chosen(), seed) for seed in s.train.seeds] + [(s, v, s.variant_seed) for v in s.runs()])


def _synthetic_job(job: tuple[Synthetic, Variant, int]) -> RunResult:
    s, run, seed = job
    device = resolve_device(s.train.device, SYN_DEVICE)
    data = {k: v.to(device) for k, v in signals(s).items()}
    seed_everything(seed)  # the initial weights depend on the seed alone
    net = KerasLSTMAEConfig(s.data.length, run.hidden).build().to(device)  # Dense(1, tanh), as toy.py
    hist = fit_keras(net, (data["train"], data["train"]), (data["val"], data["val"]), s.train.epochs,
                     s.train.batch_size, run.lr, seed, f"lstmae course synthetic {run.label}", run.clip_value)
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, trainable_parameters(net))


def train_synthetic(p: CourseParams, tracker=None) -> None:
    """The chosen run per seed and each variant, ``compute.workers`` at a time."""
    s = p.course.synthetic
    d, t = s.data, s.train
    jobs = synthetic_jobs(s)
    # the big-H runs first, so that two workers finish together
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i][1].hidden)
    done = run_parallel(_synthetic_job, [jobs[i] for i in order], workers(p, SYN_DEVICE, t.device),
                        f"{STUDY} {SYNTHETIC}")
    results = [None] * len(jobs)
    for i, result in zip(order, done):
        results[i] = result
    base = {"protocol": "course", "part": SYNTHETIC, "model": "keras_lstm_ae", "n": d.n, "length": d.length,
            "data_seed": d.seed, "split": "60/20/20 in order", "init": "keras",
            "optimizer": f"keras adam (eps {KERAS_EPSILON})", "batch_size": t.batch_size, "epochs": t.epochs}
    for (_, run, seed), result in zip(jobs, results):
        params = {**base, "hidden": run.hidden, "lr": run.lr, "seed": seed,
                  "clip_value": "none" if run.clip_value is None else run.clip_value}
        record_run(synthetic_dir(run, seed), KerasLSTMAEConfig(d.length, run.hidden), result, tracker,
                   f"course-synthetic-{run.label}-seed{seed}", params)


def plateau(x: torch.Tensor) -> float:
    """The MSE of predicting each signal's own mean: its variance, averaged over the signals.
    An autoencoder that has learnt nothing but the mean (0.5 for every course signal) sits here."""
    return x.double().var(dim=1, unbiased=False).mean().item()


def score_synthetic_run(s: Synthetic, run: Variant, seed: int, data: dict, tracker=None) -> tuple[dict, pd.DataFrame]:
    """A run's final weights on every split (per-signal means and SEs, for the over-fitting and
    comparison criteria) and its per-epoch curve."""
    d = synthetic_dir(run, seed)
    model = KerasLSTMAEConfig.load(d / CHECKPOINT)
    scores = {}
    for split in SPLITS:
        values = per_item_mse(model, data[split])
        mean, se = mean_se(values)
        scores[split] = {"mse": round(mean, 8), "se": round(se, 8), "sd": round(float(values.std(ddof=1)), 8),
                         "n": len(values)}
    curve = epoch_curve(pd.read_csv(d / HISTORY), len(data["train"]), s.train.batch_size)
    info = read_json(d / RUN)
    if tracker and info["run_id"]:
        tracker.log_metrics(info["run_id"], {f"{k}_mse": v["mse"] for k, v in scores.items()})
    row = {"label": run.label, "hidden": run.hidden, "lr": run.lr, "clip_value": run.clip_value, "seed": seed,
           **{f"{k}_mse": v["mse"] for k, v in scores.items()}, "scores": scores,
           "final_train_loss": round(float(curve["train_loss"].iloc[-1]), 8), "epochs": len(curve),
           **curve_lists(curve, "train_loss", "val_loss"), "train_seconds": info["train_seconds"], "parameters": info.get("parameters")}
    return row, curve.assign(label=run.label, seed=seed)


def evaluate_synthetic(s: Synthetic, tracker=None) -> tuple[dict, dict, pd.DataFrame]:
    """Per chosen-run seed and per variant: the final validation MSE (the report's "0.0003" is
    judged on it), the test and training MSE beside it, and the curve."""
    data = signals(s)
    chosen, variants, frames = [], [], []
    for _, run, seed in synthetic_jobs(s):
        row, curve = score_synthetic_run(s, run, seed, data, tracker)
        (chosen if run == s.chosen() else variants).append(row)
        frames.append(curve)
    (val, val_std), (test, test_std) = (mean_std([r[k] for r in chosen]) for k in ("val_mse", "test_mse"))
    floor = {k: round(plateau(data[k]), 6) for k in SPLITS}
    metrics = {"val_mse": round(val, 8), "val_mse_std": round(val_std, 8), "test_mse": round(test, 8),
               "test_mse_std": round(test_std, 8), "best_val_mse": min(r["val_mse"] for r in chosen + variants),
               "plateau": floor["val"], "n_seeds": len(chosen),
               **{f"{r['label']}.val_mse": r["val_mse"] for r in variants}}
    results = {"params": {"data": vars(s.data), "model": vars(s.model),
                          "train": {**vars(s.train), "seeds": list(s.train.seeds)},
                          "variants": [vars(v) for v in s.runs()], "variant_seed": s.variant_seed},
               "chosen": s.chosen().label, "course": COURSE_SYNTHETIC, "deviations": s.deviations(),
               "sizes": {k: len(v) for k, v in data.items()},
               "steps_per_epoch": math.ceil(len(data["train"]) / s.train.batch_size), "plateau": floor,
               "metrics": metrics, "runs": chosen, "variants": variants}
    curves = pd.concat(frames)[["label", "seed", "epoch", "step", "train_loss", "val_loss"]]
    return metrics, results, curves


# --- MNIST (lstm_ae_mnist.py) ---------------------------------------------------------------------

MNIST_DEVICE = "lstmae.course.mnist.device"
RECON_ROW, RECON_PIXEL, RECON_ROW_SHORT = "recon_row", "recon_pixel", "recon_row_short"
CLASSIFIER, CLASSIFIER_NO_DROPOUT = "classifier_dropout", "classifier_no_dropout"
VIEWS = {"row": (28, 28), "pixel": (784, 1)}  # (steps, values per step): the course's long_seq False / True


def mnist_dir(name: str, seed: int) -> Path:
    return paths.run_dir(STUDY, MNIST, name, seed=seed)


def mnist_images(split: str, view: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The MNIST study's split as the course's sequences: (n, 28, 28) rows or (n, 784, 1) pixels."""
    x, y = mnist_data.load_split(paths.study_data("mnist"), split)
    return x.reshape(len(x), *VIEWS[view]), y


def mnist_runs(m: Mnist) -> dict[str, tuple]:
    """name -> (kind, view, epochs, config): the course's reconstruction row by row; the same model
    pixel by pixel, and row by row for as many epochs (the paired comparison); the classifier with
    its recurrent dropout and without."""
    r, c = m.recon, m.classifier
    runs = {RECON_ROW: ("recon", "row", r.epochs, KerasLSTMAEConfig(28, r.hidden, features=28))}
    if r.pixel_epochs:
        runs[RECON_PIXEL] = ("recon", "pixel", r.pixel_epochs, KerasLSTMAEConfig(784, r.hidden, features=1))
        runs[RECON_ROW_SHORT] = ("recon", "row", r.pixel_epochs, KerasLSTMAEConfig(28, r.hidden, features=28))
    runs[CLASSIFIER] = ("classifier", "row", c.epochs, CourseClassifierConfig(c.hidden, 28, 28, c.recurrent_dropout))
    runs[CLASSIFIER_NO_DROPOUT] = ("classifier", "row", c.epochs, CourseClassifierConfig(c.hidden, 28, 28, 0.0))
    return runs


def _mnist_job(job: tuple[Mnist, str, int]) -> RunResult:
    m, name, seed = job
    kind, view, epochs, config = mnist_runs(m)[name]
    device = resolve_device(m.device, MNIST_DEVICE)
    (x, y), (vx, vy) = (tuple(t.to(device) for t in mnist_images(split, view)) for split in ("train", "val"))
    seed_everything(seed)
    net = config.build().to(device)
    if kind == "recon":
        hist = fit_keras(net, (x, x), (vx, vx), epochs, m.recon.batch_size, m.recon.lr, seed,
                         f"lstmae course mnist {name}")
    else:  # the running training accuracy, as Keras logged it (dropout on), and the ten-way accuracy on val
        hist = fit_keras(net, (x, y), (vx, vy), epochs, m.classifier.batch_size, m.classifier.lr, seed,
                         f"lstmae course mnist {name}", metric=ACCURACY)
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, trainable_parameters(net))


def _mnist_cost(job: tuple[Mnist, str, int]) -> float:
    kind, view, epochs, config = mnist_runs(job[0])[job[1]]
    return epochs * (30 if view == "pixel" else 2 if kind == "classifier" and config.recurrent_dropout else 1)


def train_mnist(p: CourseParams, tracker=None) -> None:
    m = p.course.mnist
    runs = mnist_runs(m)
    jobs = sorted([(m, name, seed) for name in runs for seed in m.seeds], key=_mnist_cost, reverse=True)
    results = run_parallel(_mnist_job, jobs, workers(p, MNIST_DEVICE, m.device), f"{STUDY} {MNIST}")
    meta = mnist_data.load_meta(paths.study_data("mnist"))
    for (_, name, seed), result in zip(jobs, results):
        kind, view, epochs, config = runs[name]
        part = m.recon if kind == "recon" else m.classifier
        params = {"protocol": "course", "part": MNIST, "run": name, "view": view, "hidden": part.hidden,
                  "lr": part.lr, "batch_size": part.batch_size, "epochs": epochs, "seed": seed,
                  "source": meta.get("source"), "optimizer": f"keras adam (eps {KERAS_EPSILON})",
                  "loss": "mse" if kind == "recon" else "binary cross-entropy on one-hot",
                  "recurrent_dropout": getattr(config, "recurrent_dropout", 0.0)}
        record_run(mnist_dir(name, seed), config, result, tracker, f"course-mnist-{name}-seed{seed}", params)


def classifier_scores(model, split: str, batch_size: int = 1000) -> dict:
    """Ten-way and Keras-binary accuracy, and the BCE, of a classifier on a split, in eval mode."""
    x, y = mnist_images(split, "row")
    ten, loss = evaluate(model, x, y, metric=ACCURACY, batch_size=batch_size)
    binary, _ = evaluate(model, x, y, metric=BINARY_ACCURACY, batch_size=batch_size)
    return {"acc": round(ten, 6), "binary_acc": round(binary, 6), "loss": round(loss, 6), "n": len(x)}


def evaluate_mnist(m: Mnist, tracker=None) -> tuple[dict, dict, pd.DataFrame]:
    runs = mnist_runs(m)
    meta = mnist_data.load_meta(paths.study_data("mnist"))
    n = {split: meta["sizes"][split] for split in SPLITS}
    rows, frames = {}, []
    for name, (kind, view, epochs, config) in runs.items():
        per_seed = []
        for seed in m.seeds:
            d = mnist_dir(name, seed)
            model = type(config).load(d / CHECKPOINT)
            part = m.recon if kind == "recon" else m.classifier
            extra = ("train_acc", "val_acc") if kind == "classifier" else ()
            curve = epoch_curve(pd.read_csv(d / HISTORY), n["train"], part.batch_size, extra)
            row = {"seed": seed, "epochs": len(curve), **curve_lists(curve, "train_loss", "val_loss", *extra),
                   "final_train_loss": round(float(curve["train_loss"].iloc[-1]), 6),
                   "train_seconds": read_json(d / RUN)["train_seconds"]}
            if kind == "recon":
                for split in ("train", "val", "test"):
                    values = per_item_mse(model, mnist_images(split, view)[0])
                    row[f"{split}_mse"], row[f"{split}_se"] = (round(v, 8) for v in mean_se(values))
                    if split == "val":
                        row["val_per_image"] = [round(float(v), 8) for v in values]  # for the paired view comparison
            else:
                row.update({f"{split}": classifier_scores(model, split) for split in ("train", "val", "test")})
                # Keras's printout: the last epoch's running training accuracy, dropout on
                row["keras_train_acc"] = round(float(curve["train_acc"].iloc[-1]), 6)
            per_seed.append(row)
            frames.append(curve.assign(run=name, seed=seed))
        rows[name] = per_seed
    full = n["train"] >= COURSE_MNIST["train_images"]
    metrics = {"recon_val_mse": rows[RECON_ROW][0]["val_mse"], "recon_test_mse": rows[RECON_ROW][0]["test_mse"],
               "classifier_val_acc": rows[CLASSIFIER][0]["val"]["acc"],
               "classifier_val_binary_acc": rows[CLASSIFIER][0]["val"]["binary_acc"],
               "no_dropout_val_acc": rows[CLASSIFIER_NO_DROPOUT][0]["val"]["acc"]}
    if RECON_PIXEL in rows:
        metrics["pixel_val_mse"] = rows[RECON_PIXEL][0]["val_mse"]
    results = {"params": {"recon": vars(m.recon), "classifier": vars(m.classifier), "seeds": list(m.seeds)},
               "course": COURSE_MNIST, "deviations": m.deviations(n["train"], n["val"]), "sizes": n,
               "source": meta.get("source"), "full": full, "runs": rows}
    curves = pd.concat(frames, ignore_index=True)
    return metrics, results, curves


# --- S&P 500 (lstm_ae_snp500.py) ------------------------------------------------------------------

PRICES_DEVICE = "lstmae.course.prices.device"
RECON, PREDICT = "reconstruct", "predict"


def prices_dir(name: str | None = None) -> Path:
    return paths.run_dir(STUDY, PRICES) if name is None else paths.run_dir(STUDY, PRICES, name, seed=0)


def draw_windows(pr: Prices) -> tuple[dict[str, np.ndarray], dict]:
    """The course's windows: its ticker filter, its alphabetical split, then random windows with
    replacement from each split's tickers, each window min-max scaled (data.course_windows)."""
    d, z = pr.data, pr.size
    src = price_data.load_source(d.source, d.column, d.days + 1, d.repair)
    nogap = price_data.no_gap_filter(src.to_frame())
    split = price_data.alphabetical_split(nogap.kept, what=f"source {d.source} after the no-gap filter")
    rng = np.random.default_rng(d.seed)
    counts = {RECON: z.recon_windows, PREDICT: z.predict_windows, "val": z.val_windows, "test": z.test_windows}
    windows, info = {}, {}
    for name, m in counts.items():
        tickers = split["train" if name in (RECON, PREDICT) else name]
        w = course_windows({t: src.series[t] for t in tickers}, m, d.days, rng)
        windows[name] = w.x
        info[name] = {"windows": m, "tickers": len(tickers), "leak_share": round(leak_share(w.x), 6)}
    meta = {"source": d.source, "origin": src.origin, "sha256": src.sha256, "column": src.column,
            "column_note": src.note, "dropped_rows": src.repaired, "tickers_in_source": len(src.tickers),
            "kept": len(nogap.kept), "dropped_by_filter": nogap.dropped, "days_in_union": len(nogap.dates),
            "first_date": str(nogap.dates[0]), "last_date": str(nogap.dates[-1]),
            "split": {k: len(v) for k, v in split.items()}, "split_tickers": split, "windows": info}
    return windows, meta


def _prices_job(job: tuple[Prices, str]) -> RunResult:
    pr, name = job
    device = resolve_device(pr.device, PRICES_DEVICE)
    w = {k: torch.from_numpy(v).to(device) for k, v in np.load(prices_dir() / WINDOWS).items()}
    seed_everything(pr.data.seed)
    t, z = pr.train, pr.size
    if name == RECON:  # question2: the toy model, Dense(1, tanh)
        net = KerasLSTMAEConfig(pr.data.days, z.hidden).build().to(device)
        hist = fit_keras(net, (w[RECON], w[RECON]), (w["val"], w["val"]), z.epochs, t.batch_size, t.recon_lr,
                         pr.data.seed, "lstmae course prices reconstruct")
    else:  # question3: MSE_r + MSE_p, each branch's validation loss logged as Keras did

        def branches(_, model) -> dict[str, float]:
            model.eval()
            with torch.no_grad():
                _, terms = model.terms(w["val"], w["val"])
            model.train()
            return {"val_recon_loss": terms["recon_loss"].item(), "val_predict_loss": terms["predict_loss"].item()}

        net = KerasPredictAEConfig(pr.data.days, z.hidden).build().to(device)
        hist = fit_keras(net, (w[PREDICT], w[PREDICT]), (w["val"], w["val"]), z.epochs, t.batch_size, t.predict_lr,
                         pr.data.seed, "lstmae course prices predict", terms=net.terms, on_eval=branches)
    return RunResult(hist, {k: v.cpu() for k, v in net.state_dict().items()}, trainable_parameters(net))


def train_prices(p: CourseParams, tracker=None) -> None:
    pr = p.course.prices
    windows, meta = draw_windows(pr)
    out = prices_dir()
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / WINDOWS, **windows)
    write_json(out / "meta.json", meta)
    results = run_parallel(_prices_job, [(pr, PREDICT), (pr, RECON)], workers(p, PRICES_DEVICE, pr.device),
                           f"{STUDY} {PRICES}")
    z, t = pr.size, pr.train
    for name, result in zip((PREDICT, RECON), results):
        config = (KerasLSTMAEConfig(pr.data.days, z.hidden) if name == RECON
                  else KerasPredictAEConfig(pr.data.days, z.hidden))
        params = {"protocol": "course", "part": PRICES, "model": name, "scale": pr.scale, "hidden": z.hidden,
                  "windows": z.recon_windows if name == RECON else z.predict_windows, "days": pr.data.days,
                  "epochs": z.epochs, "batch_size": t.batch_size, "lr": t.recon_lr if name == RECON else t.predict_lr,
                  "source": pr.data.source, "column": meta["column"], "tickers": meta["kept"]}
        record_run(prices_dir(name), config, result, tracker, f"course-prices-{name}", params)


def evaluate_prices(pr: Prices, tracker=None) -> tuple[dict, dict, pd.DataFrame]:
    """Reconstruction against the flat reconstruction (each window's own mean); the prediction
    model's two validation curves, and its last day against tomorrow = today."""
    w = {k: torch.from_numpy(v) for k, v in np.load(prices_dir() / WINDOWS).items()}
    meta = read_json(prices_dir() / "meta.json")
    test = w["test"]  # (M, N, 1)
    recon = KerasLSTMAEConfig.load(prices_dir(RECON) / CHECKPOINT)
    model_mse = per_item_mse(recon, test)
    flat_mse = test.double().var(dim=1, unbiased=False).flatten().numpy()  # predicting each window's mean
    predict = KerasPredictAEConfig.load(prices_dir(PREDICT) / CHECKPOINT)
    predict.eval()
    with torch.no_grad():
        rec, pred = predict.parts(test)
    last = test[:, -1, 0].double()
    last_err = ((pred[:, -1, 0].double() - last) ** 2).numpy()  # x̂_N against x_N, the one unseen day
    naive_err = ((test[:, -2, 0].double() - last) ** 2).numpy()  # tomorrow = today
    n_train = {RECON: len(w[RECON]), PREDICT: len(w[PREDICT])}
    curves = {name: epoch_curve(pd.read_csv(prices_dir(name) / HISTORY), n_train[name], pr.train.batch_size,
                                ("train_recon_loss", "train_predict_loss", "val_recon_loss", "val_predict_loss")
                                if name == PREDICT else ())
              for name in (RECON, PREDICT)}
    pc = curves[PREDICT]
    rows = {
        RECON: {"test_mse": round(float(model_mse.mean()), 8), "test_flat_mse": round(float(flat_mse.mean()), 8),
                "per_window": {"model": model_mse.round(8).tolist(), "flat": flat_mse.round(8).tolist()},
                **curve_lists(curves[RECON], "train_loss", "val_loss")},
        PREDICT: {"val_recon": pc["val_recon_loss"].round(8).tolist(), "val_predict": pc["val_predict_loss"].round(8).tolist(),
                  "test_recon_mse": round(float(((rec - test[:, :-1]) ** 2).mean()), 8),
                  "test_predict_mse": round(float(((pred - test) ** 2).mean()), 8),
                  "last_day_mse": round(float(last_err.mean()), 8), "naive_last_day_mse": round(float(naive_err.mean()), 8),
                  "last_day_per_window": {"model": last_err.round(8).tolist(), "naive": naive_err.round(8).tolist()},
                  "leak_share": meta["windows"]["test"]["leak_share"]},
    }
    metrics = {"recon_test_mse": rows[RECON]["test_mse"], "recon_flat_mse": rows[RECON]["test_flat_mse"],
               "predict_val_recon": rows[PREDICT]["val_recon"][-1], "predict_val_predict": rows[PREDICT]["val_predict"][-1],
               "last_day_mse": rows[PREDICT]["last_day_mse"], "naive_last_day_mse": rows[PREDICT]["naive_last_day_mse"]}
    results = {"params": {"scale": pr.scale, "data": vars(pr.data), "size": vars(pr.size), "train": vars(pr.train)},
               "course": COURSE_PRICES, "deviations": pr.deviations(), "meta": meta, "runs": rows}
    frame = pd.concat([c.assign(model=name) for name, c in curves.items()], ignore_index=True)
    return metrics, results, frame


# --- evaluate -------------------------------------------------------------------------------------


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """The three parts: reports/lstmae_course/results.json, the metrics JSON and a per-epoch curve
    CSV per part."""
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    c = p.course
    parts = {SYNTHETIC: evaluate_synthetic(c.synthetic, tracker), MNIST: evaluate_mnist(c.mnist, tracker),
             PRICES: evaluate_prices(c.prices, tracker)}
    for name, (_, _, curves) in parts.items():
        curves.round(8).to_csv(plots / f"{name}.csv", index=False)
    metrics = {name: m for name, (m, _, _) in parts.items()}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {name: r for name, (_, r, _) in parts.items()})
    return metrics


STEPS = {
    SYNTHETIC: Step(train_synthetic, reads=("lstmae.course.synthetic",)),
    MNIST: Step(train_mnist, reads=("lstmae.course.mnist",)),
    PRICES: Step(train_prices, reads=("lstmae.course.prices",)),
    "evaluate": Step(evaluate_study, reads=("lstmae.course",)),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=EXPERIMENT)
