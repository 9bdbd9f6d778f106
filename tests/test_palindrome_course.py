"""The CS324 palindrome protocol (the student's scripts, seqlab.studies.palindrome.course): the
template's dataset and its invariants, the student's networks against a hand-written copy of its
code, the double softmax's loss floor, the epoch update and validation as its AverageMeters kept
them, every verdict of both criteria, the ledger rows on hand-made results, and the three stages
on tiny params in a tmp dir."""

import copy
import json
import math
import os
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from conftest import ROOT, stage_command
from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOT_COMPARABLE, SOURCES, quote_fragments
from seqlab.models.config import count_parameters
from seqlab.studies.palindrome import course_criteria as cc
from seqlab.studies.palindrome.course.network import CourseNetConfig, double_softmax_floor
from seqlab.studies.palindrome.course.params import COURSE_LENGTHS, COURSE_SIZES, COURSE_TRAIN, distinct, parse
from seqlab.studies.palindrome.course.steps import (
    CourseEpoch,
    course_data,
    course_palindromes,
    course_validation,
    loader,
    used,
)


def course(default_params, **edit):
    p = copy.deepcopy(default_params)
    p["palindrome"]["course"].update(edit)
    return parse(p).course


# --- the template's data ------------------------------------------------------------------------


def test_t5_has_only_1000_distinct_palindromes_with_leading_zeros_and_the_last_digit_is_the_first():
    pals = course_palindromes(5, 100_000, np.random.default_rng(0))
    assert pals.shape == (1000, 5) and pals.dtype == np.uint8 and distinct(5) == 1000
    assert (pals == pals[:, ::-1]).all()  # every row a palindrome
    assert len({tuple(r) for r in pals}) == 1000  # all of them, each once
    assert (pals[:, 0] == 0).sum() == 100  # leading zeros allowed: 00x00 .. 09x90
    even = course_palindromes(20, 500, np.random.default_rng(1))
    assert even.shape == (500, 20) and (even == even[:, ::-1]).all() and len({tuple(r) for r in even}) == 500


def test_a_runs_split_is_the_students_random_80_20_split_and_is_fixed_by_its_seed(default_params):
    c = course(default_params)
    d = course_data(c, "lstm", 5, seed=3)
    (x, y), (xv, yv) = d["train"], d["val"]
    assert x.shape == (800, 4, 1) and x.dtype == torch.float32 and xv.shape == (200, 4, 1)  # int(0.8 * 1000)
    assert y.dtype == torch.int64 and torch.equal(y, x[:, 0, 0].long())  # the last digit is the first input
    assert set(x.unique().tolist()) == set(range(10))  # one scalar per digit, 0..9
    seen = {tuple(r) for r in x[:, :, 0].tolist()}
    assert not seen & {tuple(r) for r in xv[:, :, 0].tolist()}  # disjoint
    again = course_data(c, "lstm", 5, seed=3)
    assert torch.equal(again["train"][0], x) and not torch.equal(course_data(c, "lstm", 5, seed=4)["train"][0], x)
    assert torch.equal(course_data(c, "rnn", 5, seed=3)["train"][0], x)  # both scripts see all 1,000 at T = 5


