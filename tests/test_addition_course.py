"""Binary addition by the EE6132 course's protocol (seqlab.studies.addition.course): its operand
sampling, its two losses written out by hand, the bounds its cross-entropy sets (checked by brute
force), its network and update, its metric, every verdict of the two ledger criteria, and the
three stages on tiny params. Every number here is made by the test; no course file is read."""

import json
import math
import os
import subprocess

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from conftest import ROOT, stage_command
from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE
from seqlab.studies.addition import claims as C
from seqlab.studies.addition.course.measures import (
    ce_ceiling,
    ce_ideal_bit_accuracy,
    ce_loss_floor,
    ce_target,
    course_problems,
    decode,
    distinct_problems,
    lowest_set_bit,
    shown_problems,
    thresholded,
)
from seqlab.studies.addition.course.network import (
    CourseAdder,
    CourseAdderConfig,
    squared_error,
    time_position_ce,
    whole_number_correct,
)
from seqlab.studies.addition.course.params import COURSE as COURSE_RUN
from seqlab.studies.addition.course.params import parse
from seqlab.studies.addition.course.steps import CourseStep, judge_scores
from seqlab.studies.addition.params import parse as parse_addition

# --- the course's data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("L", [1, 3, 5, 12])
def test_operands_are_drawn_the_courses_way(L):
    x, y, c = course_problems(L, 4000, np.random.default_rng(L))
    n = L + 1
    assert x.shape == (4000, n, 2) and y.shape == (4000, n) and x.dtype == y.dtype == np.float32
    a, b = decode(x[:, :, 0]), decode(x[:, :, 1])
    assert ((0 <= c) & (c < 2**L)).all() and (a <= c).all() and (b == c - a).all() and (a >= 0).all()
    assert (decode(y) == c).all() and (a + b == c).all()  # the target decodes to the sum: no carry out
    assert (y[:, L] == 0).all() and (x[:, L] == 0).all()  # the top bit and the last step's inputs are 0
    assert set(np.unique(x)) <= {0.0, 1.0} and set(np.unique(y)) <= {0.0, 1.0}
    assert (y[:, 0] == (x[:, 0, 0] != x[:, 0, 1])).all()  # bit 0 of the sum: a_0 XOR b_0, least significant first


def test_the_draws_are_uniform_in_c_then_in_a_and_seeded():
    x, y, c = course_problems(3, 80_000, np.random.default_rng(0))
    counts = np.bincount(c, minlength=8) / len(c)
    assert np.abs(counts - 1 / 8).max() < 4 * math.sqrt(1 / 8 * 7 / 8 / len(c))
    a = decode(x[:, :, 0])
    sevens = a[c == 7]
    assert set(np.unique(sevens)) == set(range(8)) and abs(sevens.mean() - 3.5) < 0.1  # a ~ U[0, c]
    again = course_problems(3, 80_000, np.random.default_rng(0))
    other = course_problems(3, 80_000, np.random.default_rng(1))
    assert all((u == v).all() for u, v in zip(again, (x, y, c))) and not (other[2] == c).all()
    assert distinct_problems(5) == sum(k + 1 for k in range(32)) == 528


def test_the_shown_problems_span_the_sums():
    x, y, c = shown_problems(5, 16, np.random.default_rng(0))
    assert c[0] == 0 and c[-1] == 31 and len(c) == 16 and (np.diff(c) > 0).all()
    assert (decode(y) == c).all() and (decode(x[:, :, 0]) + decode(x[:, :, 1]) == c).all()
    assert (decode(x[:, :, 0]) <= c).all()


# --- the two losses and the metric ------------------------------------------------------------------------


def test_the_time_position_cross_entropy_is_the_courses_written_out():
    s = torch.tensor([[0.9, 0.1, 0.8, 0.3], [0.2, 0.7, 0.6, 0.05], [0.4, 0.4, 0.4, 0.4]])
    bits = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    k = [2, 1, 0]  # the lowest set bit; an all-zero sum is class 0
    by_hand = [-s[i, k[i]].item() + math.log(sum(math.exp(v) for v in s[i].tolist())) for i in range(3)]
    assert time_position_ce(s, bits).item() == pytest.approx(sum(by_hand) / 3, abs=1e-6)
    assert ce_target(bits.numpy()).tolist() == k == bits.argmax(dim=1).tolist()  # numpy and torch: the first maximum
    assert squared_error(s, bits).item() == pytest.approx(((s - bits) ** 2).mean().item())


