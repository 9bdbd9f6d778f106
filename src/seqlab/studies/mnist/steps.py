"""Stages mnist_<step>: draw the MNIST splits, train the classifiers and the autoencoder (each
its own stage, reading only its own params), evaluate them all.

    python -m seqlab.studies.mnist.steps {generate,train_classifiers,train_autoencoder,evaluate}
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import ParamsError
from seqlab.core.files import read_json, write_json
from seqlab.judging.selection import choose
from seqlab.models.config import ModelConfig, count_parameters
from seqlab.models.image import ImageClassifierConfig, LSTMAutoencoderConfig, describe, view_shape
from seqlab.studies.mnist.params import Autoencoder, MnistParams, Schedule
from seqlab.tasks import mnist
from seqlab.training.loop import FitConfig, evaluate, fit, resolve_device
from seqlab.judging.metrics import ACCURACY
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, parent_run, record_run
from seqlab.training.seeding import seed_everything

STUDY = "mnist"
AUTOENCODER = "autoencoder"
CLASSIFIERS = "classifiers"


def data_dir():
    return paths.study_data(STUDY)


# --- generate ---------------------------------------------------------------------------------


def split_sizes(p: MnistParams, pool: int) -> dict[str, int]:
    """The requested sizes, or with ``mnist.data.full`` every image in ``mnist.data.full_split``'s
    proportions."""
    if p.data.full:
        return mnist.proportional_sizes(pool, p.data.full_split)
    return {"train": p.data.n_train, "val": p.data.n_val, "test": p.data.n_test}


def generate(p: MnistParams, tracker=None) -> dict:
    """Load the source, draw seeded stratified splits, write them as uint8 arrays."""
    images = mnist.load_source(p.data.source)
    sizes = split_sizes(p, len(images.y))
    splits = mnist.split(images, sizes["train"], sizes["val"], sizes["test"], p.data.seed)
    meta = {"source": p.data.source, "pool": len(images.y), "class_names": list(images.class_names),
            "seed": p.data.seed, "full": p.data.full, "sizes": sizes,
            "class_counts": {name: mnist.class_counts(y, images.num_classes) for name, (_, y) in splits.items()}}
    mnist.save_splits(data_dir(), splits, meta)
    return meta


# --- train ------------------------------------------------------------------------------------


def _name(kind: str, hidden: tuple[int, ...], bidirectional: bool, view: str) -> str:
    return f"{kind}-{'x'.join(map(str, hidden))}-{'bi' if bidirectional else 'uni'}-{view}"


def classifiers(p: MnistParams, num_classes: int = 10) -> dict[str, ImageClassifierConfig]:
    """Every kind x hidden x direction x view, by run name, each with its view's gate init."""
    c = p.classifiers
    return {_name(k, h, b, v): ImageClassifierConfig(kind=k, view=v, hidden=h, bidirectional=b, num_classes=num_classes,
                                                     forget_bias=p.train.schedule[v].forget_bias)
            for v in c.views for k in c.kinds for h in c.hidden for b in c.bidirectional}


def autoencoder(p: MnistParams, num_classes: int = 10) -> LSTMAutoencoderConfig:
    a = p.autoencoder
    return LSTMAutoencoderConfig(hidden=a.hidden, latent=a.latent, dropout=a.dropout, num_classes=num_classes,
                                 recon_weight=a.recon_weight, forget_bias=a.forget_bias)


def schedule(p: MnistParams, config: ModelConfig) -> Schedule | Autoencoder:
    """A run's epochs and batch size: its view's, or the autoencoder's own."""
    return p.autoencoder if isinstance(config, LSTMAutoencoderConfig) else p.train.schedule[config.view]


def fit_config(p: MnistParams, config: ModelConfig, n_train: int) -> FitConfig:
    """Epochs -> steps; validation once per epoch."""
    s = schedule(p, config)
    is_ae = isinstance(config, LSTMAutoencoderConfig)
    lr, wd = (p.autoencoder.lr, 0.0) if is_ae else (p.train.lr, p.train.weight_decay)
    per_epoch = math.ceil(n_train / s.batch_size)
    return FitConfig(steps=s.epochs * per_epoch, batch_size=s.batch_size, lr=lr, clip_norm=p.train.clip_norm,
                     eval_every=per_epoch, eval_batch_size=p.train.eval_batch_size, weight_decay=wd)


