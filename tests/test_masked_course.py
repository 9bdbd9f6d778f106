"""The Northwestern homework's masked MLP as the published filled-in copy ran it: its network
against torch's modules built by hand, the mask, the per-epoch loss, every verdict of the two
criteria, the params, and the three stages on tiny fake splits with a tiny judge, through the
ledger rows and the report's part. Every image here is written by the test."""

import json
import math
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from torch import nn

from conftest import ROOT, fake_mnist, stage_command
from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE, SEQLAB, VERDICTS, quote_fragments
from seqlab.studies.masked import course_criteria as cc
from seqlab.studies.masked.course.params import COURSE_RUN, parse
from seqlab.studies.masked.course.steps import (
    CourseAutoencoderConfig,
    course_split,
    epoch_losses,
    examples,
    parameters,
)

# --- the network ------------------------------------------------------------------------------------


def test_the_network_is_the_copys_layers_at_torchs_default_init_encoder_first():
    torch.manual_seed(0)
    net = CourseAutoencoderConfig((8, 8, 3), (8, 8)).build()
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    dec = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Linear(8, 784),
                        nn.Sigmoid())
    assert [type(m) for m in net.encoder] == [type(m) for m in enc]  # the code is linear: no activation last
    assert [type(m) for m in [*net.decoder[0], net.decoder[1]]] == [type(m) for m in dec]
    assert all(m.negative_slope == 0.2 for m in net.decoder[0] if isinstance(m, nn.LeakyReLU))
    for a, b in zip(net.parameters(), [*enc.parameters(), *dec.parameters()]):
        assert torch.equal(a, b)
    x, full = torch.rand(5, 28, 28), torch.rand(5, 28, 28)
    recon, loss = net(x, full)
    hand = dec(enc(x.reshape(5, 784))).reshape(5, 28, 28)
    assert recon.shape == (5, 28, 28) and torch.allclose(recon, hand) and 0 <= recon.min() and recon.max() <= 1
    assert loss.item() == pytest.approx(nn.MSELoss()(hand, full).item())  # the mean over every pixel
    assert net(x)[1] is None


def test_the_parameter_count_in_closed_form():
    # the copy's MLPAutoencoder(2 hidden layers, 784, 128, 32): 784*128+128 + 128*128+128 + 128*32+32, mirrored
    assert parameters(COURSE_RUN["encoder"], COURSE_RUN["decoder"]) == 242_992
    net = CourseAutoencoderConfig(COURSE_RUN["encoder"], COURSE_RUN["decoder"]).build()
    assert sum(p.numel() for p in net.parameters()) == 242_992


def test_a_checkpoint_rebuilds_the_same_network(tmp_path):
    cfg = CourseAutoencoderConfig((6, 2), (5,))
    net = cfg.build()
    cfg.save(tmp_path / "m.pt", net.state_dict())
    back = CourseAutoencoderConfig.load(tmp_path / "m.pt")
    x = torch.rand(3, 28, 28)
    assert torch.equal(back(x)[0], net.eval()(x)[0])


def test_the_input_is_the_image_with_columns_0_to_13_zeroed_and_the_target_whole(tmp_path, monkeypatch):
    fake_mnist(tmp_path)
    monkeypatch.chdir(tmp_path)
    masked, full, y = course_split("train")
    raw = np.load(tmp_path / "data" / "mnist" / "train_x.npy")
    assert torch.equal(full, torch.from_numpy(raw.astype(np.float32) / 255))  # ToTensor's scale, no normalisation
    assert (masked[:, :, :14] == 0).all() and torch.equal(masked[:, :, 14:], full[:, :, 14:])
    assert (full[:, :, :14] > 0).any() and len(y) == len(full) == 40


# --- the loss per epoch and the figure's digits ---------------------------------------------------------


