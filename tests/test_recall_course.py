"""Digit recall by the EE6132 course's protocol (its q2.py): the course's data and its invariants,
its network and update (no padding ever reaches the LSTM), the ledger row on hand-made results for
every verdict its criterion can return, and the three stages on tiny params in a tmp dir."""

import copy
import json
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
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE
from seqlab.models.config import count_parameters
from seqlab.studies.recall import claims as C
from seqlab.studies.recall.course.data import DIGITS, INPUT_DIM, course_batches, length, lengths, unpad
from seqlab.studies.recall.course.network import CourseRecallConfig, course_correct
from seqlab.studies.recall.course.params import COURSE_DATA, COURSE_TRAIN, parse
from seqlab.studies.recall.course.steps import CourseStep
from seqlab.studies.recall.params import parse as parse_recall


def batches(seed=0, n=400, B=32):
    return course_batches(np.random.default_rng(seed), n, B, 3, 9, 1)


# --- the course's data --------------------------------------------------------------------------


def test_the_data_is_the_courses_digits_0_to_8_one_hot_over_10_with_one_length_per_batch():
    x, y = batches()
    assert x.shape == (400, 32, 9, INPUT_DIM) and y.shape == (400, 32) and x.dtype == np.float32
    rows = x.sum(-1)  # (N, B, T): 1 on a real step, 0 on a padding row
    assert set(np.unique(rows)) == {0.0, 1.0}
    per_seq = rows.sum(-1)  # (N, B): each sequence's length
    assert (per_seq == per_seq[:, :1]).all()  # one length per batch
    assert set(np.unique(per_seq)) == set(range(3, 10))  # every length 3..9 occurs, no other
    real = rows == 1
    assert (real == (np.arange(9) < per_seq[..., None])).all()  # the real steps come first, padding after
    digits = x.argmax(-1)[real]
    assert set(np.unique(digits)) == set(range(DIGITS)) == set(range(9))  # 0..8: randint(0, 9) never draws a 9
    assert not x[..., 9].any()  # column 9 is never set
    assert (y == x[:, :, 1].argmax(-1)).all()  # the target is the digit at 0-based index 1


def test_the_data_is_determined_by_its_seed():
    a, b, c = batches(5), batches(5), batches(6)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_a_stored_batch_gives_back_its_length_and_its_unpadded_steps():
    x, _ = batches(n=20)
    xt = torch.from_numpy(x)
    n = lengths(xt)
    for i in range(20):
        L = int(n[i])
        assert length(xt[i]) == L == int(x[i, 0].sum())
        assert unpad(xt[i]).shape == (32, L, INPUT_DIM) and unpad(xt[i]).sum() == 32 * L


# --- the network and its update ------------------------------------------------------------------


@pytest.mark.parametrize("H,count", [(2, 142), (5, 400), (10, 990)])
def test_the_course_network_is_torchs_lstm_and_linear_and_counts_in_closed_form(H, count):
    net = CourseRecallConfig(H).build()
    assert isinstance(net.lstm, nn.LSTM) and net.lstm.num_layers == 1 and net.lstm.batch_first
    assert (net.lstm.input_size, net.out.out_features) == (10, 10)
    assert count_parameters(net) == 4 * H * (10 + H) + 8 * H + 10 * H + 10 == count  # torch keeps two biases per gate


def _net(H=4, seed=0):
    torch.manual_seed(seed)
    return CourseRecallConfig(H).build()


