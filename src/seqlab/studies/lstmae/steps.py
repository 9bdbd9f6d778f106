"""Stages lstmae_<step>: the LSTM autoencoder on synthetic dip signals, and on stock prices, where
a second decoder predicts the next day and is held against tomorrow = today.

    python -m seqlab.studies.lstmae.steps {synthetic_data,synthetic_train,prices_data,prices_train,evaluate}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import DataError
from seqlab.core.files import read_json, write_json
from seqlab.models.config import count_parameters
from seqlab.models.series import SeriesAutoencoderConfig
from seqlab.studies.lstmae.layout import PREDICT, PRICES, RECONSTRUCT, STUDY, SYNTHETIC, data_dir
from seqlab.studies.lstmae.params import LstmAeParams, Model, Train
from seqlab.tasks import prices, signals
from seqlab.tasks.splits import SPLITS
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.judging.metrics import Metric, still_improving
from seqlab.training.parallel import run_parallel, workers_for
from seqlab.training.runs import CHECKPOINT, HISTORY, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

EXAMPLES = 3  # test windows drawn in the prices figure

# Mean squared error per sequence, (B, T) -> (B,). Kept here rather than in training.metrics,
# whose per-sample MSE is for one number per sample: a change there would re-run every study.
SEQUENCE_MSE = Metric("mse", lambda out, y: ((out - y) ** 2).flatten(1).mean(1), higher_is_better=False, bounded=False)


def data_file(part: str):
    return data_dir(part) / ("signals.npz" if part == SYNTHETIC else "windows.npz")


def run_dir(name: str):
    return paths.run_dir(STUDY, name)


def fit_config(t: Train, n_train: int) -> FitConfig:
    return FitConfig(steps=t.steps, batch_size=min(t.batch_size, n_train), lr=t.lr, clip_norm=t.clip_norm,
                     eval_every=t.eval_every)


def split_sizes(n: int, split: tuple[float, float, float]) -> dict[str, int]:
    """Validation and test get round(fraction x n); training gets the rest."""
    val, test = (int(round(f * n)) for f in split[1:])
    return {"train": n - val - test, "val": val, "test": test}


# --- synthetic signals --------------------------------------------------------------------------


def synthetic_data(p: LstmAeParams, tracker=None) -> dict:
    """The dip signals, shuffled by the generator itself, cut 60/20/20 in order."""
    d = p.synthetic.data
    sizes = split_sizes(d.n, d.split)
    if min(sizes.values()) < 1:
        raise DataError(f"lstmae.synthetic.data: {d.n} signals leave a split empty ({sizes})")
    dips = signals.dip_signals(d.n, d.length, d.dip_min, d.dip_max, d.dip_half, d.dip_factor, d.seed)
    cuts = np.cumsum([sizes["train"], sizes["val"]])
    arrays = {}
    for name, x, c in zip(SPLITS, np.split(dips.x, cuts), np.split(dips.centre, cuts)):
        arrays[f"{name}_x"], arrays[f"{name}_centre"] = x, c
    out = data_file(SYNTHETIC)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    return sizes


def load_synthetic() -> dict[str, np.ndarray]:
    path = data_file(SYNTHETIC)
    if not path.is_file():
        raise DataError(f"{path}: no signals; make them with `dvc repro lstmae_synthetic_data`")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def model_config(m: Model, seq_len: int, predict: bool) -> SeriesAutoencoderConfig:
    return SeriesAutoencoderConfig(seq_len=seq_len, hidden=m.hidden, latent=m.latent, predict=predict)


def _fit(config: SeriesAutoencoderConfig, t: Train, x: np.ndarray, y: np.ndarray, vx: np.ndarray, vy: np.ndarray,
         name: str) -> RunResult:
    device = resolve_device(t.device, "lstmae.<part>.train.device")
    tensor = (lambda a: torch.as_tensor(a, dtype=torch.float32, device=device))
    seed_everything(t.seed)
    model = config.build().to(device)
    hist = fit(model, (tensor(x), tensor(y)), (tensor(vx), tensor(vy)), fit_config(t, len(x)), t.seed,
               name=f"lstmae {name}", metric=SEQUENCE_MSE)
    return RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))


def _params(m: Model, t: Train, **more) -> dict:
    return {"hidden": m.hidden, "latent": m.latent, "lr": t.lr, "batch_size": t.batch_size,
            "clip": "none" if t.clip is None else t.clip, "steps": t.steps, "seed": t.seed, **more}


def synthetic_train(p: LstmAeParams, tracker=None) -> None:
    """One LSTM-AE reconstructing the training signals, validated on the validation signals."""
    s, syn = load_synthetic(), p.synthetic
    config = model_config(syn.model, s["train_x"].shape[1], predict=False)
    result = _fit(config, syn.train, s["train_x"], s["train_x"], s["val_x"], s["val_x"], SYNTHETIC)
    record_run(run_dir(SYNTHETIC), config, result, tracker, SYNTHETIC,
               _params(syn.model, syn.train, n_train=len(s["train_x"]), length=config.seq_len))


# --- prices --------------------------------------------------------------------------------------


def prices_data(p: LstmAeParams, tracker=None) -> dict:
    """Read and check the source, split its tickers three ways, crop each split's windows of
    ``days + horizon`` days, and keep the two shown tickers' whole series for the figure."""
    d = p.prices.data
    src = prices.load_source(d.source, d.column, d.min_days, d.repair)
    splits = prices.split_tickers(src.tickers, d.split, d.seed, f"source {d.source}")
    sizes = split_sizes(d.windows, d.split)
    arrays = {}
    for i, name in enumerate(SPLITS):
        w = prices.crop(src.series, splits[name], sizes[name], d.min_days, d.seed + 1 + i)
        arrays[f"{name}_prices"], arrays[f"{name}_ticker"], arrays[f"{name}_start"] = w.prices, w.ticker, w.start
    wanted = [t for t in d.show if t in src.series]
    shown = wanted + [t for t in src.tickers if t not in wanted][: 2 - len(wanted)]
    out = data_dir(PRICES)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(data_file(PRICES), **arrays)
    pd.concat([pd.DataFrame({"ticker": t, "date": src.dates[t], "price": src.series[t]}) for t in shown]).to_csv(
        out / "shown.csv", index=False)
    first = min(v[0] for v in src.dates.values())
    last = max(v[-1] for v in src.dates.values())
    meta = {"source": d.source, "origin": src.origin, "sha256": src.sha256, "column": src.column,
            "column_asked": d.column, "column_note": src.note, "repaired": src.repaired, "repair": d.repair,
            "tickers": len(src.tickers), "days_per_ticker": {"min": min(map(len, src.series.values())),
                                                            "max": max(map(len, src.series.values()))},
            "first_date": str(first), "last_date": str(last), "split_tickers": splits, "windows": sizes,
            "days": d.days, "horizon": d.horizon, "shown": shown,
            "shown_note": "" if shown == list(d.show) else
            f"the source lacks {', '.join(t for t in d.show if t not in src.series)}; shown instead: {', '.join(shown)}"}
    write_json(out / "meta.json", meta)
    return meta