def test_a_zero_sum_is_class_0_the_class_of_every_odd_sum():
    _, y, c = course_problems(5, 3000, np.random.default_rng(4))
    k = ce_target(y)
    assert (k[c == 0] == 0).all() and (k[c % 2 == 1] == 0).all() and (c == 0).any()
    assert (2 ** k[c > 0] == lowest_set_bit(c[c > 0])).all()


@pytest.mark.parametrize("L", [1, 2, 3, 4, 5, 6, 8])
def test_the_ceiling_and_the_floor_by_brute_force(L):
    """The ideal model of the time-position CE: a 1 at the lowest set bit, 0 elsewhere (nothing for
    c = 0). Over every c it gets (L+1) sums right, and its loss is the floor."""
    c = np.arange(2**L)
    ideal = np.zeros((len(c), L + 1))
    ideal[c > 0, np.log2(lowest_set_bit(c[c > 0])).astype(int)] = 1.0
    pred = decode(thresholded(ideal))
    assert (pred == lowest_set_bit(c)).all()
    assert (pred == c).sum() == L + 1 and (pred == c).mean() == ce_ceiling(L) == (L + 1) / 2**L
    bits = ((c[:, None] >> np.arange(L + 1)) & 1).astype(float)
    assert (thresholded(ideal) == bits).mean() == pytest.approx(ce_ideal_bit_accuracy(L))
    on = torch.tensor(ideal[c > 0], dtype=torch.float64)
    assert time_position_ce(on, torch.tensor(bits[c > 0])).item() == pytest.approx(ce_loss_floor(L))
    scores = torch.rand(500, L + 1, dtype=torch.float64, generator=torch.Generator().manual_seed(L))
    targets = torch.nn.functional.one_hot(torch.randint(0, L + 1, (500,)), L + 1).double()
    per = torch.nn.functional.cross_entropy(scores, targets.argmax(1), reduction="none")
    assert per.min().item() > ce_loss_floor(L)  # no score in (0, 1) goes under it


def test_the_bounds_at_the_courses_length():
    assert ce_ceiling(5) == 0.1875 and ce_loss_floor(5) == pytest.approx(1.0436, abs=1e-4)
    assert ce_ideal_bit_accuracy(5) == pytest.approx(1 - (2.5 - 31 / 32) / 6)


def test_the_course_metric_on_hand_made_outputs():
    s = torch.tensor([[0.9, 0.2, 0.6], [0.51, 0.49, 0.1], [0.5, 0.0, 0.0], [0.1, 0.9, 0.2]])
    bits = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    # 0.5 is not above 0.5; row 3 decodes to 2 against 4
    assert whole_number_correct(s, bits).tolist() == [1.0, 1.0, 0.0, 0.0]
    literal = decode(thresholded(s.numpy())) == decode(bits.numpy())  # pred.dot(2**arange) == y.dot(2**arange)
    assert literal.tolist() == [True, True, False, False]
    # the judge's measures on the same outputs: c = 5, 1, 1, 4 decoded as 5, 1, 0, 2
    x = np.zeros((4, 3, 2), dtype=np.float32)
    x[:, 0, 0], x[:, 0, 1] = [1, 1, 0, 1], [0, 0, 1, 1]  # the last row carries out of bit 0: c's bit 0 is 0
    scores = judge_scores(s.numpy(), x, bits.numpy(), decode(bits.numpy()))
    assert scores["judge_acc"] == 0.5 and scores["judge_bit_acc"] == pytest.approx(9 / 12, abs=1e-6)
    assert scores["lowest_bit_share"] == 0.25  # only the second row decodes to c & −c
    assert scores["high_outputs"] == 1.0 and scores["one_high_share"] == 0.5
    assert scores["step0_xor_share"] == 0.75 and scores["step0_or_share"] == 0.5


# --- the network and its update ---------------------------------------------------------------------------


