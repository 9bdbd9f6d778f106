"""The sequential-MNIST study: RNN/LSTM/GRU classifiers reading images row by row (28 steps)
and pixel by pixel (784 steps), and the row-by-row LSTM autoencoder with a classifier on its
latent. Stages: generate -> train -> evaluate -> figures, through the study's files.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab import paths
from seqlab.errors import DataError
from seqlab.models import count_parameters
from seqlab.models.image import ImageClassifier, LSTMAutoencoder, describe
from seqlab.parallel import run_parallel
from seqlab.params.mnist import Autoencoder, MnistParams, Schedule
from seqlab.seeding import seed_everything
from seqlab.studies.common import RunResult, parent_run, read_json, record_run, write_json
from seqlab.tasks import mnist
from seqlab.train import ACCURACY, FitConfig, evaluate, fit, resolve_device

STUDY = "mnist"
SPLITS = ("train", "val", "test")
AUTOENCODER = "autoencoder"
CLASSIFIERS = "classifiers"


# --- generate ---------------------------------------------------------------------------------


def split_sizes(p: MnistParams, pool: int) -> dict[str, int]:
    """The requested sizes, or with ``mnist.data.full`` every image: 1/14 each for validation
    and test (10,000 of 70,000 MNIST images, as the standard test set) and the rest to train."""
    if not p.data.full:
        return {"train": p.data.n_train, "val": p.data.n_val, "test": p.data.n_test}
    held = pool // 14
    return {"train": pool - 2 * held, "val": held, "test": held}


def generate_data(p: MnistParams, tracker=None) -> dict:
    """Load the source, draw seeded stratified splits, write them as uint8 arrays."""
    images = mnist.load_source(p.data.source)
    sizes = split_sizes(p, len(images.y))
    splits = mnist.split(images, sizes["train"], sizes["val"], sizes["test"], p.data.seed)
    out = paths.study_data(STUDY)
    out.mkdir(parents=True, exist_ok=True)
    for name, (x, y) in splits.items():
        np.save(out / f"{name}_x.npy", x)
        np.save(out / f"{name}_y.npy", y)
    meta = {"source": p.data.source, "pool": len(images.y), "class_names": list(images.class_names),
            "seed": p.data.seed, "full": p.data.full, "sizes": sizes,
            "class_counts": {name: mnist.class_counts(y) for name, (_, y) in splits.items()}}
    write_json(out / "meta.json", meta)
    return meta


def load_split(name: str, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as float in [0, 1] (B, 28, 28) and labels; the first ``n`` when given."""
    d = paths.study_data(STUDY)
    if not (d / "meta.json").is_file():
        raise DataError(f"{d}: no MNIST splits; generate them with `dvc repro mnist_generate`")
    x, y = np.load(d / f"{name}_x.npy")[:n], np.load(d / f"{name}_y.npy")[:n]
    return torch.from_numpy(mnist.normalise(x)), torch.from_numpy(y.astype(np.int64))


# --- train ------------------------------------------------------------------------------------


def _name(kind: str, hidden: tuple[int, ...], bidirectional: bool, view: str) -> str:
    return f"{kind}-{'x'.join(map(str, hidden))}-{'bi' if bidirectional else 'uni'}-{view}"


def configs(p: MnistParams) -> list[dict]:
    return [{"kind": k, "hidden": list(h), "bidirectional": b, "view": v, "name": _name(k, h, b, v)}
            for v in p.views for k in p.kinds for h in p.hidden for b in p.bidirectional]


def build(arch: dict, forget_bias: float | str = 1.0) -> torch.nn.Module:
    if arch["kind"] == AUTOENCODER:
        return LSTMAutoencoder(arch["hidden"], arch["latent"], arch["dropout"], recon_weight=arch["recon_weight"],
                               forget_bias=forget_bias)
    return ImageClassifier(arch["kind"], arch["view"], tuple(arch["hidden"]), arch["bidirectional"],
                           forget_bias=forget_bias)