def load_prices(days: int) -> tuple[dict, dict[str, np.ndarray]]:
    """meta, and per split the z-scored windows (M, days + horizon) with their means and stds."""
    path = data_file(PRICES)
    if not path.is_file():
        raise DataError(f"{path}: no windows; crop them with `dvc repro lstmae_prices_data`")
    meta = read_json(data_dir(PRICES) / "meta.json")
    if meta["days"] != days:
        raise DataError(f"{path} holds windows of {meta['days']} days, params ask for {days}: re-run lstmae_prices_data")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    for name in SPLITS:
        arrays[f"{name}_z"], arrays[f"{name}_mean"], arrays[f"{name}_std"] = prices.normalise(arrays[f"{name}_prices"], days)
    return meta, arrays


def _price_job(job: tuple[LstmAeParams, str]) -> RunResult:
    """One of the two price models: reconstruct the days, or reconstruct and predict the next."""
    p, name = job
    n = p.prices.data.days
    _, a = load_prices(n)
    predict = name == PREDICT
    x, vx = a["train_z"][:, :n], a["val_z"][:, :n]
    y, vy = (a["train_z"][:, 1 : n + 1], a["val_z"][:, 1 : n + 1]) if predict else (x, vx)
    return _fit(model_config(p.prices.model, n, predict), p.prices.train, x, y, vx, vy, name)