def test_the_epoch_loss_is_the_mean_of_the_epochs_batch_losses():
    # 3 steps an epoch, validation at steps 3 and 6 (the loop's history, one row per step)
    h = pd.DataFrame({"step": range(1, 7), "train_loss": [6, 3, 0, 2, 2, 2.0],
                      "val_mse": [None, None, 0.5, None, None, 0.25]})
    loss, val = epoch_losses(h)
    assert loss == [3.0, 2.0] and val == [0.5, 0.25]


def test_the_figures_digits_are_chosen_by_label_alone():
    truth = np.array([3, 1, 3, 0, 3, 8, 1, 3])
    assert examples(truth, 1, 2, 10) == [3, 1, 0, 5, 2, 4]  # the first of each class present, then two more 3s
    assert examples(truth, 2, 5, 10) == [3, 1, 6, 0, 2, 5, 4, 7]


# --- the criteria: every verdict ------------------------------------------------------------------------


@pytest.mark.parametrize("right, n, verdict", [
    ([100, 120, 90], 500, HOLDS),  # 18-24% read right: below half by far, every seed
    ([422, 408, 432], 500, FAILS),  # this run's: 82-86%
    ([100, 450], 500, MIXED),  # one seed each side
    ([240, 100], 500, NOISE),  # 48% is within 2 SE of half: not shown there
    ([250, 260, 245], 500, NOISE),
    ([0, 0], 10, HOLDS),  # nothing right: SE 0, below the line
    ([10], 10, FAILS),
    ([3], 0, NOT_COMPARABLE),
])
def test_fails_to_reconstruct_per_seed_against_half(right, n, verdict):
    v = cc.fails_to_reconstruct(right, n)
    assert v.verdict == verdict
    if n:
        assert v.numbers["right"] == right and len(v.numbers["per_seed"]) == len(right)


def test_fails_to_reconstruct_uses_two_binomial_ses_at_the_measured_share():
    n = 400
    se = math.sqrt(0.45 * 0.55 / n)  # 0.0249: 45% is 2.01 SE below half
    assert cc.fails_to_reconstruct([180], n).verdict == HOLDS
    assert 0.5 - 0.45 > 2 * se
    assert cc.fails_to_reconstruct([181], n).verdict == NOISE  # 45.25%: 1.9 SE
    with pytest.raises(ValueError):
        cc.fails_to_reconstruct([], n)
    with pytest.raises(ValueError):
        cc.fails_to_reconstruct([401], n)


@pytest.mark.parametrize("swaps, original, verdict", [
    ([15, 17, 14], 1, HOLDS),  # this run's: 14-17% of the 3s and 8s against 1%
    ([0, 1, 0], 12, FAILS),  # the originals are the more confused
    ([3, 2, 3], 2, NOISE),
    ([15, 2, 3], 2, MIXED),  # one seed holds, the others within noise
    ([25, 0, 25], 8, MIXED),  # holds, does not hold, holds
])
def test_swaps_3_8_per_seed_and_across_seeds(swaps, original, verdict):
    v = cc.swaps_3_8(swaps, original, 100)
    assert v.verdict == verdict and v.numbers["swaps_reconstruction"] == swaps and v.numbers["n"] == 100


def test_swaps_3_8_needs_some_3s_or_8s_and_counts_in_range():
    assert cc.swaps_3_8([0], 0, 0).verdict == NOT_COMPARABLE
    with pytest.raises(ValueError):
        cc.swaps_3_8([101], 0, 100)
    with pytest.raises(ValueError):
        cc.swaps_3_8([], 0, 100)


def test_across_seeds_and_swapped():
    assert cc.across_seeds([HOLDS, HOLDS]) == HOLDS and cc.across_seeds([FAILS]) == FAILS
    assert cc.across_seeds([NOISE, NOISE]) == NOISE and cc.across_seeds([HOLDS, NOISE]) == MIXED
    cm = [[0] * 10 for _ in range(10)]
    cm[3][3], cm[3][8], cm[8][8], cm[8][3], cm[8][0] = 40, 10, 45, 3, 2
    assert cc.swapped(cm, 3, 8) == (13, 100)


# --- params --------------------------------------------------------------------------------------------