def _ae_arch(p: MnistParams) -> dict:
    a = p.autoencoder
    return {"kind": AUTOENCODER, "name": AUTOENCODER, "view": "row", "hidden": a.hidden, "latent": a.latent,
            "dropout": a.dropout, "recon_weight": a.recon_weight}


def schedule(p: MnistParams, arch: dict) -> Schedule | Autoencoder:
    """A run's epochs, batch size and gate init: its view's, or the autoencoder's own."""
    return p.autoencoder if arch["kind"] == AUTOENCODER else p.schedules[arch["view"]]


def _fit_config(p: MnistParams, arch: dict, n_train: int) -> FitConfig:
    """Epochs -> steps; validation once per epoch."""
    s = schedule(p, arch)
    lr, wd = (p.autoencoder.lr, 0.0) if arch["kind"] == AUTOENCODER else (p.optim.lr, p.optim.weight_decay)
    per_epoch = math.ceil(n_train / s.batch_size)
    return FitConfig(steps=s.epochs * per_epoch, batch_size=s.batch_size, lr=lr, clip_norm=p.optim.clip_norm,
                     eval_every=per_epoch, eval_batch_size=500, weight_decay=wd)


def train_subset(p: MnistParams, arch: dict) -> int | None:
    """How many training images a run trains on (None: the whole training split). Classifiers
    take their view's subset; the autoencoder always reads the whole split, so its stage need
    not depend on the classifiers' schedule."""
    if p.data.full or arch["kind"] == AUTOENCODER:
        return None
    return p.schedules[arch["view"]].n_train


def flush_denormals() -> None:
    """Treat denormal floats as zero in this process. Over 784 steps backpropagated gradients
    can decay into the denormal range, where many x86 CPUs compute many times slower; flushing
    rules that out on any machine. The values flushed are below 1.2e-38, far under anything
    that moves a weight. (On the AMD EPYC this study was tuned on, benchmarks/bench_mnist.py
    --keep-denormals measured no difference.)"""
    torch.set_flush_denormal(True)


def _train_job(job: tuple[MnistParams, dict]) -> RunResult:
    p, arch = job
    flush_denormals()  # per worker process: the setting is not inherited by spawned workers
    device = resolve_device(p.device, "mnist.train.device")
    train = [t.to(device) for t in load_split("train", train_subset(p, arch))]
    val, test = (tuple(t.to(device) for t in load_split(name)) for name in ("val", "test"))
    seed_everything(p.seed)
    model = build(arch, gate_init(p, arch)).to(device)
    # The test split is scored each epoch for the learning curves only; the best model is
    # chosen on validation.
    hist = fit(model, tuple(train), val, _fit_config(p, arch, len(train[1])), p.seed,
               name=f"mnist {arch['name']}", progress=False, monitor={"test": test})
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


# Cost of a training step relative to the RNN's, per kind: on a CPU torch runs the LSTM through
# oneDNN's fused kernel and the GRU op by op (benchmarks/bench_mnist.py).
_KIND_COST = {"rnn": 1.0, "lstm": 1.3, "gru": 3.5}


def _cost(arch: dict) -> float:
    """Rough relative cost of a classifier's run, to start the longest first."""
    steps = 784 if arch["view"] != "row" else 28
    return steps * sum(arch["hidden"]) * (2 if arch["bidirectional"] else 1) * _KIND_COST[arch["kind"]]


def gate_init(p: MnistParams, arch: dict) -> float | str:
    """A run's gate initialisation (seqlab.models.image.init_gates)."""
    return schedule(p, arch).forget_bias


def run_dir(name: str) -> Path:
    """Where a run's checkpoint and history live: one folder per train stage's output, so the
    classifiers and the autoencoder are separate DVC outputs and re-train independently."""
    root = paths.study_models(STUDY)
    return root / AUTOENCODER if name == AUTOENCODER else root / CLASSIFIERS / name