def test_the_loaders_keep_their_order_and_drop_or_keep_the_last_partial_batch():
    x, y = torch.arange(10.0), torch.arange(10)
    assert [b[1].tolist() for b in loader(x, y, 4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [b[1].tolist() for b in loader(x, y, 4, drop_last=False)][-1] == [8, 9]
    assert used(10, 4, True) == 8 and used(10, 4, False) == 10


# --- the student's networks ---------------------------------------------------------------------


class StudentLSTM(nn.Module):
    """assignment3/Part 1/lstm.py @0cd95b88 written out (its zero bias tensors left out: always 0)."""

    def __init__(self, H):
        super().__init__()
        self.H = H
        for k in "gifo":
            setattr(self, f"W{k}x", nn.Linear(1, H))
            setattr(self, f"W{k}h", nn.Linear(H, H))
        self.Wph = nn.Linear(H, 10)

    def forward(self, x):
        h = c = torch.zeros(x.shape[0], self.H)
        for t in range(x.size(1)):
            xt = x[:, t, :]
            g = torch.tanh(self.Wgx(xt) + self.Wgh(h))
            i = torch.sigmoid(self.Wix(xt) + self.Wih(h))
            f = torch.sigmoid(self.Wfx(xt) + self.Wfh(h))
            o = torch.sigmoid(self.Wox(xt) + self.Woh(h))
            c = g * i + c * f
            h = torch.tanh(c) * o
        return torch.softmax(self.Wph(h), dim=1)


class StudentRNN(nn.Module):
    """assignment2/Part 3/vanilla_rnn.py @84a30884 written out."""

    def __init__(self, H):
        super().__init__()
        self.H = H
        self.w_hx, self.w_hh, self.w_ph = nn.Linear(1, H), nn.Linear(H, H), nn.Linear(H, 10)

    def forward(self, x):
        h = torch.zeros(x.shape[0], self.H)
        for t in range(x.size(1)):
            h = torch.tanh(self.w_hx(x[:, t, :]) + self.w_hh(h))
        return torch.softmax(self.w_ph(h), dim=1)


@pytest.mark.parametrize("kind, student", [("lstm", StudentLSTM), ("rnn", StudentRNN)])
def test_the_network_is_the_students_code_with_the_same_seed_outputs_and_gradients(kind, student):
    H = 6
    torch.manual_seed(11)
    ref = student(H)
    torch.manual_seed(11)
    net = CourseNetConfig(kind, H).build()
    x, y = torch.randint(0, 10, (5, 7, 1)).float(), torch.randint(0, 10, (5,))
    out, loss = net(x, y)
    expected = ref(x)
    assert torch.allclose(out, expected, atol=1e-6) and torch.allclose(out.sum(1), torch.ones(5))
    F.cross_entropy(expected, y).backward()
    loss.backward()
    pairs = ([(f"W{k}x", f"W{k}h") for k in "ifgo"] if kind == "lstm" else [("w_hx", "w_hh")])
    for j, (xn, hn) in enumerate(pairs):  # torch's gate blocks in its order i, f, g, o
        block = slice(j * H, (j + 1) * H)
        for mine, theirs in ((net.rnn.weight_ih_l0, getattr(ref, xn).weight), (net.rnn.bias_ih_l0, getattr(ref, xn).bias),
                             (net.rnn.weight_hh_l0, getattr(ref, hn).weight), (net.rnn.bias_hh_l0, getattr(ref, hn).bias)):
            assert torch.equal(mine.detach()[block], theirs.detach())  # the same init, drawn in the student's order
            assert torch.allclose(mine.grad[block], theirs.grad, atol=1e-6)
    out_layer = ref.Wph if kind == "lstm" else ref.w_ph
    assert torch.allclose(net.out.weight.grad, out_layer.weight.grad, atol=1e-6)


def test_the_init_is_torchs_linear_default_not_its_recurrent_one_and_parameters_count_in_closed_form():
    torch.manual_seed(0)
    net = CourseNetConfig("lstm", 128).build()
    w = net.rnn.weight_ih_l0.detach()
    assert w.abs().max() <= 1 and w.abs().max() > 0.9  # Linear(1, H): U(-1, 1), not U(-1/sqrt(128), ...)
    assert net.rnn.weight_hh_l0.abs().max() <= 1 / math.sqrt(128)
    H = 128
    assert count_parameters(net) == 4 * (H + H + H * H + H) + 10 * H + 10 == 68_362  # two biases per gate
    assert count_parameters(CourseNetConfig("rnn", H).build()) == H + H + H * H + H + 10 * H + 10 == 18_058


def test_the_double_softmax_floor_is_1_46115_and_one_softmax_feeds_the_logits():
    floor = double_softmax_floor()
    assert round(floor, 5) == 1.46115
    perfect = F.one_hot(torch.tensor([3, 7]), 10).float()  # a softmax output sure of the right class
    assert F.cross_entropy(perfect, torch.tensor([3, 7])).item() == pytest.approx(floor, abs=1e-6)
    torch.manual_seed(0)
    twice = CourseNetConfig("lstm", 4).build()
    torch.manual_seed(0)
    once = CourseNetConfig("lstm", 4, softmax=False).build()
    x, y = torch.rand(3, 4, 1) * 9, torch.tensor([0, 1, 2])
    (p, l2), (z, l1) = twice(x, y), once(x, y)
    assert torch.allclose(p, z.softmax(1)) and l1.item() == pytest.approx(F.cross_entropy(z, y).item())
    assert l2.item() > floor and l2.item() == pytest.approx(F.cross_entropy(z.softmax(1), y).item())


# --- the epoch and the validation ---------------------------------------------------------------


def test_one_loop_step_is_the_students_epoch_and_its_meters_average_batches_unweighted():
    torch.manual_seed(0)
    net = CourseNetConfig("rnn", 5).build()
    ref = copy.deepcopy(net)
    x, y = torch.randint(0, 10, (10, 3, 1)).float(), torch.randint(0, 10, (10,))
    out = CourseEpoch(net, 0.01, 0.5, 4, drop_last=False)(x[None], y[None])
    opt = torch.optim.RMSprop(ref.parameters(), lr=0.01)  # the student's train(): batches 4, 4, 2 in order
    losses, accs = [], []
    for i in (0, 4, 8):
        xb, yb = x[i : i + 4], y[i : i + 4]
        opt.zero_grad()
        scores, loss = ref(xb, yb)
        loss.backward()
        nn.utils.clip_grad_norm_(ref.parameters(), max_norm=0.5)
        opt.step()
        losses.append(loss.item())
        accs.append((scores.argmax(1) == yb).float().mean().item())
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(net.parameters(), ref.parameters()))
    assert out["loss"].item() == pytest.approx(sum(losses) / 3) and out["acc"].item() == pytest.approx(sum(accs) / 3)


def test_the_validation_scores_the_loaders_batches_and_averages_them_unweighted():
    class Fixed(nn.Module):  # predicts class 0 always; loss = the batch's mean of y
        def forward(self, x, y):
            return F.one_hot(torch.zeros(len(x), dtype=torch.long), 10).float(), y.float().mean()

    x, y = torch.zeros(6, 2, 1), torch.tensor([0, 0, 0, 1, 0, 1])
    kept = course_validation(Fixed(), x, y, 4, drop_last=False)  # batches [0,0,0,1], [0,1]
    assert kept["val_acc"] == pytest.approx((0.75 + 0.5) / 2) and kept["val_loss"] == pytest.approx((0.25 + 0.5) / 2)
    dropped = course_validation(Fixed(), x, y, 4, drop_last=True)  # only [0,0,0,1]
    assert dropped["val_acc"] == pytest.approx(0.75)


# --- the criteria -------------------------------------------------------------------------------


def test_the_curve_features():
    curve = [0.5, 1.0, 0.8, 1.0, 1.0]
    assert cc.first_reached(curve, 0.99) == 2 and cc.held_from(curve, 0.99) == 4 and cc.falls(curve, 0.99) == 1
    assert cc.first_reached([0.1], 0.99) is None and cc.held_from([1.0, 0.5], 0.99) is None
    assert cc.held_from([1.0, 1.0], 0.99) == 1 and cc.falls([1.0, 0.5, 1.0, 0.5], 0.99) == 2


@pytest.mark.parametrize("final, verdict", [
    ({5: [1.0, 1.0], 20: [0.995, 1.0]}, HOLDS),
    ({5: [1.0, 1.0], 20: [0.898, 1.0]}, MIXED),
    ({5: [1.0, 1.0], 20: [0.898, 0.7]}, MIXED),  # well at T = 5 only: "different lengths" counts both
    ({5: [0.9, 0.5], 20: [0.898, 0.7]}, FAILS),
    ({5: [1.0, 1.0]}, NOT_COMPARABLE),  # T = 20 did not run
])
def test_performs_well_returns_each_verdict(final, verdict):
    v = cc.performs_well(final, 0.99, [5, 20])
    assert v.verdict == verdict
    if verdict != NOT_COMPARABLE:
        assert "T=20:" in v.evidence and v.numbers["T20"]["values"] == final[20]
    assert cc.performs_well({}, 0.99, []).verdict == NOT_COMPARABLE


@pytest.mark.parametrize("final, verdict", [([0.2, 0.1, 0.5], HOLDS), ([1.0, 0.995], FAILS), ([0.2, 1.0], MIXED),
                                            ([], NOT_COMPARABLE)])
def test_fails_long_returns_each_verdict(final, verdict):
    v = cc.fails_long(final, 0.99, 20)
    assert v.verdict == verdict and "T=20" in v.evidence


# --- params -------------------------------------------------------------------------------------


def test_the_default_params_are_the_courses(default_params):
    c = parse(default_params).course
    assert {k: getattr(c, k) for k in COURSE_TRAIN} == COURSE_TRAIN and c.lengths == COURSE_LENGTHS
    assert {m: vars(getattr(c.course_size, m)) for m in COURSE_SIZES} == COURSE_SIZES
    assert c.size("lstm", 5) == c.course_size.lstm and c.size("rnn", 5) == c.course_size.rnn  # T = 5 whole
    assert c.split("lstm", 5) == (800, 200) and c.split("lstm", 20) == (80_000, 20_000)
    assert course(default_params, scale="course").size("rnn", 20).epochs == 1_000


@pytest.mark.parametrize("edit, message", [
    ({"scale": "huge"}, r"'palindrome\.course\.scale' is 'huge'; allowed values: course, default"),
    ({"corrected": [7]}, r"'palindrome\.course\.corrected' has \[7\], not in 'palindrome\.course\.lengths'"),
    ({"corrected": [1]}, r"'palindrome\.course\.corrected' must be a list of distinct palindrome lengths"),
    ({"lengths": [5, 1]}, r"'palindrome\.course\.lengths' has 1"),
    ({"batch_size": 256}, r"'palindrome\.course' gives the LSTM at T=5 800 training and 200 validation palindromes"),
    ({"train_share": 1.0}, r"gives the LSTM at T=5 1000 training and 0 validation"),
])
def test_a_bad_course_param_names_its_key(default_params, edit, message):
    with pytest.raises(ParamsError, match=message):
        course(default_params, **edit)


# --- the ledger rows ----------------------------------------------------------------------------


def course_results(lstm: dict, rnn: dict, corrected: dict | None = None, deviations: dict | None = None) -> dict:
    """results.json as the evaluate step writes it, from per-seed validation curves by variant and T."""
    groups = []
    for variant, by_T in (("lstm", lstm), ("lstm_corrected", corrected or {}), ("rnn", rnn)):
        for T, curves in by_T.items():
            runs = [{"seed": s, "final_val_acc": c[-1], "peak_val_acc": max(c), "val_acc_curve": c}
                    for s, c in enumerate(curves)]
            groups.append({"variant": variant, "T": T, "epochs": len(curves[0]), "runs": runs,
                           "deviations": (deviations or {}).get((variant, T), [])})
    return {"params": {"seeds": [0, 1], "device": "cpu"}, "groups": groups}


def ledger(tmp_path, monkeypatch, default_params, res: dict, seqlab_acc: dict | None = None) -> dict:
    from seqlab.studies.palindrome.claims import claims
    from seqlab.studies.palindrome.params import parse as parse_palindrome

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports" / "palindrome_course").mkdir(parents=True, exist_ok=True)
    (tmp_path / "reports" / "palindrome_course" / "results.json").write_text(json.dumps(res))
    for m in default_params["palindrome"]["models"]:
        accs = (seqlab_acc or {}).get(m, {})
        lengths = {str(T): {"seeds": [{"seed": s, "test_acc": a} for s, a in enumerate(accs.get(T, [1.0, 1.0, 1.0]))]}
                   for T in (5, 10, 20)}
        (tmp_path / "reports" / "palindrome" / m).mkdir(parents=True, exist_ok=True)
        (tmp_path / "reports" / "palindrome" / m / "results.json").write_text(json.dumps({"lengths": lengths}))
    rows = claims(parse_palindrome(default_params))
    for c in rows:
        assert c.source == "cs324" and quote_fragments(c.claim) and c.protocol == COURSE
        assert SOURCES[c.source].file == "002_b6e41ffd8ddbd0b2.txt" and all(d for d in c.deviations)
    return {c.id: c for c in rows}


GOOD, STUDENT_T20, BAD = [0.5, 1.0, 1.0], [0.9, 1.0, 0.898], [0.1, 0.2, 0.2]


@pytest.mark.parametrize("lstm, rnn_long, lstm_verdict, rnn_verdict", [
    ({5: [GOOD, GOOD], 20: [GOOD, GOOD]}, [BAD, BAD], HOLDS, HOLDS),
    ({5: [GOOD, GOOD], 20: [STUDENT_T20, GOOD]}, [BAD, GOOD], MIXED, MIXED),  # the student's own T = 20 ending
    ({5: [BAD, BAD], 20: [BAD, BAD]}, [GOOD, GOOD], FAILS, FAILS),
])
def test_the_rows_are_judged_on_the_course_protocol(tmp_path, monkeypatch, default_params, lstm, rnn_long,
                                                     lstm_verdict, rnn_verdict):
    rows = ledger(tmp_path, monkeypatch, default_params, course_results(lstm, {5: [GOOD, GOOD], 20: rnn_long}))
    assert set(rows) == {"palindrome.lstm_solves_T", "palindrome.rnn_breaks_above_T"}  # loss_falls moved out
    well, failed = rows["palindrome.lstm_solves_T"], rows["palindrome.rnn_breaks_above_T"]
    assert well.claim == "The LSTM model performs well on palindromes with different lengths."
    assert failed.claim.startswith("The recurrent neural network (RNN) from the last assignment failed")
    assert well.result.verdict == lstm_verdict and failed.result.verdict == rnn_verdict
    assert "T=20" in failed.result.evidence and "beside it, T=5" in failed.result.evidence
    assert "0.898" in well.criterion and "never stepped" in failed.criterion  # the student's log; its StepLR
    assert well.corrected.startswith(f"{HOLDS}: seqlab's headline study") and "one-hot" in well.corrected
    assert failed.corrected.startswith(f"{FAILS}: seqlab's headline study")  # its RNN solves T = 20 here (no sweep)


def test_the_corrected_answers_follow_the_same_rules_on_seqlabs_study(tmp_path, monkeypatch, default_params):
    res = course_results({5: [GOOD], 20: [GOOD]}, {5: [GOOD], 20: [BAD]})
    rows = ledger(tmp_path, monkeypatch, default_params, res, {"lstm": {20: [1.0, 0.95, 1.0]}, "rnn": {20: [0.3] * 3}})
    assert rows["palindrome.lstm_solves_T"].corrected.startswith(MIXED)
    assert rows["palindrome.rnn_breaks_above_T"].corrected.startswith(HOLDS) and "T > 15" in \
        rows["palindrome.rnn_breaks_above_T"].corrected
    rows = ledger(tmp_path, monkeypatch, default_params, res, {"rnn": {20: [1.0] * 3}})
    assert rows["palindrome.rnn_breaks_above_T"].corrected.startswith(FAILS)
    binary = copy.deepcopy(default_params)
    binary["palindrome"]["data"]["base"] = 2
    rows = ledger(tmp_path, monkeypatch, binary, res)
    assert all(c.corrected.startswith(f"{NOT_COMPARABLE}: this study's palindromes are in base 2") for c in rows.values())


def test_a_cut_run_is_listed_and_a_single_length_is_not_comparable(tmp_path, monkeypatch, default_params):
    res = course_results({5: [GOOD], 20: [[0.7]]}, {5: [GOOD]}, corrected={5: [GOOD]},
                         deviations={("lstm", 20): ["epochs: 1 (course: 100)"]})
    rows = ledger(tmp_path, monkeypatch, default_params, res)
    well = rows["palindrome.lstm_solves_T"]
    assert "LSTM T=20: epochs: 1 (course: 100)" in well.deviations and any(d.startswith("seeds: 2") for d in well.deviations)
    assert "a longer run could change the verdict" in well.result.evidence
    assert "one softmax (logits into the loss), same data and weights: T=5: 1.000" in well.result.evidence
    assert rows["palindrome.rnn_breaks_above_T"].result.verdict == NOT_COMPARABLE  # the RNN ran T = 5 only


# --- the stages ---------------------------------------------------------------------------------


def tiny(default_params) -> dict:
    p = copy.deepcopy(default_params)
    k = p["palindrome"]["course"]
    k.update(lengths=[5, 8], seeds=[0, 1], corrected=[5], hidden=4, batch_size=8, device="cpu")
    k["default_size"].update(whole_up_to=2)  # every length at the cut sizes below
    k["default_size"]["lstm"].update(palindromes=60, epochs=3)
    k["default_size"]["rnn"].update(palindromes=50, epochs=2)
    p["compute"]["workers"] = 1
    return p


def test_the_course_stages_train_evaluate_draw_and_feed_the_ledger_and_report(tmp_path, monkeypatch, default_params):
    """The three steps in this process (no tracking), on tiny params."""
    from seqlab.studies.palindrome import course_figures as figures
    from seqlab.studies.palindrome.course import steps
    from seqlab.studies.palindrome.course_report import course_section
    from seqlab.studies.palindrome.params import parse as parse_palindrome

    assert figures.STUDY == steps.STUDY
    p = tiny(default_params)
    monkeypatch.chdir(tmp_path)
    cp = parse(p)
    steps.train(cp)
    run = tmp_path / "models" / "palindrome_course" / "lstm" / "T5" / "seed1"
    record = json.loads((run / "run.json").read_text())
    assert record["steps_run"] == 3 and record["samples"] == 3 * 48 and record["n_params"] == 4 * (4 + 4 + 16 + 4) + 50
    assert CourseNetConfig.read(run / "model.pt")[0] == CourseNetConfig("lstm", 4)
    assert CourseNetConfig.read(tmp_path / "models/palindrome_course/lstm_corrected/T5/seed0/model.pt")[0].softmax is False
    assert not (tmp_path / "models/palindrome_course/lstm_corrected/T8").exists()  # corrected at T = 5 only
    metrics = steps.evaluate_study(cp)
    assert set(metrics) == {"lstm/T5", "lstm/T8", "lstm_corrected/T5", "rnn/T5", "rnn/T8"}
    res = json.loads((tmp_path / "reports" / "palindrome_course" / "results.json").read_text())
    g = next(g for g in res["groups"] if (g["variant"], g["T"]) == ("rnn", 8))
    assert (g["train"], g["val"], g["train_used"], g["val_used"], g["epochs"]) == (40, 10, 40, 10, 2)
    assert "epochs: 2 (course: 1,000)" in g["deviations"] and "length: T=8 (the report's: 5, 20)" in g["deviations"]
    assert res["loss_floor"] == 1.46115 and all(len(r["val_acc_curve"]) == 2 for r in g["runs"])
    curve = (tmp_path / "reports" / "plots" / "palindrome_course" / "lstm_T5.csv").read_text().splitlines()
    assert curve[0] == "seed,epoch,train_loss,train_acc,val_loss,val_acc" and len(curve) == 1 + 2 * 3
    assert json.loads((tmp_path / "reports" / "metrics" / "palindrome_course.json").read_text()) == metrics
    # the same run again is the same run: data, split and init all come from the seed
    first = (run / "history.csv").read_text()
    steps.train(cp)
    assert (run / "history.csv").read_text() == first
    figures.make_figures(cp)
    for name in ("lstm.png", "rnn.png"):
        assert (tmp_path / "reports" / "figures" / "palindrome_course" / name).read_bytes()[:4] == b"\x89PNG"
    pp = parse_palindrome(p)
    md = "\n".join(course_section(res, pp))
    assert "### The CS324 protocol, as the student's code ran it" in md and "1.46115" in md
    assert "figures/palindrome_course/lstm.png" in md and "figures/palindrome_course/rnn.png" in md
    assert "#### What the double softmax costs" in md and "0.898" in md  # the student's own T = 20 ending, quoted
    rows = ledger(tmp_path, monkeypatch, p, res)
    assert rows["palindrome.rnn_breaks_above_T"].result.evidence.startswith("final-epoch validation accuracy per seed: T=8")


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = tiny(default_params)
    p["palindrome"]["course"]["corrected"] = [20]
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("palindrome_course_train"), cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'palindrome.course.corrected' has [20], not in 'palindrome.course.lengths' [5, 8]" in proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()