@pytest.mark.parametrize("H", [2, 5, 10])
def test_the_network_is_the_courses_at_torchs_default_init(H):
    torch.manual_seed(0)
    net = CourseAdderConfig(H, "mse").build()
    assert isinstance(net.lstm, nn.LSTM) and isinstance(net.out, nn.Linear) and net.lstm.batch_first
    # torch's two biases per gate: 4H(2 + H) + 8H, then the H + 1 of the output layer
    assert sum(p.numel() for p in net.parameters()) == 4 * H * (2 + H) + 8 * H + H + 1
    bound = 1 / math.sqrt(H)
    assert all(p.abs().max() <= bound for p in net.lstm.parameters())  # U(-1/sqrt(H), 1/sqrt(H))
    assert net.out.weight.abs().max() <= bound and net.out.bias.abs().max() <= bound
    s, loss = net(torch.zeros(3, 6, 2), torch.zeros(3, 6))
    assert s.shape == (3, 6) and ((0 < s) & (s < 1)).all() and loss.ndim == 0
    with pytest.raises(ValueError, match="allowed values: mse, time_position_ce"):
        CourseAdderConfig(H, "bce")


def test_the_update_is_plain_adam_without_clipping_and_scores_each_batch(monkeypatch):
    def no_clipping(*_args, **_kw):
        raise AssertionError("the course did not clip its gradients")

    monkeypatch.setattr(nn.utils, "clip_grad_norm_", no_clipping)
    monkeypatch.setattr(nn.utils, "clip_grad_value_", no_clipping)
    torch.manual_seed(1)
    net = CourseAdderConfig(4, "time_position_ce").build()
    ref = CourseAdder(net.cfg)
    ref.load_state_dict(net.state_dict())
    x, y, _ = course_problems(3, 32, np.random.default_rng(0))
    x, y = torch.from_numpy(x) * 1000, torch.from_numpy(y)  # large inputs: large gradients, never clipped
    step, opt = CourseStep(net, 0.01), torch.optim.Adam(ref.parameters(), lr=0.01)
    correct = 0.0
    for _ in range(3):
        correct += whole_number_correct(ref(x, y)[0].detach(), y).sum().item()  # scored before the update
        out = step(x, y)
        loss = ref(x, y)[1]
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert set(out) == {"loss"}
    for a, b in zip(net.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    assert step.epoch_accuracy() == pytest.approx(correct / 96) and step.seen == 0


def test_the_epoch_accuracy_is_over_every_batch_since_the_last_read():
    net = CourseAdderConfig(3, "mse").build()
    step = CourseStep(net, 1e-9)  # a negligible update: every batch is scored by the same model
    xs = [course_problems(3, 8, np.random.default_rng(i))[:2] for i in range(4)]
    want = []
    for x, y in xs:
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        want.append(whole_number_correct(net(x)[0].detach(), y).sum().item())
        step(x, y)
    assert step.epoch_accuracy() == pytest.approx(sum(want) / 32, abs=1e-6)
    assert step.seen == 0 and float(step.correct) == 0.0


# --- the criteria -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("acc,verdict", [
    ({2: [0.50, 0.52, 0.51], 5: [0.80, 0.82, 0.81], 10: [0.99, 1.0, 0.995]}, HOLDS),  # all three parts
    ({2: [0.70, 0.72, 0.71], 5: [1.0, 1.0, 1.0], 10: [1.0, 1.0, 1.0]}, MIXED),  # 10 nearly 100%, 2 lower, 5 -> 10 flat
    ({2: [0.50, 0.50, 0.52], 5: [0.50, 0.51, 0.50], 10: [0.96, 0.97, 0.96]}, MIXED),  # 10 better, 2 not lower
    ({2: [0.90, 0.91, 0.90], 5: [0.80, 0.81, 0.80], 10: [0.70, 0.71, 0.70]}, FAILS),  # none of the three
    ({5: [0.9] * 3, 10: [1.0] * 3}, NOT_COMPARABLE),  # hidden 2 not trained
])
def test_the_hidden_size_criterion(acc, verdict):
    v = C.hidden_sizes(acc, 2000)
    assert v.verdict == verdict
    if verdict != NOT_COMPARABLE:
        assert "(a) hidden 10" in v.evidence and "2,000 problems" in v.evidence
    else:
        assert "hidden 2 not trained" in v.evidence


def test_nearly_100_is_the_named_threshold():
    acc = {2: [0.5] * 3, 5: [0.8] * 3, 10: [0.94] * 3}
    assert C.hidden_sizes(acc, 2000).numbers["parts"] == [False, True, True]
    assert C.hidden_sizes(acc, 2000, nearly=0.9).verdict == HOLDS