def _workers(p: MnistParams) -> int:
    """Runs trained side by side: ``compute.workers`` on a CPU, one at a time on a GPU."""
    return 1 if resolve_device(p.device, "mnist.train.device").type == "cuda" else p.workers


def _record(p: MnistParams, arch: dict, result: RunResult, tracker, parent_id: str | None = None) -> None:
    cfg = _fit_config(p, arch, 1)
    params = {**{k: v for k, v in arch.items() if k != "name"}, "lr": cfg.lr, "batch_size": cfg.batch_size,
              "weight_decay": cfg.weight_decay, "forget_bias": gate_init(p, arch), "source": p.data.source,
              "seed": p.seed, "n_train": train_subset(p, arch) or "all"}
    record_run(run_dir(arch["name"]), arch, result, ACCURACY, f"MNIST {arch['name']}", tracker, arch["name"], params,
               parent_id)


def train_classifiers(p: MnistParams, tracker=None) -> None:
    """Every kind x hidden x direction x view, ``compute.workers`` at a time, longest first; an
    MLflow parent run per view."""
    archs = configs(p)
    jobs = sorted(((p, a) for a in archs), key=lambda j: -_cost(j[1]))
    workers = _workers(p)
    results = dict(zip([a["name"] for _, a in jobs], run_parallel(_train_job, jobs, workers, "mnist")))
    # how many runs shared the machine while their steps/s were measured
    write_json(paths.study_models(STUDY) / CLASSIFIERS / "train.json", {"workers": workers})
    for view in p.views:
        with parent_run(tracker, view, {"view": view, "source": p.data.source, "seed": p.seed}) as parent_id:
            for a in archs:
                if a["view"] == view:
                    _record(p, a, results[a["name"]], tracker, parent_id)


def train_autoencoder(p: MnistParams, tracker=None) -> None:
    """The row-by-row LSTM autoencoder with its latent classifier: one run, one thread."""
    arch = _ae_arch(p)
    (result,) = run_parallel(_train_job, [(p, arch)], 1, AUTOENCODER)
    _record(p, arch, result, tracker)


# --- evaluate ---------------------------------------------------------------------------------


