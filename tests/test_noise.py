"""Telling a real change from seed noise in `dvc metrics diff`."""

import math

import pytest

from seqlab.tools.noise import classify, standard_error


def test_the_standard_error_comes_from_the_keys_beside_the_metric():
    group = {"T20.test_acc_mean": 0.9, "T20.test_acc_std": 0.03, "T20.n_seeds": 3, "T20.n_test": 5000}
    assert standard_error("T20.test_acc_mean", group) == pytest.approx(math.sqrt(0.03**2 / 3 + 0.9 * 0.1 / 5000 / 3))
    assert standard_error("lstm-64-uni-row.test_acc", {"lstm-64-uni-row.test_acc": 0.9, "n_test": 500}) == \
        pytest.approx(math.sqrt(0.09 / 500))
    assert standard_error("critical_length.lstm", {"critical_length.lstm": 30}) is None
    # every seed at 100%: only the test set's error is left, and at 100% that is 0
    assert standard_error("T5.test_acc_mean", {"T5.test_acc_mean": 1.0, "T5.test_acc_std": 0.0, "T5.n_seeds": 3,
                                               "T5.n_test": 83}) == 0


def test_changes_are_judged_against_two_standard_errors():
    def metric(old, new):
        return {"old": old, "new": new, "diff": None if not isinstance(old, (int, float)) else new - old}

    diff = {"reports/metrics/palindrome/rnn.json": {
        "T20.test_acc_mean": metric(0.658, 0.66), "T20.test_acc_std": metric(0.279, 0.28),
        "T20.n_seeds": metric(3, 3), "T20.n_test": metric(5000, 5000),
        "T10.test_acc_mean": metric(0.95, 0.6), "T10.test_acc_std": metric(0.01, 0.02),
        "T10.n_seeds": metric(3, 3), "T10.n_test": metric(5000, 5000)},
        "reports/metrics/sweep.json": {"critical_length.lstm": metric(20, 40)}}
    rows = {r["metric"]: r for r in classify(diff)}
    assert set(rows) == {"T20.test_acc_mean", "T20.test_acc_std", "T10.test_acc_mean", "T10.test_acc_std",
                         "critical_length.lstm"}
    assert rows["T20.test_acc_mean"]["verdict"] == "within noise"  # 0.002 against a spread of 0.28 over 3 seeds
    assert rows["T10.test_acc_mean"]["verdict"] == "beyond noise"
    assert rows["T10.test_acc_mean"]["change"] == pytest.approx(-0.35)
    assert rows["critical_length.lstm"]["verdict"] == "changed (no noise model)"
    assert classify(diff)[0]["verdict"] == "beyond noise"  # listed first
