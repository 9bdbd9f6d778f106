"""The palindrome study: generate -> train -> evaluate, one model at a time.

Each function is what one DVC stage runs; they talk only through the files in seqlab.paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab import paths
from seqlab.figures import plot_accuracy_curves, plot_loss_by_length
from seqlab.models import build_model, count_parameters
from seqlab.params.palindrome import PalindromeParams, model_section
from seqlab.seeding import seed_everything
from seqlab.studies.common import RunResult, curves, mean_std, parent_run, record_run, write_json
from seqlab.tasks import palindrome
from seqlab.tasks.palindrome import PalindromeTask
from seqlab.train import ACCURACY, FitConfig, accuracy, fit, resolve_device

STUDY = "palindrome"


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
        with parent_run(tracker, f"{name}-T{T}", run_params) as parent_id:
            for seed in cfg.seeds:
                seed_everything(seed)  # the model's initial weights depend on the seed alone
                model = build_model(name, section.impl, task.input_dim, cfg.hidden, task.num_classes,
                                    cfg.forget_bias).to(device)
                hist = fit(model, train, val, fit_cfg, seed, name=f"{name} T={T}", progress=progress)
                result = RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))
                record_run(paths.palindrome_run(name, T, seed), arch, result, ACCURACY, f"{name} T={T} seed={seed}",
                           tracker, f"{name}-T{T}-seed{seed}", {**run_params, "seed": seed}, parent_id)


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
        acc_mean, acc_std = mean_std([s["test_acc"] for s in seeds])
        reached = [s["steps_to_target"] for s in seeds if s["steps_to_target"] is not None]
        metrics[f"T{T}"] = {
            "test_acc_mean": round(acc_mean, 6), "test_acc_std": round(acc_std, 6),
            "seeds_at_target": len(reached),
            "steps_to_target_mean": round(float(np.mean(reached)), 1) if reached else None,
        }
        curves(frames, ACCURACY.name).to_csv(curve_dir / f"T{T}.csv", index=False)
        results["lengths"][str(T)] = {"data": meta, "seeds": seeds, **metrics[f"T{T}"]}
        parent = seeds[0].get("parent_run_id")
        if tracker and parent:
            tracker.log_metrics(parent, {"test_acc_mean": acc_mean, "test_acc_std": acc_std})
    write_json(paths.palindrome_metrics(name), metrics)
    write_json(paths.palindrome_results(name), results)
    return metrics



# --- figures ----------------------------------------------------------------------------------


def make_figures(params: PalindromeParams) -> list[Path]:
    """The palindrome study's figures, from the curves the evaluate stages wrote."""
    frames = {m: {T: pd.read_csv(paths.palindrome_curves(m) / f"T{T}.csv") for T in model_section(params, m).T}
              for m in params.palindrome.models}
    return [
        plot_accuracy_curves(frames, paths.PALINDROME_ACCURACY_FIG),
        plot_loss_by_length(frames, ("rnn", "lstm"), paths.PALINDROME_LOSS_FIG),
    ]