def train_subset(p: MnistParams, config: ModelConfig) -> int | None:
    """How many training images a run trains on (None: the whole training split). Classifiers
    take their view's subset; the autoencoder always reads the whole split, so its stage need
    not depend on the classifiers' schedule."""
    if isinstance(config, LSTMAutoencoderConfig) or p.data.full:
        return None
    return p.train.schedule[config.view].n_train


def flush_denormals() -> None:
    """Treat denormal floats as zero in this process. Over 784 steps backpropagated gradients
    can decay into the denormal range, where many x86 CPUs compute many times slower; flushing
    rules that out on any machine. The values flushed are below 1.2e-38, far under anything
    that moves a weight. (On the AMD EPYC this study was tuned on, benchmarks/bench_mnist.py
    --keep-denormals measured no difference.)"""
    torch.set_flush_denormal(True)


def _train_job(job: tuple[MnistParams, str, ModelConfig]) -> RunResult:
    p, name, config = job
    flush_denormals()  # per worker process: the setting is not inherited by spawned workers
    device = resolve_device(p.train.device, "mnist.train.device")
    train_set = [t.to(device) for t in mnist.load_split(data_dir(), "train", train_subset(p, config))]
    val, test = (tuple(t.to(device) for t in mnist.load_split(data_dir(), split)) for split in ("val", "test"))
    seed_everything(p.train.seed)
    model = config.build().to(device)
    # The test split is scored each epoch for the learning curves only; the best model is
    # chosen on validation.
    hist = fit(model, tuple(train_set), val, fit_config(p, config, len(train_set[1])), p.train.seed,
               name=f"mnist {name}", progress=False, monitor={"test": test})
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


# Cost of a training step relative to the RNN's, per kind: on a CPU torch runs the LSTM through
# oneDNN's fused kernel and the GRU op by op (benchmarks/bench_mnist.py).
_KIND_COST = {"rnn": 1.0, "lstm": 1.3, "gru": 3.5}


def _cost(config: ImageClassifierConfig) -> float:
    """Rough relative cost of a classifier's run, to start the longest first."""
    steps = view_shape(config.view)[0]
    return steps * sum(config.hidden) * (2 if config.bidirectional else 1) * _KIND_COST[config.kind]


def run_dir(name: str):
    """Where a run's checkpoint and history live: one folder per train stage's output, so the
    classifiers and the autoencoder are separate DVC outputs and re-train independently."""
    return paths.run_dir(STUDY, AUTOENCODER) if name == AUTOENCODER else paths.run_dir(STUDY, CLASSIFIERS, name)


def _record(p: MnistParams, name: str, config: ModelConfig, result: RunResult, tracker, source: str,
            parent_id=None) -> None:
    cfg = fit_config(p, config, 1)
    params = {**{k: v for k, v in vars(config).items() if k != "num_classes"}, "lr": cfg.lr,
              "batch_size": cfg.batch_size, "weight_decay": cfg.weight_decay, "source": source,
              "seed": p.train.seed, "n_train": train_subset(p, config) or "all"}
    record_run(run_dir(name), config, result, tracker, name, params, parent_id)


def _data() -> tuple[str, int, int]:
    """The source the splits were drawn from, its number of classes and the training split's size,
    as generate recorded them: the train stages read these from their data dep, not from params."""
    meta = mnist.load_meta(data_dir())
    return meta["source"], len(meta["class_names"]), meta["sizes"]["train"]


def train_classifiers(p: MnistParams, tracker=None) -> None:
    """Every kind x hidden x direction x view, ``compute.workers`` at a time, longest first; an
    MLflow parent run per view."""
    source, num_classes, n_train = _data()
    configs = classifiers(p, num_classes)
    for config in configs.values():  # against the data itself: this stage does not read mnist.data.n_train
        subset = train_subset(p, config)
        if subset is not None and subset > n_train:
            raise ParamsError(f"params.yaml: 'mnist.train.schedule.{config.view}.n_train' is {subset}, more than "
                              f"the {n_train} training images in {data_dir()}")
    jobs = sorted(((p, name, c) for name, c in configs.items()), key=lambda j: -_cost(j[2]))
    workers = workers_for(resolve_device(p.train.device, "mnist.train.device"), p.runtime.workers)
    results = dict(zip([name for _, name, _ in jobs], run_parallel(_train_job, jobs, workers, STUDY)))
    # how many runs shared the machine while their steps/s were measured
    write_json(paths.study_models(STUDY, CLASSIFIERS) / "train.json", {"workers": workers})
    for view in p.classifiers.views:
        with parent_run(tracker, view, {"view": view, "source": source, "seed": p.train.seed}) as parent_id:
            for name, config in configs.items():
                if config.view == view:
                    _record(p, name, config, results[name], tracker, source, parent_id)


