"""The palindrome study: generate -> train -> evaluate, one model at a time.

Each function is what one DVC stage runs; they talk only through the files in seqlab.paths.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab import paths
from seqlab.figures import plot_run_curve
from seqlab.models import build_model, count_parameters
from seqlab.params.palindrome import PalindromeParams, model_section
from seqlab.seeding import seed_everything
from seqlab.tasks import palindrome
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.train import FitConfig, History, accuracy, fit, resolve_device

STUDY = "palindrome"


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


# --- generate ---------------------------------------------------------------------------------


def generate_data(params: PalindromeParams, name: str) -> list[Path]:
    """Write the seeded train/val/test splits for every length in ``<name>.T``."""
    d = params.palindrome.data
    sizes = {"train": d.n_train, "val": d.n_val, "test": d.n_test}
    tasks = [PalindromeTask(T, d.base) for T in model_section(params, name).T]
    for task in tasks:  # check every length before writing any
        palindrome.split_sizes(sizes, task.n_distinct)
    written = []
    for task in tasks:
        splits, meta = palindrome.generate(task, sizes, d.seed)
        out = paths.palindrome_data(name, task.T)
        palindrome.save(out, splits, meta)
        written.append(out)
    return written


# --- train ------------------------------------------------------------------------------------


def _tensors(pals: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = palindrome.inputs_targets(pals)
    return torch.from_numpy(x.astype(np.int64)).to(device), torch.from_numpy(y.astype(np.int64)).to(device)


def history_frame(hist: History) -> pd.DataFrame:
    df = pd.DataFrame({"step": np.arange(1, len(hist.train_loss) + 1), "train_loss": hist.train_loss,
                       "train_acc": hist.train_metric})
    val = pd.Series(hist.val_metric, index=pd.Index(hist.eval_step, name="step"), name="val_acc")
    return df.join(val, on="step")


def train_model(params: PalindromeParams, name: str, tracker=None, progress: bool = True) -> None:
    """Train ``name`` on each of its lengths for every seed; save checkpoints and histories."""
    section = model_section(params, name)
    cfg = params.palindrome.train
    device = resolve_device(cfg.device)
    fit_cfg = FitConfig(cfg.steps, cfg.batch_size, cfg.lr, cfg.clip_norm, cfg.eval_every, cfg.eval_batch_size)
    for T in section.T:
        splits, meta = palindrome.load(paths.palindrome_data(name, T))
        task = PalindromeTask(**meta["task"])
        train, val = _tensors(splits["train"], device), _tensors(splits["val"], device)
        arch = {"model": name, "impl": section.impl, "input_dim": task.input_dim, "hidden": cfg.hidden,
                "num_classes": task.num_classes, "forget_bias": cfg.forget_bias}
        run_params = {**arch, "T": T, "base": task.base, "steps": cfg.steps, "batch_size": cfg.batch_size,
                      "lr": cfg.lr, "clip_norm": cfg.clip_norm, "n_train": len(splits["train"])}
        parent_ctx = tracker.run(f"{name}-T{T}", run_params) if tracker else nullcontext()
        with parent_ctx as parent_id:
            for seed in cfg.seeds:
                seed_everything(seed)  # the model's initial weights depend on the seed alone
                model = build_model(name, section.impl, task.input_dim, cfg.hidden, task.num_classes,
                                    cfg.forget_bias).to(device)
                out = paths.palindrome_run(name, T, seed)
                out.mkdir(parents=True, exist_ok=True)
                run_ctx = (tracker.run(f"{name}-T{T}-seed{seed}", {**run_params, "seed": seed}, parent_id)
                           if tracker else nullcontext())
                with run_ctx as run_id:
                    hist = fit(model, train, val, fit_cfg, seed, name=f"{name} T={T}", progress=progress)
                    frame = history_frame(hist)
                    frame.to_csv(out / "history.csv", index=False)
                    torch.save({"arch": arch, "state_dict": model.state_dict()}, out / "model.pt")
                    write_json(out / "run.json", {"run_id": run_id, "parent_run_id": parent_id,
                                                  "train_seconds": round(hist.seconds, 3),
                                                  "n_params": count_parameters(model)})
                    if tracker:
                        steps = frame["step"].tolist()
                        tracker.log_series(run_id, {
                            "train_loss": (steps, hist.train_loss),
                            "train_acc": (steps, hist.train_metric),
                            "val_acc": (hist.eval_step, hist.val_metric),
                        })
                        plot_run_curve(frame, f"{name} T={T} seed={seed}", out / "curve.png")
                        tracker.log_artifact(run_id, out / "curve.png")


# --- evaluate ---------------------------------------------------------------------------------


def load_checkpoint(path: Path) -> torch.nn.Module:
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    a = ckpt["arch"]
    model = build_model(a["model"], a["impl"], a["input_dim"], a["hidden"], a["num_classes"])
    model.load_state_dict(ckpt["state_dict"])
    return model


def steps_to_target(frame: pd.DataFrame, target: float) -> int | None:
    """The first validation step at which accuracy reached ``target``; None if never."""
    hit = frame.loc[frame["val_acc"] >= target, "step"]
    return int(hit.iloc[0]) if len(hit) else None


def curves(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean and std over seeds at each validation step; train loss averaged over each interval."""
    per_seed = []
    for f in frames:
        evals = f.dropna(subset=["val_acc"])
        interval = np.searchsorted(evals["step"].to_numpy(), f["step"].to_numpy())  # step -> its eval point
        loss = f.groupby(interval)["train_loss"].mean().to_numpy()
        per_seed.append(pd.DataFrame({"step": evals["step"].to_numpy(), "val_acc": evals["val_acc"].to_numpy(),
                                      "train_loss": loss}))
    stacked = pd.concat(per_seed)
    g = stacked.groupby("step")
    out = pd.DataFrame({
        "val_acc_mean": g["val_acc"].mean(), "val_acc_std": g["val_acc"].std(ddof=1).fillna(0.0),
        "train_loss_mean": g["train_loss"].mean(), "train_loss_std": g["train_loss"].std(ddof=1).fillna(0.0),
    })
    return out.reset_index().round(6)


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def evaluate_model(params: PalindromeParams, name: str, tracker=None) -> dict:
    """Test accuracy per seed, curves and metrics for every length of ``name``."""
    section = model_section(params, name)
    target = params.palindrome.evaluate.target_acc
    metrics, results = {}, {"model": name, "impl": section.impl, "target_acc": target, "lengths": {}}
    curve_dir = paths.palindrome_curves(name)
    curve_dir.mkdir(parents=True, exist_ok=True)
    for T in section.T:
        splits, meta = palindrome.load(paths.palindrome_data(name, T))
        x_test, y_test = _tensors(splits["test"], torch.device("cpu"))
        seeds, frames = [], []
        for seed in params.palindrome.train.seeds:
            run_dir = paths.palindrome_run(name, T, seed)
            model = load_checkpoint(run_dir / "model.pt")
            frame = pd.read_csv(run_dir / "history.csv")
            run = json.loads((run_dir / "run.json").read_text())
            acc = accuracy(model, x_test, y_test)
            frames.append(frame)
            seeds.append({"seed": seed, "test_acc": round(acc, 6), "steps_to_target": steps_to_target(frame, target),
                          "final_val_acc": round(float(frame["val_acc"].dropna().iloc[-1]), 6), **run})
            if tracker and run["run_id"]:
                tracker.log_metrics(run["run_id"], {"test_acc": acc})
        acc_mean, acc_std = _mean_std([s["test_acc"] for s in seeds])
        reached = [s["steps_to_target"] for s in seeds if s["steps_to_target"] is not None]
        metrics[f"T{T}"] = {
            "test_acc_mean": round(acc_mean, 6), "test_acc_std": round(acc_std, 6),
            "seeds_at_target": len(reached),
            "steps_to_target_mean": round(float(np.mean(reached)), 1) if reached else None,
        }
        curves(frames).to_csv(curve_dir / f"T{T}.csv", index=False)
        results["lengths"][str(T)] = {"data": meta, "seeds": seeds, **metrics[f"T{T}"]}
        parent = seeds[0].get("parent_run_id")
        if tracker and parent:
            tracker.log_metrics(parent, {"test_acc_mean": acc_mean, "test_acc_std": acc_std})
    write_json(paths.palindrome_metrics(name), metrics)
    write_json(paths.palindrome_results(name), results)
    return metrics

