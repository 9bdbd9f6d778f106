import os
import shlex
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import yaml

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def _stage_commands() -> dict[str, str]:
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return {s.addressing: s.cmd for s in repo.index.stages}


def stage_command(name: str) -> list[str]:
    """A stage's command as dvc.yaml gives it (foreach resolved), run with this interpreter (which
    imports this checkout's seqlab, as the command's PYTHONPATH=src would from the repository root)."""
    words = shlex.split(_stage_commands()[name])
    assert words[:2] == ["PYTHONPATH=src", "python"], words
    return [sys.executable, *words[2:]]


@pytest.fixture
def default_params() -> dict:
    """The repository's params.yaml as a plain dict, for tests to shrink or break."""
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def shrink(p: dict) -> dict:
    """Every study at a size that runs in seconds: the same code paths, tiny data and models."""
    p["palindrome"]["data"].update(n_train=256, n_val=64, n_test=64)
    p["palindrome"]["train"].update(seeds=[0, 1], steps=12, batch_size=32, hidden=8, eval_every=4)
    for m in p["palindrome"]["models"]:
        p[m]["T"] = [4, 6]
    k = p["palindrome"]["course"]
    k.update(seeds=[0, 1], hidden=4, batch_size=8)
    k["default_size"].update(whole_up_to=2)  # every length at the cut sizes below
    k["default_size"]["lstm"].update(palindromes=60, epochs=2)
    k["default_size"]["rnn"].update(palindromes=50, epochs=2)
    u = p["uvapal"]
    u.update(lengths=[4, 6])
    u["small"].update(hidden=4, batch_size=8)
    u["train"].update(seeds=[0, 1], steps=12, eval_every=4)
    u["heldout"]["n"] = 16
    u["ablation"]["T"] = 4
    p["recall"]["data"].update(n_train=200, n_val=50, n_test=50)
    p["recall"]["train"].update(hidden=[2, 4], seeds=[0, 1], steps=12, batch_size=32, eval_every=4)
    p["recall"]["report"]["examples"] = 3
    k = p["recall"]["course"]
    k["train"].update(hidden=[2, 4], seeds=[0, 1], epochs=2, steps_per_epoch=4, batch_size=8, test_batches=2)
    k["judge"]["batches"] = 4
    p["addition"]["data"].update(lengths=[2, 3], eval_max_len=4, n_train=100, n_val=20, n_test=20)
    p["addition"]["train"].update(hidden=[3], seeds=[0, 1], steps=12, batch_size=16, eval_every=4)
    k = p["addition"]["course"]
    k["train"].update(seeds=[0, 1], epochs=2, steps_per_epoch=4, batch_size=8, epoch_test_n=8)
    k["evaluate"].update(sweep_max_len=4, sweep_n=8, judge_n=16, show=4)
    p["adding"]["T"] = [4, 6]
    p["adding"]["data"].update(n_train=100, n_val=20, n_test=20)
    p["adding"]["train"].update(hidden=8, seeds=[0], steps=12, batch_size=16, eval_every=4)
    p["sweep"]["T"] = [4, 6]
    p["sweep"]["data"].update(n_train=200, n_val=50, n_test=50)
    p["sweep"]["train"].update(hidden=8, seeds=[0, 1], steps=12, batch_size=32, eval_every=4)
    p["gradflow"].update(T=[4, 6], batch_size=16)
    d = p["add2digits"]
    d["lengths"] = [3, 4]
    d["network"]["hidden"] = 8
    d["train"]["seeds"] = [0]
    d["course"].update(n_train=48, n_val=16, batch_size=16, epochs=2)
    d["corrected"]["lengths"] = [4]
    d["judge"]["n"] = 32
    d["gradients"].update(batch=16, probe_seeds=[0, 1])
    m = p["mnist"]
    m["data"].update(n_train=60, n_val=20, n_test=20)
    m["classifiers"].update(hidden=[[4], [4, 4]])
    for view, subset in (("row", None), ("pixel", 20), ("permuted", 20)):  # gate inits as the defaults
        m["train"]["schedule"][view].update(epochs=1, n_train=subset, batch_size=16)
    m["autoencoder"].update(hidden=8, latent=4, epochs=1, batch_size=16)
    m["course"].update(layouts=[[4], [6], [4, 4]], steps=7, batch_size=16, eval_every=3)
    p["masked"]["model"].update(encoder=[16, 4], decoder=[16])
    p["masked"]["train"].update(epochs=2, batch_size=16)
    p["masked"]["report"].update(pairs=2, ghosts=2)
    k = p["masked"]["course"]
    k["model"].update(encoder=[8, 4], decoder=[8])
    k["train"].update(epochs=2, batch_size=16, seeds=[0, 1])
    k["report"].update(per_class=1, threes=2)
    g = p["gan"]
    g["model"].update(latent=8, generator=[8, 16], discriminator=[16])
    g["train"].update(updates=6, batch_size=8, grid_every=3)
    g["score"].update(grid_size=4, n_samples=10)
    k = g["course"]  # the template's networks are fixed: 6 updates of them take a second
    k["train"].update(updates=6, batch_size=8, seeds=[0])
    k["score"].update(every=3, n_samples=10)
    k["interpolate"].update(points=3, paths=2)
    c = p["charlm"]  # the source stays as it is: the e2e test points it at a text it writes
    c["model"].update(embedding=4, hidden=8)
    c["train"].update(steps=6, seq_len=10, batch_size=8, eval_every=2, decay_every=3)
    c["generate"].update(length=10, measure_length=40)
    c["course"]["model"].update(embedding=4, hidden=8)
    c["course"]["train"].update(steps=6, batch_size=8, eval_every=2, checkpoints=[2, 4], acc_window=2)
    c["course"]["generate"].update(starts=["t", "a"], measure_length=40, sample_length=20, samples=1)
    a = p["lstmae"]  # the prices stay on the offline source, which the pinned skfolio wheel ships
    a["synthetic"]["data"]["n"] = 100
    a["synthetic"]["model"].update(hidden=4, latent=4)
    a["synthetic"]["train"].update(steps=6, eval_every=3, batch_size=16)
    a["prices"]["data"].update(windows=30, days=20, horizon=2)
    a["prices"]["model"].update(hidden=4, latent=4)
    a["prices"]["train"].update(steps=6, eval_every=3, batch_size=8)
    k = a["course"]["synthetic"]
    k["data"].update(n=60, length=8)
    k["model"]["hidden"] = 4
    k["train"].update(epochs=2, seeds=[0, 1])
    k["variants"] = [{"hidden": 2}, {"lr": 0.05}]
    c = a["course"]
    c["mnist"]["recon"].update(hidden=3, epochs=2, pixel_epochs=1)
    c["mnist"]["classifier"].update(hidden=3, epochs=2)
    c["prices"]["default"].update(recon_windows=24, predict_windows=16, val_windows=6, test_windows=6, hidden=3, epochs=2)
    c["prices"]["data"]["days"] = 20
    return p


@pytest.fixture
def tiny_params(default_params) -> dict:
    return shrink(default_params)


def fake_mnist(root) -> None:
    """Random images in the MNIST study's split files under ``root``/data/mnist (40 / 12 / 16):
    what the course-protocol tests train on (tests never read the real splits)."""
    from seqlab.tasks import mnist

    rng = np.random.default_rng(0)
    splits = {s: (rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n))
              for s, n in (("train", 40), ("val", 12), ("test", 16))}
    mnist.save_splits(root / "data" / "mnist", splits,
                      {"source": "fake", "sizes": {s: len(v[1]) for s, v in splits.items()}, "full": False,
                       "class_names": list("0123456789")})