def prices_train(p: LstmAeParams, tracker=None) -> None:
    """The reconstructing LSTM-AE and the one with a second, predicting decoder, side by side
    (``compute.workers`` processes on a CPU, one thread each). The source and the number of
    windows it records come from the windows' meta.json (the data dep), not from params.yaml."""
    pr = p.prices
    device = resolve_device(pr.train.device, "lstmae.prices.train.device")
    names = (RECONSTRUCT, PREDICT)
    meta, _ = load_prices(pr.data.days)  # fail here, before starting workers
    windows = sum(meta["windows"].values())  # lstmae.prices.data.windows, as prices_data cut it
    results = run_parallel(_price_job, [(p, name) for name in names], workers_for(device, p.runtime.workers), "prices")
    for name, result in zip(names, results):
        record_run(run_dir(name), model_config(pr.model, pr.data.days, name == PREDICT), result, tracker,
                   f"prices-{name}", _params(pr.model, pr.train, source=meta["source"], days=pr.data.days,
                                             windows=windows))


# --- evaluate ------------------------------------------------------------------------------------


def r6(v) -> float:
    return round(float(v), 6)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return r6(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


@torch.no_grad()
def outputs(model, x: np.ndarray, device, batch: int = 1024) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's reconstruction and next-step prediction of every row of x, in eval mode."""
    model.eval()
    recon, nxt = [], []
    for i in range(0, len(x), batch):
        r, n = model.parts(torch.as_tensor(x[i : i + batch], dtype=torch.float32, device=device))
        recon.append(r.cpu().numpy())
        nxt.append(None if n is None else n.cpu().numpy())
    return np.concatenate(recon), None if nxt[0] is None else np.concatenate(nxt)


def still_falling(name: str) -> bool:
    """Was a run's validation loss still falling at its end? The mean log-loss of its last 5
    evaluations is at least 0.02 below that of the 5 before (about 2%): the budget, not a
    plateau, ended it."""
    values = pd.read_csv(run_dir(name) / HISTORY)["val_loss"].dropna()
    return still_improving((-np.log(values)).tolist(), window=5, min_gain=0.02)


def evaluate_synthetic(p: LstmAeParams, device) -> tuple[dict, dict]:
    s = load_synthetic()
    d = p.synthetic.data
    model = SeriesAutoencoderConfig.load(run_dir(SYNTHETIC) / CHECKPOINT, device)
    rec = {name: outputs(model, s[f"{name}_x"], device)[0] for name in SPLITS}
    test, centre = s["test_x"], s["test_centre"]
    mask = signals.dip_mask(centre, d.length, d.dip_half)
    baselines = {"mean_signal": signals.mean_signal(s["train_x"], len(test)),
                 "moving_average": signals.moving_average(test, p.synthetic.smoother)}
    metrics = {"train_mse": mse(rec["train"], s["train_x"]), "val_mse": mse(rec["val"], s["val_x"]),
               "test_mse": mse(rec["test"], test), "test_mse_dip": mse(rec["test"][mask], test[mask]),
               "test_mse_outside": mse(rec["test"][~mask], test[~mask])}
    per_signal = ((rec["test"] - test) ** 2).mean(axis=1)
    for name, b in baselines.items():
        metrics[f"{name}_mse"] = mse(b, test)
        metrics[f"{name}_mse_dip"] = mse(b[mask], test[mask])
        base_per = ((b - test) ** 2).mean(axis=1)
        metrics[f"beats_{name}_share"] = r6((per_signal < base_per).mean())
    run = read_json(run_dir(SYNTHETIC) / RUN)
    metrics["train_seconds"] = run["train_seconds"]
    metrics["still_falling"] = still_falling(SYNTHETIC)
    examples = {name: {"x": s[f"{name}_x"][0].tolist(), "recon": rec[name][0].round(6).tolist(),
                       "centre": int(s[f"{name}_centre"][0])} for name in ("train", "test")}
    examples["test"]["moving_average"] = baselines["moving_average"][0].round(6).tolist()
    return metrics, {"examples": examples, "run": run, "n": {k: len(s[f"{k}_x"]) for k in SPLITS}}


def feed_back(model, window_prices: np.ndarray, days: int, horizon: int, device) -> np.ndarray:
    """Forecast ``horizon`` days past each window's first ``days``: predict the next day from the
    last ``days`` (each time z-scored by its own days), append it, slide, repeat. (M, horizon) prices."""
    hist = window_prices[:, :days].astype(np.float64)
    out = []
    for _ in range(horizon):
        z, mean, std = prices.normalise(hist[:, -days:], days)
        _, nxt = outputs(model, z, device)
        out.append(nxt[:, -1] * std[:, 0] + mean[:, 0])
        hist = np.concatenate([hist, out[-1][:, None]], axis=1)
    return np.stack(out, axis=1)


def forecast_errors(model, a: dict, split: str, days: int, horizon: int, device) -> dict[str, np.ndarray]:
    """Squared errors per window and horizon (M, horizon), on the window's own z-scale, of the
    model's fed-back forecast and of the naive, drift and linear forecasts."""
    z, mean, std = a[f"{split}_z"], a[f"{split}_mean"], a[f"{split}_std"]
    inputs, truth = z[:, :days], z[:, days : days + horizon]
    model_z = (feed_back(model, a[f"{split}_prices"], days, horizon, device) - mean) / std
    fc = {"model": model_z, "naive": prices.naive(inputs, horizon), "drift": prices.drift(inputs, horizon),
          "linear": prices.linear(inputs, horizon)}
    return {k: (v - truth) ** 2 for k, v in fc.items()}


def evaluate_prices(p: LstmAeParams, device) -> tuple[dict, dict, pd.DataFrame]:
    n, k = p.prices.data.days, p.prices.data.horizon
    meta, a = load_prices(n)
    recon_model = SeriesAutoencoderConfig.load(run_dir(RECONSTRUCT) / CHECKPOINT, device)
    pred_model = SeriesAutoencoderConfig.load(run_dir(PREDICT) / CHECKPOINT, device)
    metrics: dict = {}
    for split in ("val", "test"):
        z = a[f"{split}_z"]
        x, nxt_true = z[:, :n], z[:, 1 : n + 1]
        recon = outputs(recon_model, x, device)[0]
        recon2, nxt = outputs(pred_model, x, device)
        pre = "" if split == "test" else "val_"
        metrics.update({
            f"{pre}recon_mse": mse(recon, x),
            f"{pre}predictor_recon_mse": mse(recon2, x),
            f"{pre}predictor_next_mse": mse(nxt, nxt_true),  # x_2 .. x_{N+1}: all but the last are inputs
            f"{pre}naive_next_mse": mse(x, nxt_true),  # x_t for x_{t+1} over the same days
        })
        metrics[f"{pre}predictor_loss"] = r6(metrics[f"{pre}predictor_recon_mse"] + metrics[f"{pre}predictor_next_mse"])
        # How well the code knows the last input day, which the naive forecast repeats exactly
        metrics[f"{pre}predictor_last_day_recon_mse"] = mse(recon2[:, -1], x[:, -1])
        err = forecast_errors(pred_model, a, split, n, k, device)
        for name, e in err.items():
            metrics[f"{pre}{name}_day1_mse"] = r6(e[:, 0].mean())
            metrics[f"{pre}{name}_k_mse"] = r6(e.mean())
        if split == "test":
            test_err = err
            test_recon, test_nxt = recon, nxt
    d_day1 = test_err["model"][:, 0] - test_err["naive"][:, 0]
    metrics["model_minus_naive_day1"] = r6(d_day1.mean())
    metrics["model_minus_naive_day1_se"] = r6(d_day1.std(ddof=1) / np.sqrt(len(d_day1)))
    metrics["model_beats_naive_share"] = r6((d_day1 < 0).mean())
    # Mean squared error per horizon, for the figure: (horizon, forecast)
    by_h = pd.DataFrame({"horizon": np.arange(1, k + 1),
                         **{name: e.mean(axis=0).round(6) for name, e in test_err.items()}})
    # Three test windows in prices: the days, the reconstruction, the fed-back forecast
    rows = np.linspace(0, len(a["test_z"]) - 1, EXAMPLES).round().astype(int)
    mean, std = a["test_mean"][rows], a["test_std"][rows]
    fed = feed_back(pred_model, a["test_prices"][rows], n, k, device)
    examples = [{"ticker": meta["split_tickers"]["test"][int(a["test_ticker"][r])], "start": int(a["test_start"][r]),
                 "prices": a["test_prices"][r].round(4).tolist(),
                 "recon": prices.denormalise(test_recon[r], mean[j], std[j]).round(4).tolist(),
                 "next": prices.denormalise(test_nxt[r], mean[j], std[j]).round(4).tolist(),
                 "forecast": fed[j].round(4).tolist()} for j, r in enumerate(rows)]
    runs = {name: read_json(run_dir(name) / RUN) for name in (RECONSTRUCT, PREDICT)}
    metrics["train_seconds"] = r6(sum(r["train_seconds"] for r in runs.values()))
    for name in runs:
        metrics[f"{name}_still_falling"] = still_falling(name)
    return metrics, {"meta": meta, "examples": examples, "runs": runs,
                     "n_test": int(len(a["test_z"])), "n_val": int(len(a["val_z"]))}, by_h


def evaluate_study(p: LstmAeParams, tracker=None) -> dict:
    """Both parts' errors against their baselines, on validation (for choosing settings) and
    test (for the report); nothing here selects anything."""
    syn, syn_res = evaluate_synthetic(p, resolve_device(p.synthetic.train.device, "lstmae.synthetic.train.device"))
    pr, pr_res, by_h = evaluate_prices(p, resolve_device(p.prices.train.device, "lstmae.prices.train.device"))
    metrics = {SYNTHETIC: syn, "prices": pr}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"metrics": metrics, SYNTHETIC: syn_res, "prices": pr_res})
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    by_h.to_csv(plots / "forecast_by_horizon.csv", index=False)
    for name in (SYNTHETIC, RECONSTRUCT, PREDICT):
        h = pd.read_csv(run_dir(name) / HISTORY).dropna(subset=["val_mse"])
        h[["step", "val_mse", "val_loss"]].to_csv(plots / f"{name}.csv", index=False)
    if tracker:
        for name, m in ((SYNTHETIC, syn), (RECONSTRUCT, pr), (PREDICT, pr)):
            run_id = read_json(run_dir(name) / RUN)["run_id"]
            if run_id:
                tracker.log_metrics(run_id, {f"final_{k}": v for k, v in m.items() if isinstance(v, (int, float))})
    return metrics


STEPS = {
    "synthetic_data": Step(synthetic_data, reads=("lstmae.synthetic.data",)),
    "synthetic_train": Step(synthetic_train, reads=("lstmae.synthetic.model", "lstmae.synthetic.train")),
    "prices_data": Step(prices_data, reads=("lstmae.prices.data",)),
    # days: which windows to read (checked against the data's meta.json) and the models' length
    "prices_train": Step(prices_train, reads=("lstmae.prices.data.days", "lstmae.prices.model", "lstmae.prices.train")),
    # the models come from their checkpoints; the dip's place and the baselines' settings from here
    "evaluate": Step(evaluate_study, reads=(
        "lstmae.synthetic.data.length", "lstmae.synthetic.data.dip_half", "lstmae.synthetic.train.device",
        "lstmae.synthetic.smoother", "lstmae.prices.data.days", "lstmae.prices.data.horizon",
        "lstmae.prices.train.device")),
}

if __name__ == "__main__":
    run_stage(__doc__, LstmAeParams, STEPS, experiment=STUDY)