@pytest.mark.parametrize("mse,ce,verdict", [
    ([1.0, 1.0, 0.95], [0.10, 0.10, 0.10], HOLDS),  # ahead by far more than the margin
    ([0.60, 0.61, 0.60], [0.50, 0.50, 0.50], MIXED),  # ahead beyond 2 SE, by less than 0.2
    ([0.50, 0.52, 0.50], [0.50, 0.50, 0.51], NOISE),
    ([0.10, 0.10, 0.10], [0.50, 0.52, 0.50], FAILS),  # cross-entropy ahead
    ([], [], NOT_COMPARABLE),
])
def test_the_much_better_criterion(mse, ce, verdict):
    v = C.much_better(mse, ce, 2000)
    assert v.verdict == verdict
    if mse:
        assert v.numbers["pairs"] == 3 and v.numbers["mean_diff"] == pytest.approx(np.mean(mse) - np.mean(ce), abs=1e-6)


def test_the_much_better_se_counts_the_problems_too():
    # identical differences on every seed: the pairs' spread is 0, so the binomial error decides
    v = C.much_better([0.52] * 3, [0.50] * 3, 100)
    assert v.numbers["se"] > 0 and v.verdict == NOISE
    assert C.much_better([0.52] * 3, [0.50] * 3, 10**7).verdict == MIXED


# --- the stages on tiny params ------------------------------------------------------------------------------


def _tiny(tmp_path, default_params) -> dict:
    p = default_params
    k = p["addition"]["course"]
    k["train"].update(seeds=[0, 1], epochs=2, steps_per_epoch=6, batch_size=8, epoch_test_n=16)
    k["evaluate"].update(sweep_max_len=4, sweep_n=10, judge_n=40, show=5)
    p["compute"]["workers"] = 1
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    return p


def test_the_course_stages_train_score_draw_and_feed_the_ledger(tmp_path, default_params, monkeypatch):
    """train, evaluate and figures in this process (no tracking), then the ledger rows and the
    report's subsection on their outputs."""
    from seqlab.studies.addition import course_figures
    from seqlab.studies.addition.course import steps
    from seqlab.studies.addition.report import course_protocol

    p = _tiny(tmp_path, default_params)
    monkeypatch.chdir(tmp_path)
    cp = parse(p)
    steps.train(cp)
    runs = sorted(d.relative_to(tmp_path / "models" / "addition_course").as_posix()
                  for d in (tmp_path / "models" / "addition_course").glob("*/seed*"))
    assert runs == sorted(f"{n}/seed{s}" for n in ("mse-h2", "mse-h5", "mse-h10", "time_position_ce-h5") for s in (0, 1))
    run = tmp_path / "models" / "addition_course" / "mse-h5" / "seed0"
    history = run / "history.csv"
    first = history.read_text()
    assert first.splitlines()[0] == "step,train_loss,train_acc,test_acc,test_loss" and len(first.splitlines()) == 13
    # the same seed trains the same run, whatever else ran before it
    again = steps._train_job((cp.course, "mse", 5, 0)).history
    assert again.train_loss == pytest.approx([float(v.split(",")[1]) for v in first.splitlines()[1:]], abs=1e-6)

    metrics = steps.evaluate_study(cp)
    assert set(metrics) == {"mse-h2", "mse-h5", "mse-h10", "time_position_ce-h5", "ce_ceiling", "ce_loss_floor"}
    assert metrics["ce_ceiling"] == 0.1875 and all(0 <= m["judge_acc_mean"] <= 1 for k, m in metrics.items()
                                                   if isinstance(m, dict))
    res = json.loads((tmp_path / "reports" / "addition_course" / "results.json").read_text())
    assert json.loads((tmp_path / "reports" / "metrics" / "addition_course.json").read_text()) == metrics
    plots = tmp_path / "reports" / "plots" / "addition_course"
    curves = plots.joinpath("curves.csv").read_text().splitlines()
    assert len(curves) == 1 + 8 * 2 and curves[0].startswith("loss,hidden,seed,epoch,step,train_acc")
    assert len(plots.joinpath("sweep.csv").read_text().splitlines()) == 1 + 8 * 4
    assert len(plots.joinpath("outputs.csv").read_text().splitlines()) == 1 + 5 * 6
    assert len(plots.joinpath("decoded.csv").read_text().splitlines()) == 1 + 40
    assert res["shown"]["hidden"] == 5 and res["shown"]["c"] == [0, 8, 16, 23, 31]
    assert res["params"]["train"]["steps"] == 12 and res["derived"]["ce_loss_floor"] == pytest.approx(ce_loss_floor(5))
    g = res["groups"]["time_position_ce-h5"]
    assert g["seeds"] == [0, 1] and len(g["judge_acc"]) == 2 and 0 <= g["lowest_bit_share_mean"] <= 1

    course_figures.make_figures(cp)
    for name in ("outputs.png", "decoded.png", "accuracy_by_length.png", "training.png"):
        assert (tmp_path / "reports" / "figures" / "addition_course" / name).read_bytes()[:4] == b"\x89PNG"

    rows = {c.id: c for c in C.claims(parse_addition(p))}  # no reports/addition: seqlab's study not run here
    assert set(rows) == {"addition.hidden10_nearly_perfect_hidden2_lower", "addition.mse_beats_cross_entropy"}
    assert all(c.protocol == COURSE and c.source == "ee6132" and c.corrected.endswith("not run") for c in rows.values())
    devs = rows["addition.mse_beats_cross_entropy"].deviations
    assert any(d.startswith("schedule: epochs 2 (the course's 10), steps_per_epoch 6") for d in devs)
    assert "ceiling (L+1)/2^L = 18.75%" in rows["addition.mse_beats_cross_entropy"].result.evidence

    md = "\n".join(course_protocol(None))
    assert "### The course's protocol (EE6132, q3.py)" in md and "figures/addition_course/outputs.png" in md
    assert f"{res['groups']['mse-h5']['judge_acc_mean']:.3f} ± {res['groups']['mse-h5']['judge_acc_std']:.3f}" in md