def load_model(name: str, device: torch.device | str = "cpu") -> torch.nn.Module:
    ckpt = torch.load(run_dir(name) / "model.pt", map_location="cpu", weights_only=True)
    model = build(ckpt["arch"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval()


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
def confusion(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> list[list[int]]:
    pred = torch.cat([model(x[i : i + batch])[0].argmax(-1) for i in range(0, len(x), batch)])
    cm = torch.zeros(10, 10, dtype=torch.int64, device=y.device)
    cm.index_put_((y, pred), torch.ones_like(y), accumulate=True)  # rows: truth, columns: prediction
    return cm.tolist()


def evaluate_study(p: MnistParams, tracker=None) -> dict:
    """Test accuracy, parameters, wall time and steps/s per model; the autoencoder's
    reconstruction error; the best classifier's confusion matrix; 10 reconstructions."""
    flush_denormals()
    # Scored where they trained: with mnist.data.full, 5,000 test images through 18 pixel models
    # would take minutes on a CPU.
    device = resolve_device(p.device, "mnist.train.device")
    x_test, y_test = (t.to(device) for t in load_split("test"))
    meta = read_json(paths.study_data(STUDY) / "meta.json")
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    rows = []
    for a in configs(p) + [_ae_arch(p)]:
        model = load_model(a["name"], device)
        acc, _ = evaluate(model, x_test, y_test, ACCURACY, batch_size=500)
        run = read_json(run_dir(a["name"]) / "run.json")
        frame = pd.read_csv(run_dir(a["name"]) / "history.csv")
        row = {"name": a["name"], "model": describe(model), "kind": a["kind"], "view": a["view"],
               "hidden": "x".join(map(str, a["hidden"])) if isinstance(a["hidden"], list) else str(a["hidden"]),
               "direction": ("bi" if a.get("bidirectional") else "uni"), "parameters": run["n_params"],
               "n_train": train_subset(p, a) or meta["sizes"]["train"],
               "epochs": schedule(p, a).epochs, "batch_size": schedule(p, a).batch_size,
               "test_acc": round(acc, 6), "val_acc": round(float(frame["val_acc"].dropna().iloc[-1]), 6),
               "train_seconds": run["train_seconds"], "steps": run["steps_run"],
               "steps_per_second": round(run["steps_run"] / run["train_seconds"], 3), "run_id": run["run_id"]}
        if a["kind"] == AUTOENCODER:
            with torch.no_grad():
                recon = torch.cat([model.reconstruct(x_test[i : i + 500]) for i in range(0, len(x_test), 500)])
            row["recon_mse"] = round(float(((recon - x_test) ** 2).mean()), 6)
            first = [int(np.flatnonzero(y_test.cpu().numpy() == c)[0]) for c in range(10)]  # one test image per class
            paths.study_results(STUDY).parent.mkdir(parents=True, exist_ok=True)
            np.save(paths.study_results(STUDY).parent / "reconstructions.npy",
                    np.stack([x_test[first].cpu().numpy(), recon[first].cpu().numpy()]).astype(np.float32))
        rows.append(row)
        if tracker and run["run_id"]:
            tracker.log_metrics(run["run_id"], {k: row[k] for k in ("test_acc", "steps_per_second", "recon_mse")
                                                if k in row})
        epoch_curves(frame).to_csv(plots / f"{a['name']}.csv", index=False)
    table = pd.DataFrame(rows)
    classifiers = table[table["kind"] != AUTOENCODER]
    best = classifiers.sort_values(["val_acc", "test_acc"], ascending=False).iloc[0]  # chosen on validation
    cm = confusion(load_model(best["name"], device), x_test, y_test)
    ae = table[table["kind"] == AUTOENCODER].iloc[0]
    # accuracies only: timings vary run to run, so they live in results.json and MLflow, not in the metrics
    metrics = {r["name"]: {"test_acc": r["test_acc"]} for r in rows}
    metrics[AUTOENCODER]["recon_mse"] = float(ae["recon_mse"])
    metrics["best"] = {"name": best["name"], "test_acc": float(best["test_acc"])}
    write_json(paths.study_metrics(STUDY), metrics)
    # chance: always naming the test split's most frequent class
    chance = max(meta["class_counts"]["test"]) / meta["sizes"]["test"]
    write_json(paths.study_results(STUDY), {"data": meta, "runs": rows, "best": best["name"], "chance": chance,
                                            "workers": read_json(paths.study_models(STUDY) / CLASSIFIERS
                                                                 / "train.json")["workers"],
                                            "confusion": cm,
                                            "autoencoder": {"recon_mse": float(ae["recon_mse"])}})
    return metrics


# --- figures ----------------------------------------------------------------------------------


def make_figures(p: MnistParams, tracker=None) -> None:
    from seqlab.figures_mnist import plot_confusion, plot_curves, plot_reconstructions

    res = read_json(paths.study_results(STUDY))
    out = paths.study_figures(STUDY)
    plots = paths.study_plots(STUDY)
    table = pd.DataFrame(res["runs"])
    for view in p.views:
        names = table.loc[(table["view"] == view) & (table["kind"] != AUTOENCODER), "name"]
        how = "permuted pixels" if view == "permuted" else f"{view} by {view}"
        plot_curves({n: pd.read_csv(plots / f"{n}.csv") for n in names}, f"{res['data']['source']}, {how}",
                    out / f"curves_{view}.png", chance=res["chance"])
    plot_confusion(np.array(res["confusion"]), res["data"]["class_names"], res["best"], out / "confusion_best.png")
    pair = np.load(paths.study_results(STUDY).parent / "reconstructions.npy")
    plot_reconstructions(pair[0], pair[1], out / "autoencoder_reconstructions.png")


STEPS = {"generate": generate_data, "train_classifiers": train_classifiers, "train_autoencoder": train_autoencoder,
         "evaluate": evaluate_study, "figures": make_figures}