def test_the_default_params_are_the_copys_run(default_params):
    c = parse(default_params).course
    ours = {"encoder": c.model.encoder, "decoder": c.model.decoder, "epochs": c.train.epochs,
            "batch_size": c.train.batch_size, "lr": c.train.lr}
    assert ours == COURSE_RUN and c.deviations() == [] and c.train.seeds == (0, 1, 2)


@pytest.mark.parametrize("part, key, value, message", [
    ("model", "encoder", [], r"'masked\.course\.model\.encoder' is empty"),
    ("model", "decoder", [128, 0], r"'masked\.course\.model\.decoder' must be a list of layer widths"),
    ("train", "lr", 0, r"'masked\.course\.train\.lr' must be a positive number"),
    ("train", "seeds", [], r"'masked\.course\.train\.seeds' is empty"),
    ("train", "device", "tpu", r"'masked\.course\.train\.device'.*allowed values"),
    ("report", "threes", -1, r"'masked\.course\.report\.threes'"),
])
def test_a_bad_course_param_names_its_key(default_params, part, key, value, message):
    default_params["masked"]["course"][part][key] = value
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


def test_a_changed_setting_is_a_listed_deviation(default_params):
    default_params["masked"]["course"]["train"]["epochs"] = 5
    default_params["masked"]["course"]["model"]["encoder"] = [64, 16]
    assert parse(default_params).course.deviations() == ["encoder: 64 → 16 (course: 128 → 128 → 32)",
                                                         "epochs: 5 (course: 30)"]


# --- the stages, the rows and the report's part -----------------------------------------------------------


def _judge(root) -> None:
    """A tiny untrained classifier as the MNIST study's only (so best) one: the judge."""
    from seqlab.models.image import ImageClassifierConfig

    d = root / "models" / "mnist" / "classifiers" / "gru-4-uni-row"
    d.mkdir(parents=True)
    torch.manual_seed(0)
    cfg = ImageClassifierConfig("gru", "row", (4,), False)
    cfg.save(d / "model.pt", cfg.build().state_dict())
    pd.DataFrame({"step": [1], "val_acc": [0.1]}).to_csv(d / "history.csv", index=False)
    (d / "run.json").write_text(json.dumps({"n_params": 1}))


def _tiny(tmp_path, default_params) -> dict:
    fake_mnist(tmp_path)
    _judge(tmp_path)
    p = default_params
    k = p["masked"]["course"]
    k["model"].update(encoder=[8, 4], decoder=[8])
    k["train"].update(epochs=2, batch_size=16, seeds=[0, 1])
    k["report"].update(per_class=1, threes=2)
    p["masked"]["model"].update(encoder=[8, 4], decoder=[8])  # seqlab's network beside it
    p["masked"]["train"].update(epochs=1, batch_size=16)
    p["compute"]["workers"] = 1
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    return p


