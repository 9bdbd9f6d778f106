"""The MNIST study's bookkeeping: what each model trains on, how its gates start, and its per-epoch curves."""

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab.models.image import LSTMAutoencoderConfig
from seqlab.studies.mnist.params import parse
from seqlab.studies.mnist.steps import autoencoder, classifiers, epoch_curves, fit_config, split_sizes, train_subset


def test_the_autoencoder_trains_on_the_whole_split_whatever_the_classifiers_schedule(default_params):
    default_params["mnist"]["train"]["schedule"]["row"]["n_train"] = 1000
    p = parse(default_params)
    assert train_subset(p, autoencoder(p)) is None
    assert {train_subset(p, c) for c in classifiers(p).values() if c.view == "row"} == {1000}


def test_every_view_trains_on_its_own_subset_batch_and_epochs(default_params):
    p = parse(default_params)
    for config in [*classifiers(p).values(), autoencoder(p)]:
        if isinstance(config, LSTMAutoencoderConfig):
            epochs, n, batch = p.autoencoder.epochs, p.data.n_train, p.autoencoder.batch_size
        else:
            s = p.train.schedule[config.view]
            epochs, n, batch = s.epochs, s.n_train or p.data.n_train, s.batch_size
        cfg = fit_config(p, config, train_subset(p, config) or p.data.n_train)
        assert cfg.batch_size == batch and cfg.eval_every == -(-n // batch)  # validation once per epoch
        assert cfg.steps == epochs * cfg.eval_every
        assert cfg.eval_batch_size == p.train.eval_batch_size == 500


def test_each_view_and_the_autoencoder_start_their_gates_their_own_way(default_params):
    default_params["mnist"]["train"]["schedule"]["row"]["forget_bias"] = 2.0
    default_params["mnist"]["train"]["schedule"]["pixel"]["forget_bias"] = "chrono"
    default_params["mnist"]["autoencoder"]["forget_bias"] = 0.5
    p = parse(default_params)
    configs = classifiers(p)
    torch.manual_seed(0)
    row = configs["lstm-64-uni-row"].build().recurrence.layers[0].bias_ih_l0.detach().view(4, -1)
    pixel = configs["lstm-64-uni-pixel"].build().recurrence.layers[0].bias_ih_l0.detach().view(4, -1)
    ae = autoencoder(p).build().autoencoder.encoder.bias_ih_l0.detach().view(4, -1)
    assert torch.all(row[1] == 2.0) and torch.all(ae[1] == 0.5)  # torch's gate order i, f, g, o
    assert len(pixel[1].unique()) == 64 and torch.equal(pixel[0], -pixel[1])  # chrono: one draw per unit


def test_full_trains_every_view_on_the_whole_training_split_in_its_proportions(default_params):
    default_params["mnist"]["data"]["full"] = True
    p = parse(default_params)
    assert all(train_subset(p, c) is None for c in classifiers(p).values())
    assert split_sizes(p, 70_000) == {"train": 60_000, "val": 5_000, "test": 5_000}
    assert split_sizes(p, 5_000) == {"train": 4_286, "val": 357, "test": 357}  # each held-out share rounded down
    default_params["mnist"]["data"]["full_split"] = [8, 1, 1]
    assert split_sizes(parse(default_params), 70_000) == {"train": 56_000, "val": 7_000, "test": 7_000}


def test_epoch_curves_average_each_epochs_steps():
    # 2 epochs of 3 steps; validation at the end of each
    frame = pd.DataFrame({"step": [1, 2, 3, 4, 5, 6], "train_loss": [3.0, 2.0, 1.0, 0.6, 0.5, 0.4],
                          "train_acc": [0.1, 0.2, 0.3, 0.5, 0.6, 0.7],
                          "val_acc": [np.nan, np.nan, 0.25, np.nan, np.nan, 0.65],
                          "val_loss": [np.nan, np.nan, 1.5, np.nan, np.nan, 0.55],
                          "test_acc": [np.nan, np.nan, 0.3, np.nan, np.nan, 0.6],
                          "test_loss": [np.nan, np.nan, 1.4, np.nan, np.nan, 0.6]})
    c = epoch_curves(frame)
    assert c["epoch"].tolist() == [1, 2] and c["step"].tolist() == [3, 6]
    assert c["train_loss"].tolist() == pytest.approx([2.0, 0.5])
    assert c["train_acc"].tolist() == pytest.approx([0.2, 0.6])
    assert c["val_acc"].tolist() == [0.25, 0.65] and c["val_loss"].tolist() == [1.5, 0.55]
    assert c["test_acc"].tolist() == [0.3, 0.6] and c["test_loss"].tolist() == [1.4, 0.6]


def test_the_same_params_and_seed_give_identical_metrics_whatever_the_workers(tmp_path, monkeypatch, tiny_params):
    """generate -> train both stages -> evaluate twice from scratch, once in this process and
    once in two spawned workers: byte-identical metrics and curves. This covers the chrono
    draws, the batch order and the per-epoch test scoring."""
    from seqlab.core import paths
    from seqlab.studies.mnist.steps import evaluate_study, generate, train_autoencoder, train_classifiers
    from test_mnist_data import write_idx_dir

    write_idx_dir(tmp_path / "idx", gz=False, n_train=80, n_test=20)
    tiny_params["mnist"]["data"]["source"] = f"idx:{tmp_path / 'idx'}"
    tiny_params["mnist"]["classifiers"].update(kinds=["lstm", "gru"], hidden=[[4]])
    outputs = []
    for run, workers in (("a", 1), ("b", 2)):
        tiny_params["compute"]["workers"] = workers
        p = parse(tiny_params)
        (tmp_path / run).mkdir()
        monkeypatch.chdir(tmp_path / run)
        generate(p)
        train_classifiers(p)
        train_autoencoder(p)
        evaluate_study(p)
        # results.json also holds wall-clock seconds; metrics and curves must match byte for byte
        outputs.append({f.as_posix(): f.read_bytes() for d in ("metrics", "plots")
                        for f in sorted((paths.REPORTS / d).rglob("*")) if f.is_file()})
    a, b = outputs
    assert len(a) == 1 + 2 * 2 * 2 + 1  # metrics + a curve per classifier (kind x direction x view) + autoencoder
    assert a == b


def test_each_train_stage_is_handed_only_its_own_keys(default_params):
    """The autoencoder's stage reads no classifier key and the classifiers' stage no autoencoder
    key, so `dvc exp run -S mnist.autoencoder.hidden=6` leaves the classifiers cached."""
    from seqlab.core import schema
    from seqlab.core.errors import ParamsError
    from seqlab.studies.mnist.params import MnistParams
    from seqlab.studies.mnist.steps import STEPS

    p = schema.read(MnistParams, default_params, only=STEPS["train_autoencoder"].keys())
    config = autoencoder(p)
    assert train_subset(p, config) is None and fit_config(p, config, 100).lr == p.autoencoder.lr
    with pytest.raises(ParamsError, match="'mnist.classifiers' is used by this step but not declared"):
        classifiers(p)
    p = schema.read(MnistParams, default_params, only=STEPS["train_classifiers"].keys())
    assert {train_subset(p, c) for c in classifiers(p).values()} == {None, 3500}
    with pytest.raises(ParamsError, match="'mnist.autoencoder' is used by this step but not declared"):
        autoencoder(p)