def train_autoencoder(p: MnistParams, tracker=None) -> None:
    """The row-by-row LSTM autoencoder with its latent classifier: one run, one thread."""
    source, num_classes, _ = _data()
    config = autoencoder(p, num_classes)
    (result,) = run_parallel(_train_job, [(p, AUTOENCODER, config)], 1, AUTOENCODER)
    _record(p, AUTOENCODER, config, result, tracker, source)


# --- evaluate ---------------------------------------------------------------------------------


def epoch_curves(frame: pd.DataFrame) -> pd.DataFrame:
    """A model's history (one row per step) -> one row per epoch: training loss and accuracy
    averaged over the epoch's steps; validation and test loss and accuracy at its end."""
    evals = frame.dropna(subset=["val_acc"])
    epoch = np.searchsorted(evals["step"].to_numpy(), frame["step"].to_numpy())  # step -> its epoch, from 0
    train = frame.groupby(epoch)[["train_loss", "train_acc"]].mean()
    out = pd.DataFrame({"step": evals["step"].to_numpy(), "epoch": np.arange(1, len(evals) + 1),
                        "train_loss": train["train_loss"].to_numpy(), "train_acc": train["train_acc"].to_numpy()})
    for col in ("val_loss", "val_acc", "test_loss", "test_acc"):
        out[col] = evals[col].to_numpy()
    return out.round(6)


@torch.no_grad()
def confusion(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
              batch: int) -> list[list[int]]:
    pred = torch.cat([model(x[i : i + batch])[0].argmax(-1) for i in range(0, len(x), batch)])
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=y.device)
    cm.index_put_((y, pred), torch.ones_like(y), accumulate=True)  # rows: truth, columns: prediction
    return cm.tolist()


