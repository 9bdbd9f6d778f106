"""python -m seqlab.tools.experiment_grid on `dvc exp show --json` output written by hand in DVC 3's layout: which
rows count, the choice on validation, and the errors. (tests/test_pipeline.py runs a real queued
sweep end to end.)"""

import json

import pytest

from seqlab.tools import experiment_grid as sweep
from seqlab.core.errors import DataError


def exp(name, hidden, lr, val=None, test=None, error=False):
    metrics = {} if val is None else {"reports/metrics/lstmae.json": {"data": {"synthetic": {"val_mse": val,
                                                                                           "test_mse": test}}}}
    data = {"rev": f"{name}-rev", "params": {"params.yaml": {"data": {"lstmae": {"synthetic": {
        "model": {"hidden": hidden}, "train": {"lr": lr}}}}}}, "metrics": metrics}
    rev = {"rev": f"{name}-rev", "name": name, "data": data}
    if error:
        rev["error"] = {"type": "ReproductionError", "msg": "failed"}
    return {"revs": [rev], "name": name}


SHOW = [
    {"rev": "workspace", "name": None, "data": {"metrics": {}}},
    {"rev": "abc123", "name": "main", "data": {"metrics": {}}, "experiments": [
        exp("exp-a", 32, 0.005, val=0.040, test=0.030),
        exp("exp-b", 64, 0.005, val=0.030, test=0.045),  # lowest validation, not lowest test
        exp("exp-c", 64, 0.002, val=0.035, test=0.020),
        exp("exp-d", 32, 0.002),  # still queued: no metrics
        exp("exp-e", 16, 0.002, val=0.001, test=0.001, error=True),  # failed: never chosen
    ]},
]
BY = ["lstmae.synthetic.model.hidden", "lstmae.synthetic.train.lr"]


def test_flatten_nests_keys_with_dots_and_keeps_lists():
    assert sweep.flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": 3}) == {"a.b": 1, "a.c.d": [1, 2], "e": 3}


def test_only_experiments_count_and_the_choice_is_on_validation(tmp_path):
    rows = sweep.experiments(SHOW)
    assert [r["name"] for r in rows] == ["exp-a", "exp-b", "exp-c", "exp-d", "exp-e"]  # no workspace, no baseline
    summary = sweep.record(SHOW, "synthetic.val_mse", BY, ["synthetic.test_mse"], lower=True, out=tmp_path)
    assert summary["best"]["name"] == "exp-b" and summary["best"]["lstmae.synthetic.model.hidden"] == 64
    assert [r["name"] for r in summary["rows"]] == ["exp-b", "exp-c", "exp-a"]  # best first
    assert summary["skipped"] == ["exp-d", "exp-e"] and summary["baseline"] == "abc123"
    assert json.loads((tmp_path / "sweep.json").read_text())["best"]["name"] == "exp-b"
    assert (tmp_path / "table.csv").read_text().splitlines()[0] == (
        "name,rev,lstmae.synthetic.model.hidden,lstmae.synthetic.train.lr,synthetic.val_mse,synthetic.test_mse")
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    higher = sweep.record(SHOW, "synthetic.val_mse", BY, [], lower=False, out=None)
    assert higher["best"]["name"] == "exp-a"


@pytest.mark.parametrize("metric, by, message", [
    ("synthetic.test_mse", BY, "names the test split; a setting is chosen on validation only"),
    ("synthetic.val_mae", BY, "no experiment recorded --metric 'synthetic.val_mae'; metrics seen: synthetic.val_mse"),
    ("synthetic.val_mse", ["lstmae.synthetic.model.hiden"], "is not a params.yaml key of these experiments"),
])
def test_bad_requests_fail_clearly(metric, by, message):
    with pytest.raises(DataError, match=message):
        sweep.record(SHOW, metric, by, [], lower=True, out=None)


def test_no_experiments_and_not_exp_show_output_fail_clearly():
    with pytest.raises(DataError, match="lists no experiments"):
        sweep.record(SHOW[:1], "synthetic.val_mse", BY, [], lower=True, out=None)
    with pytest.raises(DataError, match="not the output of `dvc exp show --json`"):
        sweep.experiments({"rev": "workspace"})


def test_the_command_line_reads_a_saved_json_and_exits_2_on_a_test_metric(tmp_path, capsys):
    saved = tmp_path / "show.json"
    saved.write_text(json.dumps(SHOW))
    assert sweep.main(["--metric", "synthetic.val_mse", "--by", *BY, "--input", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "chosen on synthetic.val_mse: exp-b" in out and "exp-d, exp-e" in out
    assert sweep.main(["--metric", "synthetic.test_mse", "--by", *BY, "--input", str(saved)]) == 2
    assert "chosen on validation only" in capsys.readouterr().err