def _course_results(devs_scale: bool = False) -> dict:
    """A results.json as stage addition_course_evaluate writes it, at the course's scale."""
    def group(loss, h, acc):
        return {"loss": loss, "hidden": h, "seeds": [0, 1, 2], "judge_acc": acc, "judge_acc_mean": float(np.mean(acc)),
                "lowest_bit_share": [0.9] * 3, "lowest_bit_share_mean": 0.9, "high_outputs_mean": 1.1,
                "one_high_share_mean": 0.9, "step0_xor_share_mean": 0.9, "step0_or_share_mean": 0.8,
                "final_train_loss_mean": 1.1, "judge_bit_acc_mean": 0.7}

    groups = {"mse-h2": group("mse", 2, [0.7, 0.72, 0.71]), "mse-h5": group("mse", 5, [0.95, 0.96, 0.95]),
              "mse-h10": group("mse", 10, [1.0, 1.0, 1.0]), "time_position_ce-h5": group("time_position_ce", 5,
                                                                                          [0.15, 0.16, 0.15])}
    train = {k: COURSE_RUN[k] for k in ("epochs", "steps_per_epoch", "batch_size", "lr", "epoch_test_n")}
    return {"params": {"L": 5, "hidden": [2, 5, 10], "ce_hidden": [5], "train": {**train, "seeds": [0, 1, 2]},
                       "evaluate": {"judge_n": 2000, "sweep_max_len": 20, "sweep_n": 100}},
            "derived": {"judge_ce_ceiling": 0.19}, "groups": groups}


def test_the_rows_carry_seqlabs_study_as_their_corrected_answer(tmp_path, monkeypatch, default_params):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "addition_course").mkdir(parents=True)
    (tmp_path / "reports" / "addition_course" / "results.json").write_text(json.dumps(_course_results()))
    pairs = [{"L": 10, "hidden": h, "seed": s, "sum_acc_mse": 0.99, "sum_acc_bce": 0.90 + 0.01 * s}
             for h in (3, 5) for s in range(3)]
    runs = [{"L": 10, "L_eval": 10, "loss": "mse", "hidden": h, "seed": s, "sum_acc": a}
            for h, a in ((3, 0.9), (5, 0.95), (10, 1.0)) for s in range(3)]
    (tmp_path / "reports" / "addition").mkdir(parents=True)
    (tmp_path / "reports" / "addition" / "results.json").write_text(json.dumps({
        "data": {"test_in_train": {"3": 1.0, "10": 0.01}}, "comparison": {"pairs": pairs}, "runs": runs,
        "metrics": {"L10": {"h3": {"mse": {"n_test": 1000}}}}}))
    rows = {c.id: c for c in C.claims(parse_addition(default_params))}
    hidden, mse = rows["addition.hidden10_nearly_perfect_hidden2_lower"], rows["addition.mse_beats_cross_entropy"]
    assert hidden.result.verdict == HOLDS and mse.result.verdict == HOLDS
    assert hidden.claim == C.HIDDEN_CLAIM and mse.claim == C.MSE_BETTER
    assert mse.result.numbers["per_bit"] == HOLDS and "**holds**" in mse.corrected and "per-bit" in mse.corrected
    assert "L = 10, hidden 3: 0.900, 5: 0.950, 10: 1.000" in hidden.corrected and "hidden 2 is not trained" in hidden.corrected
    assert not any(d.startswith("schedule:") for d in mse.deviations)  # the course's scale: no schedule deviation
    assert any(d.startswith("seeds: 3 seeded runs") for d in mse.deviations)
    assert any(d.startswith("hidden 2 and 10") for d in hidden.deviations)


