"""The image studies' params checks, the judge's choice, and the masked study's rules."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.core.errors import DataError, ParamsError
from seqlab.judging.classifier import best_classifier, confusion, load_judge
from seqlab.models.image import ImageClassifierConfig
from seqlab.studies.gan.params import parse as parse_gan
from seqlab.studies.masked.params import parse as parse_masked
from seqlab.studies.masked.steps import confusable_pairs, region_mse
from seqlab.studies.masked.claims import swapped


def test_the_defaults_parse(default_params):
    m, g = parse_masked(default_params), parse_gan(default_params)
    assert m.mask.kind == "left" and m.model.encoder == (512, 128)
    assert g.gan.model.generator == (128, 256, 512, 1024) and g.gan.model.discriminator == (512, 256)
    assert g.gan.train.betas == (0.5, 0.999)


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["masked"]["mask"].update(kind="top"), "'masked.mask.kind' is 'top'; allowed values: center, left"),
    (lambda p: p["masked"]["mask"].update(kind="center", center_size=28), "'masked.mask': center_size 28"),
    (lambda p: p["masked"]["mask"].update(kind="random_patches", patch_fraction=1.0), "'masked.mask': patch_fraction"),
    (lambda p: p["masked"]["model"].update(encoder=[]), "'masked.model.encoder' is empty"),
    (lambda p: p["masked"]["model"].update(decoder=[64, 0]), "'masked.model.decoder' must be a list of layer widths"),
])
def test_a_bad_masked_param_names_its_key(default_params, edit, message):
    edit(default_params)
    with pytest.raises(ParamsError, match=message.replace("(", r"\(")):
        parse_masked(default_params)


@pytest.mark.parametrize("edit, message", [
    (lambda p: p["gan"]["train"].update(updates=0), "'gan.train.updates' must be >= 1, got 0"),
    (lambda p: p["gan"]["score"].update(n_samples=501), "'gan.score.n_samples' (501) exceeds the MNIST splits"),
    (lambda p: p["gan"]["train"].update(betas=[0.5]), "'gan.train.betas' must be two numbers"),
    (lambda p: p["gan"]["interpolate"].update(seeds=[3, 3]), "'gan.interpolate.seeds' must be two different"),
    (lambda p: p["gan"]["model"].update(slope=1.5), "'gan.model.slope'"),
])
def test_a_bad_gan_param_names_its_key(default_params, edit, message):
    edit(default_params)
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_gan(default_params)


def test_with_every_image_the_sample_size_is_checked_when_the_splits_load(default_params):
    default_params["mnist"]["data"]["full"] = True
    default_params["gan"]["score"]["n_samples"] = 10**6
    assert parse_gan(default_params).gan.score.n_samples == 10**6  # unknown split sizes: gan_train checks them first


def _classifier_runs(tmp_path, runs: dict[str, tuple[float, int]]):
    for name, (val_acc, n_params) in runs.items():
        d = tmp_path / name
        d.mkdir()
        pd.DataFrame({"step": [1, 2], "val_acc": [None, val_acc]}).to_csv(d / "history.csv", index=False)
        (d / "run.json").write_text(json.dumps({"n_params": n_params}))
    return tmp_path


def test_the_judge_is_chosen_on_validation_with_ties_to_fewer_parameters(tmp_path):
    runs = _classifier_runs(tmp_path, {"lstm-128-bi-row": (0.95, 900), "gru-64-uni-row": (0.95, 300),
                                       "rnn-64-uni-row": (0.90, 100)})
    assert best_classifier(runs) == "gru-64-uni-row"
    with pytest.raises(DataError, match="holds no trained classifier"):
        best_classifier(tmp_path / "gru-64-uni-row")


def test_the_judge_and_the_mnist_study_share_one_rule_which_never_reads_test():
    from seqlab.judging import classifier, selection
    from seqlab.studies.mnist import steps

    assert classifier.choose is selection.choose and steps.choose is selection.choose
    rng = np.random.default_rng(0)
    for _ in range(200):  # ties on validation accuracy, and on parameters too, are common here
        n = int(rng.integers(1, 8))
        rows = pd.DataFrame({"name": [f"m{i}" for i in rng.permutation(n)], "val_acc": rng.choice([0.9, 0.95], n),
                             "parameters": rng.choice([100, 200], n), "test_acc": rng.random(n)})
        expected = min(rows.itertuples(), key=lambda r: (-r.val_acc, r.parameters, r.name)).name
        assert selection.choose(rows)["name"] == expected


def test_the_judge_loads_and_reads_images(tmp_path):
    runs = _classifier_runs(tmp_path, {"rnn-4-uni-row": (0.5, 1)})
    config = ImageClassifierConfig(kind="rnn", view="row", hidden=(4,), bidirectional=False)
    torch.manual_seed(0)
    config.save(runs / "rnn-4-uni-row" / "model.pt", config.build().state_dict())
    judge = load_judge(runs=runs, batch_size=3)
    images = torch.rand(7, 28, 28)
    probs = judge.probabilities(images)
    assert probs.shape == (7, 10) and np.allclose(probs.sum(1), 1) and judge.features(images).shape == (7, 4)
    assert (judge.labels(images) == probs.argmax(1)).all() and "rnn-4-uni-row" in judge.label


def test_confusion_and_the_pair_swap_count():
    cm = confusion(np.array([3, 3, 8, 8, 8, 1]), np.array([3, 8, 3, 8, 8, 7]), 10)
    assert cm[3][8] == 1 and cm[8][3] == 1 and cm[8][8] == 2 and cm[1][7] == 1 and sum(map(sum, cm)) == 6
    assert swapped(cm, 3, 8) == (2, 5)


def test_region_mse_pools_the_region_pixels():
    full = torch.zeros(2, 28, 28)
    recon = torch.zeros(2, 28, 28)
    recon[:, :, :14] = 0.5  # wrong by 0.5 on the left half only
    left = torch.zeros(2, 28, 28, dtype=torch.bool)
    left[:, :, :14] = True
    assert region_mse(recon, full, left) == pytest.approx(0.25) and region_mse(recon, full, ~left) == 0.0


def test_confusable_pairs_follow_the_visible_pixels():
    # class 0 and 1 agree on the right half, class 0 and 2 on the left half
    images = np.zeros((6, 28, 28))
    images[[2, 3], :, :14] = 1.0  # class 1: ink on the left
    images[[4, 5], :, 14:] = 1.0  # class 2: ink on the right
    labels = np.array([0, 0, 1, 1, 2, 2])
    right_visible = np.zeros((28, 28))
    right_visible[:, 14:] = 1.0
    assert confusable_pairs(images, labels, right_visible, 1) == [(0, 1)]
    assert confusable_pairs(images, labels, 1 - right_visible, 1) == [(0, 2)]
