"""The Northwestern course's Add2Digits study (seqlab.studies.add2digits): its task generator against
the course's loop written out, its network, the gradient measurements, the stages on tiny params,
and every ledger criterion on inputs whose verdict is known."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOT_COMPARABLE
from seqlab.studies.add2digits import criteria as cr
from seqlab.studies.add2digits.data import CLASSES, MARKER, TOKENS, Add2Digits, fresh_stream, keys, shared_fraction
from seqlab.studies.add2digits.params import parse

from conftest import shrink

# --- the task ---------------------------------------------------------------------------------------


def course_example(digits: np.ndarray, a: int) -> tuple[list[int], int]:
    """The course's __init__ for one example, written plainly: overwrite position a with -1, label
    the digit after it plus the last digit, one-hot index of -1 by negative indexing (10)."""
    data = [int(d) for d in digits]
    data[a] = -1
    label = data[a + 1] + data[-1]
    return [d % TOKENS for d in data], label  # -1 -> index 10 of 11, as one_hot[..., -1]


@pytest.mark.parametrize("L", [3, 5, 10, 30])
def test_sequences_match_the_course_generator(L):
    x, y = Add2Digits(L).sample(np.random.default_rng(7), 500)
    rng = np.random.default_rng(7)  # the same draws, in the same order
    digits, a = rng.integers(0, 10, size=(500, L)), rng.integers(0, L - 2, size=500)
    expected = [course_example(d, i) for d, i in zip(digits, a)]
    assert [list(r) for r in x] == [e[0] for e in expected] and list(y) == [e[1] for e in expected]


def test_task_invariants():
    L = 10
    x, y = Add2Digits(L).sample(np.random.default_rng(0), 20000)
    assert x.shape == (20000, L) and x.dtype == np.uint8 and y.dtype == np.int64
    marker = x == MARKER
    assert (marker.sum(1) == 1).all()  # exactly one marker
    pos = marker.argmax(1)
    assert pos.min() == 0 and pos.max() == L - 3  # uniform over [0, L-3]
    assert abs(np.bincount(pos).min() / 20000 - 1 / (L - 2)) < 0.01
    rows = np.arange(len(x))
    assert (y == x[rows, pos + 1].astype(int) + x[:, -1].astype(int)).all()
    assert set(np.unique(y)) == set(range(CLASSES))
    again = Add2Digits(L).sample(np.random.default_rng(0), 20000)
    assert (again[0] == x).all() and (again[1] == y).all()
    with pytest.raises(ValueError, match="L >= 3"):
        Add2Digits(2)


def test_the_fresh_stream_never_holds_a_judge_sequence():
    task = Add2Digits(3)  # 100 distinct sequences: repeats are certain
    judge, _ = task.sample(np.random.default_rng(1), 40)
    x, y = fresh_stream(task, np.random.default_rng(2), 500, exclude=judge)
    assert len(x) == len(y) == 500 and shared_fraction(x, judge) == 0.0
    assert not set(keys(x)) & set(keys(judge))
    plain, _ = task.sample(np.random.default_rng(2), 500)
    assert shared_fraction(plain, judge) > 0.2  # what the filter removed
    assert (y == x[:, 1].astype(int) + x[:, 2].astype(int)).all()  # still the task (marker at 0 when L = 3)


# --- the network and the gradients -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_the_course_network(kind):
    from seqlab.studies.add2digits.steps import Add2DigitsNetConfig

    torch.manual_seed(0)
    net = Add2DigitsNetConfig(kind, 16, 2).build()
    assert isinstance(net.rnn, torch.nn.LSTM if kind == "lstm" else torch.nn.RNN)
    assert net.rnn.num_layers == 2 and net.rnn.batch_first and net.rnn.input_size == TOKENS
    assert net.out.out_features == CLASSES
    if kind == "rnn":
        assert net.rnn.nonlinearity == "tanh"
    x, y = Add2Digits(6).sample(np.random.default_rng(0), 8)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    logits, loss = net(x, y)
    assert logits.shape == (8, CLASSES) and loss.shape == ()
    onehot = torch.nn.functional.one_hot(x.long(), TOKENS).float()
    assert onehot[..., MARKER].sum() == 8  # one marker per sequence, at index 10
    out, _ = net.rnn(onehot)
    assert torch.allclose(logits, net.out(out[:, -1]))
    assert torch.allclose(loss, torch.nn.functional.cross_entropy(logits, y))
    with pytest.raises(ValueError, match="allowed values: rnn, lstm"):
        Add2DigitsNetConfig("gru", 16, 2)


def test_tanh_states_rescaling_and_input_gradients():
    from seqlab.studies.add2digits.steps import (
        Add2DigitsNetConfig,
        input_gradient_norms,
        rescale_recurrent,
        saturation,
        spectral_radius,
        tanh_states,
    )

    torch.manual_seed(1)
    net = Add2DigitsNetConfig("rnn", 12, 2).build().double()
    x, y = (torch.from_numpy(a) for a in Add2Digits(7).sample(np.random.default_rng(3), 5))
    onehot = torch.nn.functional.one_hot(x.long(), TOKENS).double()
    states = tanh_states(net.rnn, onehot)
    assert len(states) == 2 and torch.allclose(states[-1], net.rnn(onehot)[0], atol=1e-12)
    for rho in (0.5, 2.0):
        scaled = rescale_recurrent(net, rho)
        for k in range(2):
            assert spectral_radius(getattr(scaled.rnn, f"weight_hh_l{k}")) == pytest.approx(rho, rel=1e-9)
        assert torch.equal(scaled.rnn.weight_ih_l0, net.rnn.weight_ih_l0)  # only W_hh changes
    # the batch mean of per-sample norms, each sample's own loss's gradient (the loss is a sum)
    norms = input_gradient_norms(net, x, y)
    each = [input_gradient_norms(net, x[i : i + 1], y[i : i + 1]) for i in range(5)]
    assert norms.shape == (7,) and np.allclose(norms, np.mean(each, axis=0))
    oh = onehot[:1].clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(net.logits(oh), y[:1])
    (g,) = torch.autograd.grad(loss, oh)
    assert np.allclose(each[0], g[0].norm(dim=1).numpy())
    sat = saturation(rescale_recurrent(net.float(), 50.0), x)  # huge recurrent weights saturate every unit
    assert all(d < 0.2 for d in sat["dtanh"][1:]) and all(s > 0.5 for s in sat["saturated"][1:])


def test_epoch_curve_weighs_the_short_last_batch():
    from seqlab.studies.add2digits.steps import epoch_curve

    frame = pd.DataFrame({"step": [1, 2, 3, 4], "train_loss": [1.0, 3.0, 2.0, 2.0], "train_acc": [1.0, 0.0, 0.5, 0.5],
                          "train_n": [4.0, 2.0, 4.0, 2.0], "val_acc": [np.nan, 0.25, np.nan, 0.75],
                          "val_loss": [np.nan, 2.5, np.nan, 1.5]})
    c = epoch_curve(frame, 2)
    assert c["epoch"].tolist() == [1, 2]
    assert c["train_loss"].tolist() == pytest.approx([(4 + 6) / 6, 2.0])
    assert c["train_acc"].tolist() == pytest.approx([4 / 6, 0.5])
    assert c["val_acc"].tolist() == [0.25, 0.75] and c["val_loss"].tolist() == [2.5, 1.5]


# --- params -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key, value, match", [
    (("corrected", "lengths"), [30, 40], r"'add2digits\.corrected\.lengths' has \[40\]"),
    (("gradients", "rhos"), [0.5, 0.9], "a radius below 1 and one above 1"),
    (("gradients", "rhos"), [0.5, -2.0], "positive numbers"),
    (("gradients", "batch"), 5000, r"'add2digits\.gradients\.batch' \(5000\) must be at most"),
    (("lengths",), [2, 5], r"'add2digits\.lengths' has 2"),
    (("train", "device"), "tpu", "allowed values"),
])
def test_params_errors(default_params, key, value, match):
    parse(default_params)
    bad = yaml.safe_load(yaml.safe_dump(default_params))
    target = bad["add2digits"]
    for k in key[:-1]:
        target = target[k]
    target[key[-1]] = value
    with pytest.raises(ParamsError, match=match):
        parse(bad)


def test_the_corrected_protocol_can_be_off(default_params):
    default_params["add2digits"]["corrected"]["lengths"] = []
    assert parse(default_params).corrected.lengths == ()


# --- the criteria -----------------------------------------------------------------------------------


FALL, FLAT = [2.9, 1.0, 0.05], [2.9, 2.5, 2.3]


def test_falls_at_the_boundary():
    assert cr.falls([2.0, 0.19])
    assert not cr.falls([2.0, 0.2])  # exactly 0.1 x the first: not below it
    assert cr.falls([1.0, 0.4], factor=0.5)
    for bad in (dict(curve=[]), dict(curve=[1.0], factor=1.0), dict(curve=[1.0], factor=0.0)):
        with pytest.raises(ValueError):
            cr.falls(**bad)


@pytest.mark.parametrize("lstm, rnn, verdict", [
    ([FALL, FALL], [FLAT, FLAT], HOLDS),
    ([FALL], [FLAT], HOLDS),
    ([FLAT, FLAT], [FLAT, FLAT], FAILS),  # no LSTM seed falls
    ([FLAT], [FALL], FAILS),  # no LSTM seed falls (the RNN's does)
    ([FALL, FALL], [FALL, FALL], FAILS),  # every RNN seed falls too
    ([FALL, FLAT], [FLAT, FLAT], MIXED),  # some LSTM seeds
    ([FALL, FALL], [FALL, FLAT], MIXED),  # some RNN seeds fall
])
def test_lstm_falls_rnn_not(lstm, rnn, verdict):
    curves = {5: {"lstm": [FALL], "rnn": [FALL]}, 30: {"lstm": lstm, "rnn": rnn}}
    v = cr.lstm_falls_rnn_not(curves, {30: {"lstm": [1.0] * len(lstm), "rnn": [0.16] * len(rnn)}}, "validation")
    assert v.verdict == verdict
    assert v.numbers["L"] == 30 and v.numbers["lstm_falls"] == sum(cr.falls(c) for c in lstm)
    assert "L=5: LSTM 2.9 → 0.05 falls" in v.evidence and "L=30" in v.evidence  # every L in the evidence
    assert "held-out acc 0.160" in v.evidence and "validation accuracy" in v.evidence


def test_lstm_falls_rnn_not_judges_the_longest_length_only():
    curves = {5: {"lstm": [FLAT], "rnn": [FALL]}, 10: {"lstm": [FALL], "rnn": [FLAT]}}
    assert cr.lstm_falls_rnn_not(curves).verdict == HOLDS
    with pytest.raises(ValueError):
        cr.lstm_falls_rnn_not({})
    with pytest.raises(ValueError, match="no RNN seeds"):
        cr.lstm_falls_rnn_not({5: {"lstm": [FALL], "rnn": []}})


def test_vanishes_and_explodes():
    assert cr.vanishes([0.3, 0.02, 1e-3])
    assert not cr.vanishes([0.3, 0.02, 0.011])  # not below 1e-2 at the longest
    assert not cr.vanishes([0.3, 0.4, 1e-3])  # not falling all the way
    assert not cr.vanishes([1e-3, 1e-3, 1e-3])  # flat is not falling
    assert cr.explodes([20.0, 60.0, 101.0])
    assert not cr.explodes([20.0, 60.0, 100.0])  # exactly 1e2 is not above it
    assert not cr.explodes([200.0, 150.0, 1000.0])


VAN = {5: [0.1, 0.2], 10: [0.004, 0.003], 30: [2e-9, 3e-9]}
NOT_VAN = {5: [0.1, 0.2], 10: [0.004, 0.003], 30: [2e-9, 0.5]}  # one seed fails
EXP = {5: [20.0, 25.0], 10: [60.0, 70.0], 30: [1300.0, 1500.0]}
NOT_EXP = {5: [20.0, 25.0], 10: [60.0, 70.0], 30: [90.0, 1500.0]}


@pytest.mark.parametrize("low, high, verdict", [
    (VAN, EXP, HOLDS), (VAN, NOT_EXP, MIXED), (NOT_VAN, EXP, MIXED), (NOT_VAN, NOT_EXP, FAILS)])
def test_gradients_vanish_explode(low, high, verdict):
    v = cr.gradients_vanish_explode(low, high, 0.5, 2.0)
    assert v.verdict == verdict
    assert "radius 0.5" in v.evidence and "radius 2" in v.evidence
    assert f"L=30: {low[30][0]:.3g}/{low[30][1]:.3g}" in v.evidence  # every seed's ratio, at every L


def test_gradient_criteria_refuse_what_they_cannot_judge():
    with pytest.raises(ValueError, match="below 1 and one above"):
        cr.gradients_vanish_explode(VAN, EXP, 1.0, 2.0)
    with pytest.raises(ValueError, match="two lengths"):
        cr.vanishing({30: [1e-9]})
    with pytest.raises(ValueError, match="same, non-zero number of seeds"):
        cr.vanishing({5: [0.1, 0.2], 30: [1e-9]})


@pytest.mark.parametrize("ratios, verdict", [(VAN, HOLDS), (NOT_VAN, MIXED), (EXP, FAILS)])
def test_vanishing(ratios, verdict):
    assert cr.vanishing(ratios).verdict == verdict


# --- the stages on tiny params ------------------------------------------------------------------------


def tiny(default_params) -> dict:
    raw = shrink(default_params)
    a = raw["add2digits"]  # what conftest's shrink() sets, here whether or not it does yet
    a["lengths"] = [3, 4]
    a["network"]["hidden"] = 8
    a["course"].update(n_train=48, n_val=16, batch_size=16, epochs=2)
    a["corrected"]["lengths"] = [4]
    a["judge"]["n"] = 32
    a["gradients"].update(batch=16, probe_seeds=[0, 1])
    a["train"]["seeds"] = [0, 1]
    raw["compute"]["workers"] = 1
    return raw


def test_train_evaluate_figures_claims_and_report_on_tiny_params(tmp_path, monkeypatch, default_params):
    from seqlab.core import paths
    from seqlab.core.files import read_json
    from seqlab.core.schema import read
    from seqlab.studies.add2digits import claims, figures, report, steps
    from seqlab.studies.add2digits.params import Add2DigitsParams

    monkeypatch.chdir(tmp_path)
    p = read(Add2DigitsParams, tiny(default_params))
    steps.train(p)
    steps.evaluate_study(p)
    figures.make_figures(p)
    hist = (tmp_path / "models/add2digits/course/rnn/L3/seed0/history.csv").read_text()
    assert hist.splitlines()[0] == "step,train_loss,train_acc,train_n,val_acc,val_loss"
    assert len(hist.splitlines()) == 1 + 2 * 3  # 48 / 16 = 3 updates an epoch, 2 epochs
    res = read_json(paths.study_results("add2digits"))
    got = {(r["protocol"], r["model"], r["L"], r["seed"]) for r in res["runs"]}
    assert got == {(pr, m, L, s) for m in ("rnn", "lstm") for s in (0, 1)
                   for pr, L in (("course", 3), ("course", 4), ("corrected", 4))}
    assert all(len(r["train_loss"]) == 2 and len(r["val_acc"]) == 2 for r in res["runs"])
    fresh = next(r for r in res["runs"] if r["protocol"] == "corrected")
    assert fresh["val_acc"][-1] == fresh["judge_acc"]  # the corrected runs are scored on the judge set
    assert {g["state"] for g in res["grads"]} == {"init", "course", "corrected"}
    at3 = [r for r in res["runs"] if r["L"] == 3]  # 100 distinct sequences at L = 3: the sets must share some
    assert all(0 < r["val_in_train"] <= 1 and 0 < r["judge_in_train"] <= 1 for r in at3)
    assert len(res["probe"]) == 4 * 2 * 2  # rhos x lengths x probe seeds
    for name in ("curves_L3.png", "curves_L4.png", "corrected_L4.png", "gradients.png", "rho_probe.png"):
        assert (tmp_path / "reports/figures/add2digits" / name).read_bytes()[:4] == b"\x89PNG", name
    rows = {c.id: c for c in claims.claims(p)}
    assert set(rows) == {"add2digits.lstm_loss_falls_rnn_not", "add2digits.rnn_gradients_vanish_explode"}
    row = rows["add2digits.lstm_loss_falls_rnn_not"]
    assert row.result.verdict in (HOLDS, FAILS, MIXED) and row.result.numbers["L"] == 4
    assert row.corrected.startswith("fresh batches") and row.protocol == "course"
    assert any("published filled-in copy" in d for d in row.deviations)
    assert any(d.startswith("n_train: 48 (the copy's: 5,000)") for d in row.deviations)
    assert any(d.startswith("hidden: 8 (the course's: 128)") for d in row.deviations)
    assert rows["add2digits.rnn_gradients_vanish_explode"].result.verdict != NOT_COMPARABLE
    md = "\n".join(report.section(p))
    assert "## Add2Digits" in md and "### L = 4" in md and "corrected_L4.png" in md and "Saturation" in md
    assert f"{res['runs'][0]['train_loss'][-1]:.3f}" in md
    # the same seed gives the same run, bit for bit
    steps.train(p)
    assert (tmp_path / "models/add2digits/course/rnn/L3/seed0/history.csv").read_text() == hist


def test_train_refuses_a_corrected_length_outside_lengths(tmp_path, monkeypatch, default_params):
    from seqlab.core.schema import read
    from seqlab.studies.add2digits import steps
    from seqlab.studies.add2digits.params import Add2DigitsParams

    monkeypatch.chdir(tmp_path)
    raw = tiny(default_params)
    raw["add2digits"]["corrected"]["lengths"] = [5]
    p = read(Add2DigitsParams, raw, only=steps.STEPS["train"].reads)
    with pytest.raises(ParamsError, match="corrected.lengths"):
        steps.train(p)
    assert not (tmp_path / "models").exists()


def test_the_judge_set_standard_error_is_what_the_report_says():
    # the brief's "about 0.03 at accuracy 0.5" for 200 sequences; 2,000 gives about 0.011
    assert math.sqrt(0.25 / 200) == pytest.approx(0.0354, abs=1e-4)
    assert math.sqrt(0.25 / 2000) == pytest.approx(0.0112, abs=1e-4)