# --- params ---------------------------------------------------------------------------------------------------


def test_the_defaults_are_the_courses(default_params):
    c = parse(default_params).course
    t, e = c.train, c.evaluate
    got = {"L": c.L, "hidden": 5 if 5 in c.hidden and 5 in c.ce_hidden else None, "epochs": t.epochs,
           "steps_per_epoch": t.steps_per_epoch, "batch_size": t.batch_size, "lr": t.lr,
           "epoch_test_n": t.epoch_test_n, "sweep_max_len": e.sweep_max_len, "sweep_n": e.sweep_n}
    assert got == COURSE_RUN and set(c.hidden) == {2, 5, 10} and t.steps == 10_000


@pytest.mark.parametrize("edit, message", [
    (lambda k: k.update(ce_hidden=[7]), r"'addition\.course\.ce_hidden' \(\[7\]\) shares no size with"),
    (lambda k: k.update(L=3) or k["evaluate"].update(show=9), r"'addition\.course\.evaluate\.show' \(9\) exceeds"),
    (lambda k: k.update(L=0), r"'addition\.course\.L' must be >= 1"),
    (lambda k: k.update(L=63), r"'addition\.course\.L' has 63; operands are int64"),
    (lambda k: k["evaluate"].update(sweep_max_len=70), r"'addition\.course\.evaluate\.sweep_max_len' has 70"),
    (lambda k: k["train"].update(lr=0), r"'addition\.course\.train\.lr' must be a positive number"),
    (lambda k: k["train"].update(device="tpu"), r"'addition\.course\.train\.device' is 'tpu'; allowed values"),
])
def test_a_bad_course_param_names_its_key(default_params, edit, message):
    edit(default_params["addition"]["course"])
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = _tiny(tmp_path, default_params)
    p["addition"]["course"]["train"]["batch_size"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("addition_course_train"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'addition.course.train.batch_size' must be >= 1" in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()


def test_seqlabs_per_bit_comparison_uses_only_lengths_with_unseen_test_problems():
    """The corrected answer of the MSE row (formerly its own OTHER_TASK row): paired MSE and per-bit
    cross-entropy runs, at the lengths whose test problems are mostly not training problems."""
    def res(pairs, test_in_train):
        rows = [{"L": L, "hidden": h, "seed": s, "sum_acc_mse": mse, "sum_acc_bce": bce}
                for (L, h, s), (mse, bce) in pairs.items()]
        return {"data": {"test_in_train": test_in_train}, "comparison": {"pairs": rows}}

    seen = {"3": 1.0, "10": 0.01}
    better = {(10, h, s): (0.99, 0.90 + 0.01 * s) for h in (3, 5) for s in range(3)}
    tie = {(10, h, s): (0.98, 0.98) for h in (3, 5) for s in range(3)}
    memorised = {(3, h, s): (1.0, 0.5) for h in (3, 5) for s in range(3)}  # MSE "wins" only where memory suffices
    worse = {(10, h, s): (0.90 + 0.01 * s, 0.99) for h in (3, 5) for s in range(3)}
    assert C.per_bit_comparison(res(better, seen)).verdict == HOLDS
    v = C.per_bit_comparison(res({**tie, **memorised}, seen))
    assert v.verdict == NOISE and v.numbers["pairs"] == 6
    assert C.per_bit_comparison(res(worse, seen)).verdict == FAILS
    assert C.per_bit_comparison(res(memorised, {"3": 1.0})).verdict == NOT_COMPARABLE