def test_no_padding_reaches_the_lstm_the_course_step_is_the_update_on_the_unpadded_batch():
    x, y = (torch.from_numpy(a) for a in batches(3, n=3, B=8))
    i = int(torch.nonzero(lengths(x) < 9)[0])  # a batch with padding rows
    L = int(lengths(x)[i])
    net, ref = _net(), _net()
    step = CourseStep(net, lr=0.01)
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)  # default betas, no clipping: q2.py's
    for _ in range(2):
        out = step(x[i : i + 1], y[i : i + 1])
        r_out, _ = ref.lstm(x[i, :, :L])  # the course's forward on its (B, L, 10) batch
        loss = F.cross_entropy(ref.out(r_out[:, -1]), y[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.allclose(out["loss"], loss.detach(), atol=1e-6)
    for a, b in zip(net.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    # and padding would have mattered: the last output after the all-zero rows is another one
    with torch.no_grad():
        assert not torch.allclose(net(x[i])[0], net(x[i, :, :L])[0], atol=1e-4)


def test_the_course_test_scores_each_batch_at_its_own_length():
    x, y = (torch.from_numpy(a) for a in batches(4, n=30, B=8))
    net = _net(seed=1)
    correct, n = course_correct(net, x, y)
    with torch.no_grad():
        one_by_one = torch.stack([net(unpad(x[i]))[0].argmax(-1) == y[i] for i in range(30)])
    assert torch.equal(correct, one_by_one) and torch.equal(n, lengths(x))


# --- params ----------------------------------------------------------------------------------------


def test_the_default_params_are_the_courses(default_params):
    c = parse(default_params).course
    assert c.data.__dict__ == COURSE_DATA == {"min_len": 3, "max_len": 9, "position": 1}
    assert {k: getattr(c.train, k) for k in COURSE_TRAIN} == COURSE_TRAIN
    assert c.train.steps == 1500 and c.train.test_batches * c.train.batch_size == 640


@pytest.mark.parametrize("edit, message", [
    (lambda k: k["data"].update(max_len=2), r"'recall\.course\.data\.max_len' \(2\) must be >= 'recall\.course\.data\.min_len'"),
    (lambda k: k["data"].update(position=3), r"'recall\.course\.data\.position' \(3, 0-based\) must be <"),
    (lambda k: k["train"].update(hidden=[2, 0]), r"'recall\.course\.train\.hidden' has 0"),
    (lambda k: k["train"].update(lr=0), r"'recall\.course\.train\.lr' must be a positive number"),
    (lambda k: k["train"].update(device="tpu"), r"'recall\.course\.train\.device' is 'tpu'; allowed values"),
    (lambda k: k["judge"].update(batches=0), r"'recall\.course\.judge\.batches' must be >= 1"),
])
def test_a_bad_course_param_names_its_key(default_params, edit, message):
    edit(default_params["recall"]["course"])
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


# --- the ledger row ----------------------------------------------------------------------------------


def course_results(accs: dict[int, list[float]], **train) -> dict:
    t = {**COURSE_TRAIN, "hidden": sorted(accs), "seeds": list(range(len(next(iter(accs.values()))))), **train}
    return {"params": {"data": dict(COURSE_DATA), "train": t, "judge": {"batches": 200, "seed": 6132}},
            "n_judge": 6400, "n_course_test": 640,
            "runs": [{"hidden": h, "seed": s, "judge_acc": a, "course_final": a} for h, v in accs.items()
                     for s, a in enumerate(v)]}


def seqlab_results(accs: dict[int, list[float]]) -> dict:
    return {"data": {"sizes": {"train": 20000, "test": 2000}},
            "runs": [{"hidden": h, "seed": s, "test_acc": a, "samples": 382176} for h, v in accs.items()
                     for s, a in enumerate(v)]}


def ledger(tmp_path, monkeypatch, default_params, course: dict, seqlab: dict) -> C.Claim:
    for study, res in (("recall_course", course), ("recall", seqlab)):
        (tmp_path / "reports" / study).mkdir(parents=True, exist_ok=True)
        (tmp_path / "reports" / study / "results.json").write_text(json.dumps(res))
    monkeypatch.chdir(tmp_path)
    default_params["recall"]["train"]["hidden"] = sorted({r["hidden"] for r in seqlab["runs"]})
    [row] = C.claims(parse_recall(default_params))
    return row


VERDICTS = [
    ({2: [0.30, 0.32, 0.31], 5: [0.80, 0.82, 0.81], 10: [1.0, 1.0, 1.0]}, HOLDS),  # every step up beyond noise
    ({2: [0.30, 0.32, 0.31], 5: [1.0, 1.0, 0.999], 10: [1.0, 1.0, 1.0]}, MIXED),  # 5 -> 10 at the ceiling
    ({2: [0.90, 0.91, 0.90], 5: [0.91, 0.90, 0.90], 10: [0.90, 0.90, 0.91]}, NOISE),
    ({2: [0.90, 0.90, 0.90], 5: [0.60, 0.61, 0.60], 10: [0.60, 0.60, 0.61]}, FAILS),  # falls, then flat
    ({10: [1.0, 1.0, 1.0]}, NOT_COMPARABLE),  # one size: no trend
]


@pytest.mark.parametrize("accs,verdict", VERDICTS, ids=[v for _, v in VERDICTS])
def test_the_row_is_judged_on_the_course_protocol(tmp_path, monkeypatch, default_params, accs, verdict):
    seqlab = {2: [0.3, 0.29, 0.33], 5: [0.97, 0.96, 0.98], 10: [1.0, 1.0, 1.0]}  # a holds for the corrected side
    row = ledger(tmp_path, monkeypatch, default_params, course_results(accs), seqlab_results(seqlab))
    assert row.id == "recall.hidden_size_raises_accuracy" and row.protocol == COURSE and row.source == "ee6132"
    assert row.claim == C.RECALL_CLAIM == "We notice that increasing the hidden unit size increases the accuracy"
    assert row.result.verdict == verdict
    assert row.corrected.startswith("seqlab's protocol (") and "by the same rule: holds;" in row.corrected
    if verdict != NOT_COMPARABLE:
        assert "6,400 judge sequences" in row.result.evidence and "last epoch's test on 640" in row.result.evidence
    assert any(d.startswith("seeds: 3 seeded runs") for d in row.deviations)
    assert any(d.startswith("judged on 6,400 sequences") for d in row.deviations)
    assert not any(d.startswith(("schedule:", "task:")) for d in row.deviations)  # the course's own schedule


@pytest.mark.parametrize("accs,verdict", VERDICTS, ids=[v for _, v in VERDICTS])
def test_the_corrected_answer_is_seqlabs_study_by_the_same_rule(tmp_path, monkeypatch, default_params, accs, verdict):
    course = course_results({2: [0.3, 0.3, 0.3], 5: [0.9, 0.9, 0.9], 10: [1.0, 1.0, 1.0]})
    row = ledger(tmp_path, monkeypatch, default_params, course, seqlab_results(accs))
    assert row.result.verdict == HOLDS and f"by the same rule: {verdict};" in row.corrected
    assert "382,176 samples per run" in row.corrected


def test_a_smaller_run_than_the_courses_is_listed(tmp_path, monkeypatch, default_params):
    course = course_results({2: [0.3], 5: [0.9], 10: [1.0]}, epochs=2, hidden=[2, 10, 5])
    row = ledger(tmp_path, monkeypatch, default_params, course, seqlab_results({2: [0.3], 10: [1.0]}))
    assert any(d.startswith("schedule: epochs 2,") and "the course's: epochs 15" in d for d in row.deviations)
    assert not any(d.startswith("hidden sizes") for d in row.deviations)  # the same sizes, in another order


def test_the_addition_sentence_is_no_longer_a_recall_row(tmp_path, monkeypatch, default_params):
    row = ledger(tmp_path, monkeypatch, default_params, course_results({2: [0.3], 5: [0.9]}),
                 seqlab_results({2: [0.3], 5: [0.9]}))
    assert not hasattr(C, "ADDITION_CLAIM") and "nearly 100%" not in row.claim


# --- the stages ------------------------------------------------------------------------------------------


def tiny(default_params: dict) -> dict:
    p = copy.deepcopy(default_params)
    k = p["recall"]["course"]
    k["train"].update(hidden=[2, 3], seeds=[0, 1], epochs=2, steps_per_epoch=3, batch_size=4, test_batches=2,
                      device="cpu")
    k["judge"].update(batches=6)
    p["compute"]["workers"] = 1
    return p


def test_the_course_stages_train_evaluate_draw_and_feed_the_ledger(tmp_path, monkeypatch, default_params):
    """The three steps in this process (no tracking), on tiny params."""
    from seqlab.studies.recall import course_figures as figures
    from seqlab.studies.recall.course import steps

    assert figures.STUDY == steps.STUDY
    p = tiny(default_params)
    monkeypatch.chdir(tmp_path)
    cp = parse(p)
    steps.train(cp)
    run = tmp_path / "models" / "recall_course" / "h3" / "seed1"
    record = json.loads((run / "run.json").read_text())
    assert record["steps_run"] == 6 and record["samples"] == 6 * 4 and record["n_params"] == 4 * 3 * 13 + 24 + 40
    assert CourseRecallConfig.read(run / "model.pt")[0].hidden == 3
    metrics = steps.evaluate_study(cp)
    assert set(metrics) == {"h2", "h3"} and all(m["n_judge"] == 24 and m["n_seeds"] == 2 for m in metrics.values())
    res = json.loads((tmp_path / "reports" / "recall_course" / "results.json").read_text())
    assert res["n_judge"] == 24 and res["n_course_test"] == 8 and sum(res["judge_lengths"].values()) == 24
    assert len(res["runs"]) == 4 and all(0 <= r["judge_acc"] <= 1 for r in res["runs"])
    curve = (tmp_path / "reports" / "plots" / "recall_course" / "h2.csv").read_text().splitlines()
    assert curve[0] == "seed,epoch,step,test_acc,last_train_loss,train_acc" and len(curve) == 1 + 2 * 2
    assert [line.split(",")[1:3] for line in curve[1:3]] == [["1", "3"], ["2", "6"]]
    assert json.loads((tmp_path / "reports" / "metrics" / "recall_course.json").read_text()) == metrics
    # the same run again is the same run: data, init and batch order all come from the seed
    first = (run / "history.csv").read_text()
    steps.train(cp)
    assert (run / "history.csv").read_text() == first
    figures.make_figures(cp)
    for name in ("test_by_epoch.png", "accuracy_by_length.png"):
        assert (tmp_path / "reports" / "figures" / "recall_course" / name).read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "reports" / "recall").mkdir(parents=True)
    (tmp_path / "reports" / "recall" / "results.json").write_text(json.dumps(seqlab_results({2: [0.3], 5: [0.9]})))
    p["recall"]["train"]["hidden"] = [2, 5]
    [row] = C.claims(parse_recall(p))
    assert row.protocol == COURSE and any(d.startswith("schedule: epochs 2,") for d in row.deviations)
    from seqlab.studies.recall.report import course_protocol

    md = "\n".join(course_protocol(seqlab_results({2: [0.3, 0.5], 3: [0.9, 0.7]})))
    assert "course: final test, 8 fresh (per seed)" in md and "0.400 ± " in md  # seqlab's hidden 2 beside the course's
    assert "figures/recall_course/test_by_epoch.png" in md and "figures/recall_course/accuracy_by_length.png" in md
    assert "15924.0× the course's training samples (382,176 against 24 per run)" in md


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = tiny(default_params)
    p["recall"]["course"]["train"]["test_batches"] = 0
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("recall_course_train"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'recall.course.train.test_batches' must be >= 1" in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()
