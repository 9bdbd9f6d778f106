import subprocess

import pytest
import yaml

from conftest import ROOT, stage_command
from seqlab.core.errors import ParamsError
from seqlab.core.params import load_params
from seqlab.core.schema import Unread, read, recording
from seqlab.studies.palindrome.params import PalindromeParams, model_section, parse


def test_the_repository_params_load():
    params = load_params(parse, ROOT / "params.yaml")
    assert params.palindrome.models == ("rnn", "lstm", "peephole", "gru")
    assert all(model_section(params, m).T == (5, 10, 20) for m in params.palindrome.models)


def test_a_scalar_length_is_one_length(default_params):
    default_params["lstm"]["T"] = 20  # what `dvc exp run -S lstm.T=20` writes
    assert parse(default_params).lstm.T == (20,)


def _set(p: dict, dotted: str, value):
    *parents, last = dotted.split(".")
    for k in parents:
        p = p[k]
    p[last] = value


BAD = [
    ("palindrome.models", ["rnn", "transformer"], r"'palindrome\.models'.*allowed values: gru, lstm, peephole, rnn"),
    ("lstm.T", 1, r"'lstm\.T' has 1; palindrome lengths: each an integer >= 2"),
    ("gru.T", [5, 0], r"'gru\.T' has 0"),
    ("rnn.T", [], r"'rnn\.T' is empty"),
    ("palindrome.train.lr", 0, r"'palindrome\.train\.lr' must be a positive number"),
    ("palindrome.train.lr", -1e-3, r"'palindrome\.train\.lr' must be a positive number"),
    ("palindrome.train.batch_size", 0, r"'palindrome\.train\.batch_size' must be >= 1"),
    ("palindrome.train.steps", -5, r"'palindrome\.train\.steps' must be >= 1"),
    ("palindrome.train.steps", 1.5, r"'palindrome\.train\.steps' must be an integer"),
    ("peephole.impl", "fused", r"'peephole\.impl' is 'fused'; allowed values: cell"),
    ("lstm.impl", "cudnn", r"'lstm\.impl' is 'cudnn'; allowed values: cell, fused"),
    ("palindrome.train.device", "tpu", r"'palindrome\.train\.device' is 'tpu'; allowed values: auto, cpu, cuda"),
    ("palindrome.data.base", 1, r"'palindrome\.data\.base' must be >= 2"),
    ("palindrome.train.forget_bias", "one", r"'palindrome\.train\.forget_bias' must be a number"),
    ("palindrome.evaluate.target_acc", 1.5, r"'palindrome\.evaluate\.target_acc' must be between 0 and 1"),
    ("palindrome.claims.lstm_solves_T", 1, r"'palindrome\.claims\.lstm_solves_T' must be >= 2"),
]


@pytest.mark.parametrize("key,value,message", BAD, ids=[f"{k}={v}" for k, v, _ in BAD])
def test_bad_values_name_the_key_and_the_allowed_values(default_params, key, value, message):
    _set(default_params, key, value)
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


def test_a_length_with_too_few_palindromes_is_refused(default_params):
    default_params["palindrome"]["data"]["base"] = 2
    default_params["rnn"]["T"] = [2, 5]
    with pytest.raises(ParamsError, match=r"'rnn\.T' has 2: with palindrome\.data\.base=2 only 2 distinct"):
        parse(default_params)


def test_a_step_reads_its_model_section_and_nothing_else(default_params):
    """A model's chain reads its own section; palindrome.models and the other models stay unread."""
    with recording() as keys:
        params = read(PalindromeParams, default_params, only=("palindrome.train", "lstm"))
    assert keys == {f"palindrome.train.{k}" for k in default_params["palindrome"]["train"]} | {"lstm.T", "lstm.impl"}
    assert model_section(params, "lstm").T == (5, 10, 20) and params.lstm.impl == "fused"
    assert all(isinstance(v, Unread) for v in (params.rnn, params.palindrome.data, params.palindrome.models))
    with pytest.raises(ParamsError, match=r"model 'transformer' is not a palindrome model; "
                                          r"allowed values: rnn, lstm, peephole, gru"):
        model_section(params, "transformer")
    with recording() as keys:
        read(PalindromeParams, default_params, only=("palindrome.models", "rnn.T", "lstm.T", "peephole.T", "gru.T"))
    assert keys == {"palindrome.models", "rnn.T", "lstm.T", "peephole.T", "gru.T"}


def test_lengths_are_checked_against_the_base_where_a_step_reads_both(default_params):
    default_params["palindrome"]["data"]["base"] = 2
    default_params["rnn"]["T"] = [2, 5]
    generate = read(PalindromeParams, default_params, only=("palindrome.data", "rnn.T"))
    with pytest.raises(ParamsError, match=r"'rnn\.T' has 2: with palindrome\.data\.base=2"):
        model_section(generate, "rnn")
    train = read(PalindromeParams, default_params, only=("palindrome.train", "rnn"))  # the data's base is not read
    assert model_section(train, "rnn").T == (2, 5)


def test_a_missing_key_is_named(default_params):
    del default_params["palindrome"]["train"]["hidden"]
    with pytest.raises(ParamsError, match=r"'palindrome\.train\.hidden' is missing"):
        parse(default_params)


@pytest.mark.parametrize("stage", ["palindrome_generate@lstm", "palindrome_train@lstm", "palindrome_evaluate@lstm",
                                   "palindrome_figures", "report"])
def test_a_stage_with_bad_params_exits_nonzero_and_writes_nothing(tmp_path, default_params, stage):
    default_params["lstm"]["T"] = 1
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    proc = subprocess.run(stage_command(stage), cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "'lstm.T' has 1" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


def test_an_unknown_model_on_the_command_line_fails_before_any_work(tmp_path, default_params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    cmd = stage_command("palindrome_train@lstm")
    proc = subprocess.run([*cmd[:-1], "transformer"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "allowed values: rnn, lstm, peephole, gru" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