def evaluate_study(p: MnistParams, tracker=None) -> dict:
    """Test accuracy, parameters, wall time and steps/s per model; the autoencoder's
    reconstruction error; the best classifier's confusion matrix; one reconstruction per class."""
    flush_denormals()
    # Scored where they trained: with mnist.data.full, 5,000 test images through 18 pixel models
    # would take minutes on a CPU.
    device = resolve_device(p.train.device, "mnist.train.device")
    batch = p.train.eval_batch_size
    x_test, y_test = (t.to(device) for t in mnist.load_split(data_dir(), "test"))
    x_val, _ = (t.to(device) for t in mnist.load_split(data_dir(), "val"))
    meta = mnist.load_meta(data_dir())
    num_classes = len(meta["class_names"])
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, config in {**classifiers(p, num_classes), AUTOENCODER: autoencoder(p, num_classes)}.items():
        model = type(config).load(run_dir(name) / CHECKPOINT, device)
        acc, _ = evaluate(model, x_test, y_test, ACCURACY, batch_size=batch)
        run = read_json(run_dir(name) / RUN)
        frame = pd.read_csv(run_dir(name) / HISTORY)
        is_ae = name == AUTOENCODER
        s = schedule(p, config)
        row = {"name": name, "model": describe(model), "kind": AUTOENCODER if is_ae else config.kind,
               "view": "row" if is_ae else config.view,
               "hidden": str(config.hidden) if is_ae else "x".join(map(str, config.hidden)),
               "direction": "bi" if not is_ae and config.bidirectional else "uni", "parameters": run["n_params"],
               "n_train": train_subset(p, config) or meta["sizes"]["train"], "epochs": s.epochs,
               "batch_size": s.batch_size, "test_acc": round(acc, 6),
               "val_acc": round(float(frame["val_acc"].dropna().iloc[-1]), 6),
               "train_seconds": run["train_seconds"], "steps": run["steps_run"],
               "steps_per_second": round(run["steps_run"] / run["train_seconds"], 3), "run_id": run["run_id"]}
        if is_ae:
            with torch.no_grad():
                recon = torch.cat([model.reconstruct(x_test[i : i + batch]) for i in range(0, len(x_test), batch)])
            row["recon_mse"] = round(float(((recon - x_test) ** 2).mean()), 6)
            # on validation too: what its gate init is chosen on (sweeps/mnist_autoencoder_init)
            with torch.no_grad():
                recon_val = torch.cat([model.reconstruct(x_val[i : i + batch]) for i in range(0, len(x_val), batch)])
            row["val_recon_mse"] = round(float(((recon_val - x_val) ** 2).mean()), 6)
            # one test image per class
            first = [int(np.flatnonzero(y_test.cpu().numpy() == c)[0]) for c in range(num_classes)]
            paths.study_results(STUDY).parent.mkdir(parents=True, exist_ok=True)
            np.save(paths.study_results(STUDY).parent / "reconstructions.npy",
                    np.stack([x_test[first].cpu().numpy(), recon[first].cpu().numpy()]).astype(np.float32))
        rows.append(row)
        if tracker and run["run_id"]:
            tracker.log_metrics(run["run_id"], {k: row[k] for k in ("val_acc", "test_acc", "steps_per_second", "recon_mse",
                                                                         "val_recon_mse")
                                                if k in row})
        epoch_curves(frame).to_csv(plots / f"{name}.csv", index=False)
    table = pd.DataFrame(rows)
    classifier_rows = table[table["kind"] != AUTOENCODER]
    best = choose(classifier_rows)
    # each cell's model per view, chosen the same way: what the report and the claims compare
    chosen = {view: {kind: choose(g)["name"] for kind, g in classifier_rows[classifier_rows["view"] == view].groupby("kind")}
              for view in p.classifiers.views}
    best_model = ImageClassifierConfig.load(run_dir(best["name"]) / CHECKPOINT, device)
    cm = confusion(best_model, x_test, y_test, num_classes, batch)
    ae = table[table["kind"] == AUTOENCODER].iloc[0]
    # accuracies only: timings vary run to run, so they live in results.json and MLflow, not in the metrics
    metrics = {r["name"]: {"val_acc": r["val_acc"], "test_acc": r["test_acc"]} for r in rows}
    metrics["n_test"] = len(y_test)  # each test_acc's binomial error: sqrt(p (1 - p) / n_test)
    metrics[AUTOENCODER].update(recon_mse=float(ae["recon_mse"]), val_recon_mse=float(ae["val_recon_mse"]))
    # Per view, the mean final validation accuracy of its classifiers: what a view's gate init
    # (mnist.train.schedule.<view>.forget_bias) is chosen on (sweeps/mnist_row_init).
    metrics["views"] = {view: {"val_acc_mean": round(float(g["val_acc"].mean()), 6)}
                        for view, g in classifier_rows.groupby("view")}
    metrics["best"] = {"name": best["name"], "test_acc": float(best["test_acc"])}
    write_json(paths.study_metrics(STUDY), metrics)
    # chance: always naming the test split's most frequent class
    chance = max(meta["class_counts"]["test"]) / meta["sizes"]["test"]
    write_json(paths.study_results(STUDY), {
        "data": meta, "runs": rows, "best": best["name"], "chosen": chosen, "chance": chance,
        "workers": read_json(paths.study_models(STUDY, CLASSIFIERS) / "train.json")["workers"],
        "confusion": cm, "autoencoder": {"recon_mse": float(ae["recon_mse"]), "val_recon_mse": float(ae["val_recon_mse"])}})
    return metrics


# The autoencoder's keys that evaluate reads (its config and schedule): all but its lr.
AUTOENCODER_MODEL = tuple(f"mnist.autoencoder.{k}" for k in ("hidden", "latent", "dropout", "recon_weight",
                                                              "forget_bias", "epochs", "batch_size"))
STEPS = {
    "generate": Step(generate, reads=("mnist.data",)),
    "train_classifiers": Step(train_classifiers, reads=("mnist.data.full", "mnist.classifiers", "mnist.train")),
    "train_autoencoder": Step(train_autoencoder, reads=("mnist.autoencoder", "mnist.train.clip_norm",
                                                        "mnist.train.eval_batch_size", "mnist.train.seed",
                                                        "mnist.train.device")),
    "evaluate": Step(evaluate_study, reads=("mnist.data.full", "mnist.classifiers", "mnist.train.device",
                                            "mnist.train.eval_batch_size", "mnist.train.schedule", *AUTOENCODER_MODEL)),
}

if __name__ == "__main__":
    run_stage(__doc__, MnistParams, STEPS, experiment=STUDY)
