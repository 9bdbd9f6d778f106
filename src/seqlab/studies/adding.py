"""The adding-task study: RNN, LSTM, peephole LSTM and GRU at T = 10, 50, 100, trained on MSE.

Stages: generate -> train -> evaluate -> figures, through the files under the study's paths.
"""

from __future__ import annotations

import pandas as pd
import torch

from seqlab import paths
from seqlab.models import build_backbone, count_parameters
from seqlab.models.recurrent import SequenceRegressor
from seqlab.parallel import run_parallel
from seqlab.params.adding import AddingParams
from seqlab.seeding import seed_everything
from seqlab.studies.common import RunResult, curves, mean_std, parent_run, read_json, record_run, write_json
from seqlab.tasks import adding
from seqlab.train import FitConfig, Metric, evaluate, fit, resolve_device

STUDY = "adding"


def _squared_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target) ** 2  # (B,)


MSE = Metric("mse", _squared_error, higher_is_better=False)


def generate_data(p: AddingParams, tracker=None) -> dict:
    sizes = {"train": p.n_train, "val": p.n_val, "test": p.n_test}
    return adding.write_all(paths.study_data(STUDY), p.T, sizes, p.seed)


def build(arch: dict) -> SequenceRegressor:
    return SequenceRegressor(build_backbone(arch["model"], arch["impl"], adding.INPUT_DIM, arch["hidden"],
                                            arch["forget_bias"]))


def _arch(p: AddingParams, model: str) -> dict:
    return {"model": model, "impl": p.impls[model], "hidden": p.hidden, "forget_bias": p.train.forget_bias}


def _run_dir(model: str, T: int, seed: int):
    return paths.study_models(STUDY) / model / f"T{T}" / f"seed{seed}"


def _tensors(pair):
    return tuple(torch.from_numpy(a) for a in pair)


def _train_job(job: tuple[AddingParams, str, int, int]) -> RunResult:
    p, model_name, T, seed = job
    data = adding.load(paths.study_data(STUDY), T)
    device = resolve_device(p.train.device, "adding.train.device")
    seed_everything(seed)
    model = build(_arch(p, model_name)).to(device)
    t = p.train
    cfg = FitConfig(t.steps, t.batch_size, t.lr, t.clip_norm, t.eval_every)
    train, val = (tuple(a.to(device) for a in _tensors(data[s])) for s in ("train", "val"))
    hist = fit(model, train, val, cfg, seed, name=f"adding {model_name} T={T}", progress=False, metric=MSE)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def train(p: AddingParams, tracker=None) -> None:
    # Longest sequences first, so the last job to finish is a short one and workers stay busy.
    jobs = sorted(((p, m, T, s) for m in p.models for T in p.T for s in p.train.seeds), key=lambda j: -j[2])
    workers = 1 if resolve_device(p.train.device, "adding.train.device").type == "cuda" else p.workers
    results = dict(zip([j[1:] for j in jobs], run_parallel(_train_job, jobs, workers, "adding")))
    t = p.train
    for m in p.models:
        for T in p.T:
            params = {**_arch(p, m), "T": T, "steps": t.steps, "batch_size": t.batch_size, "lr": t.lr}
            with parent_run(tracker, f"{m}-T{T}", params) as parent_id:
                for s in t.seeds:
                    record_run(_run_dir(m, T, s), _arch(p, m), results[(m, T, s)], MSE, f"adding {m} T={T} seed={s}",
                               tracker, f"{m}-T{T}-seed{s}", {**params, "seed": s}, parent_id)


def load_model(run_dir) -> SequenceRegressor:
    ckpt = torch.load(run_dir / "model.pt", map_location="cpu", weights_only=True)
    model = build(ckpt["arch"])
    model.load_state_dict(ckpt["state_dict"])
    return model.eval()


def evaluate_study(p: AddingParams, tracker=None) -> dict:
    """Test MSE per model, T and seed, beside the mean-predicting baseline; loss curves."""
    root = paths.study_data(STUDY)
    meta = read_json(root / "meta.json")
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    metrics, rows = {}, []
    for m in p.models:
        for T in p.T:
            x, y = _tensors(adding.load(root, T)["test"])
            mses, frames = [], []
            for s in p.train.seeds:
                run_dir = _run_dir(m, T, s)
                mse, _ = evaluate(load_model(run_dir), x, y, MSE)
                run = read_json(run_dir / "run.json")
                mses.append(mse)
                frames.append(pd.read_csv(run_dir / "history.csv"))
                rows.append({"model": m, "T": T, "seed": s, "test_mse": round(mse, 6), **run})
                if tracker and run["run_id"]:
                    tracker.log_metrics(run["run_id"], {"test_mse": mse})
            mean, std = mean_std(mses)
            baseline = meta["baseline"][str(T)]["test_mse"]
            metrics.setdefault(m, {})[f"T{T}"] = {
                "test_mse_mean": round(mean, 6), "test_mse_std": round(std, 6),
                "vs_baseline": round(mean / baseline, 4),
                "seeds_solved": sum(v < p.solved_mse for v in mses),
            }
            curves(frames, MSE.name).to_csv(plots / f"{m}_T{T}.csv", index=False)
    metrics["baseline_mse"] = {f"T{T}": meta["baseline"][str(T)]["test_mse"] for T in p.T}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"data": meta, "metrics": metrics, "runs": rows,
                                            "solved_mse": p.solved_mse, "theoretical_baseline": adding.BASELINE_MSE})
    return metrics


def make_figures(p: AddingParams, tracker=None) -> None:
    from seqlab.figures_algorithmic import plot_adding_losses

    plots = paths.study_plots(STUDY)
    frames = {(m, T): pd.read_csv(plots / f"{m}_T{T}.csv") for m in p.models for T in p.T}
    baseline = read_json(paths.study_results(STUDY))["metrics"]["baseline_mse"]
    plot_adding_losses(frames, {int(k[1:]): v for k, v in baseline.items()}, paths.study_figures(STUDY) / "loss.png")


STEPS = {"generate": generate_data, "train": train, "evaluate": evaluate_study, "figures": make_figures}