def test_the_course_stages_train_score_draw_judge_and_report(tmp_path, default_params, monkeypatch):
    """seqlab's masked train and evaluate, then the course's train -> evaluate -> figures in this
    process (no tracking), the two ledger rows and the report's part."""
    from seqlab.studies.masked import claims, course_figures
    from seqlab.studies.masked import steps as seqlab_steps
    from seqlab.studies.masked.course import steps
    from seqlab.studies.masked.course_report import course_section
    from seqlab.studies.masked.params import parse as parse_masked

    raw = _tiny(tmp_path, default_params)
    monkeypatch.chdir(tmp_path)
    seqlab_p = parse_masked(raw)
    seqlab_steps.train(seqlab_p)
    seqlab_steps.evaluate_study(seqlab_p)
    p = parse(raw)
    steps.train(p)
    metrics = steps.evaluate_study(p)
    course_figures.make_figures(p)
    assert course_figures.STUDY == steps.STUDY == "masked_course"
    res = json.loads((tmp_path / "reports" / "masked_course" / "results.json").read_text())
    assert metrics["n_test"] == res["n_test"] == 16 and res["n_train"] == 40
    assert [r["seed"] for r in res["runs"]] == [0, 1]
    for run in res["runs"]:
        history = pd.read_csv(tmp_path / "models" / "masked_course" / "mlp" / f"seed{run['seed']}" / "history.csv")
        assert len(history) == 2 * 3 and run["steps"] == 6  # 2 epochs of ceil(40 / 16) batches
        assert len(run["loss_curve"]) == len(run["val_mse_curve"]) == 2
        assert run["n_params"] == parameters((8, 4), (8,)) and run["judge"]["all"]["n"] == 16
    # seqlab's network on the course's input: the same numbers as its own evaluate (mask left, same judge)
    own = json.loads((tmp_path / "reports" / "masked" / "results.json").read_text())["metrics"]
    assert res["seqlab"]["judge"]["all"]["share"] == pytest.approx(own["judge_reconstruction_acc"])
    assert res["seqlab"]["masked_mse"] == pytest.approx(own["masked_mse"], abs=1e-6)
    assert res["baseline"]["masked_mse"] == pytest.approx(own["baseline_masked_mse"], abs=1e-6)
    truth = np.load(tmp_path / "data" / "mnist" / "test_y.npy")
    assert [e["index"] for e in res["examples"]] == examples(truth, 1, 2, 10)
    with np.load(tmp_path / "reports" / "masked_course" / "examples.npz") as f:
        assert f["course"].shape == f["seqlab"].shape == (len(res["examples"]), 28, 28)
    curves = pd.read_csv(tmp_path / "reports" / "plots" / "masked_course" / "loss.csv")
    assert sorted(curves["network"].unique()) == ["course", "seqlab"] and len(curves) == 2 * 2 + 1
    for f in ("reconstructions.png", "loss.png"):
        assert (tmp_path / "reports" / "figures" / "masked_course" / f).read_bytes()[:4] == b"\x89PNG"

    rows = {c.id: c for c in claims.claims(seqlab_p)}
    assert set(rows) == {"masked.mlp_fails_to_reconstruct", "masked.ghosts_3_8"}
    for row in rows.values():
        assert row.protocol == COURSE and row.source == "northwestern" and row.result.verdict in VERDICTS
        assert row.deviations[0].startswith("data: 40 training images") and "mnist.data.full: true" in row.deviations[0]
        assert any(d.startswith("settings: encoder: 8 → 4") for d in row.deviations)
        assert any(d.startswith("seeds: 2 seeded runs (0, 1)") for d in row.deviations)
        assert row.corrected.startswith("seqlab's network (784 → 8 → 4 → 8 → 784")
    fails = rows["masked.mlp_fails_to_reconstruct"]
    assert fails.claim == "The MLP fails to effectively reconstruct the input image."
    assert fails.result.numbers["right"] == [r["judge"]["all"]["right"] for r in res["runs"]]
    assert len(quote_fragments(rows["masked.ghosts_3_8"].claim)) == 2
    # seqlab's own row keeps its rule on its own protocol (the corrected answer)
    assert claims.ghosts(seqlab_p, json.loads((tmp_path / "reports/masked/results.json").read_text())).protocol == SEQLAB

    lines = course_section(res, seqlab_p)
    text = "\n".join(lines)
    assert lines[0] == "### The course's network, as the homework ran it"
    assert "784 → 8 → 4; ReLU between, none on the code" in text and "| course, seed 1" in text
    assert f"{res['runs'][0]['loss_curve'][-1]:.4f}" in text and "0.0491" in text  # ours, and the copy's (quoted)
    assert "figures/masked_course/reconstructions.png" in text and "figures/masked_course/loss.png" in text


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = _tiny(tmp_path, default_params)
    p["masked"]["course"]["train"]["seeds"] = []
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("masked_course_train"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'masked.course.train.seeds' is empty" in proc.stderr, proc.stderr
    assert not (tmp_path / "models" / "masked_course").exists() and not (tmp_path / "mlflow.db").exists()
