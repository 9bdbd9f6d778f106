"""The UvA course's palindromes (seqlab.studies.uvapal): its task generator, its networks, its
loss bug, the study's steps on tiny params, and every ledger criterion on runs whose verdict is known."""

import math

import numpy as np
import pytest
import torch
import yaml

from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import FAILS, HOLDS, MIXED
from seqlab.studies.uvapal import claims as uc
from seqlab.studies.uvapal.network import CourseNetConfig, course_predictions, log_probs
from seqlab.studies.uvapal.params import parse
from seqlab.tasks.binary_palindrome import MAJORITY, PAD, BinaryPalindromeTask

from conftest import shrink


def reference(digits, flip, T):
    """The course's generator written out plainly (COURSES.md §1), for one sample."""
    bits = [int(c) for d in digits for c in bin(int(d))[2:]]
    bits = bits[::-1] if flip else bits
    pal = bits + bits[::-1]
    return [-1] * (4 * T + 2 - len(pal)) + pal


@pytest.mark.parametrize("T", [4, 10, 20])
def test_palindromes_match_the_course_generator(T):
    task = BinaryPalindromeTask(T)
    seq = task.palindromes(np.random.default_rng(3), 400)
    rng = np.random.default_rng(3)  # the same draws, in the same order
    digits, flip = rng.integers(0, 9, size=(400, T // 2)), rng.random(400) < 0.5
    assert [list(r) for r in seq] == [reference(d, f, T) for d, f in zip(digits, flip)]


def test_inputs_labels_and_the_majority():
    task = BinaryPalindromeTask(20)
    x, y = task.sample(np.random.default_rng(0), 60000)
    assert x.shape == (60000, 81) and x.dtype == np.uint8 and set(np.unique(x)) == {0, 1, 2}
    seq = task.palindromes(np.random.default_rng(0), 60000)
    assert (x == seq[:, :-1] + 1).all() and (y == seq[:, -1]).all()
    first = np.argmax(seq >= 0, axis=1)  # the label is the palindrome's first bit
    assert (y == seq[np.arange(len(seq)), first]).all()
    # P(label = 1) = 2/3: 60,000 draws put the rate within 4 standard errors
    assert abs(y.mean() - MAJORITY) < 4 * math.sqrt(MAJORITY * (1 - MAJORITY) / len(y))
    again = task.sample(np.random.default_rng(0), 60000)
    assert (again[0] == x).all() and (again[1] == y).all()


def test_odd_or_tiny_lengths_fail():
    for T in (1, 3, 21):
        with pytest.raises(ValueError, match="even"):
            BinaryPalindromeTask(T)


def _torch_lstm_features(net, x):
    """The course's LSTM loop on torch's own LSTMCell: the same weights, h zeroed after pads."""
    cell = torch.nn.LSTMCell(net.cfg.embed, net.cfg.hidden)
    with torch.no_grad():
        cell.weight_ih.copy_(net.cell.weight_x), cell.weight_hh.copy_(net.cell.weight_h)
        cell.bias_ih.copy_(net.cell.bias), cell.bias_hh.zero_()
    seen = x[:, :-1].long()
    e = net.embedding(seen)
    h = c = torch.zeros(len(x), net.cfg.hidden)
    for t in range(seen.shape[1]):
        h, c = cell(e[:, t], (h, c))
        h = h * (seen[:, t] != PAD).float()[:, None]
    return h


def _peephole_loop(net, x):
    """The course's peephole loop, step by step, h zeroed after pads."""
    seen = x[:, :-1].long()
    xp = net.cell.project_input(net.embedding(seen))
    state = net.cell.init_state(len(x), xp)
    for t in range(seen.shape[1]):
        h, (_, c) = net.cell(xp[:, t], state)
        state = (h * (seen[:, t] != PAD).float()[:, None], c)
    return state[0]


def test_the_networks_compute_the_course_loops():
    x = torch.from_numpy(BinaryPalindromeTask(6).sample(np.random.default_rng(1), 16)[0])
    torch.manual_seed(0)
    lstm = CourseNetConfig("lstm", 8).build()
    torch.testing.assert_close(lstm.features(x), _torch_lstm_features(lstm, x))
    peep = CourseNetConfig("peephole", 8).build()
    torch.testing.assert_close(peep.features(x), _peephole_loop(peep, x))
    # the last input symbol is never read
    flipped = x.clone()
    flipped[:, -1] = 3 - flipped[:, -1]
    for net in (lstm, peep):
        torch.testing.assert_close(net.features(flipped), net.features(x))


def test_the_course_init():
    torch.manual_seed(0)
    H = 256
    net = CourseNetConfig("lstm", H, forget_bias=0.0).build()
    assert net.embedding.weight.shape == (3, H // 2)
    for w in (net.cell.weight_x, net.cell.weight_h):  # Kaiming normal, fan = the (in, out) matrix's out = H
        assert abs(w.std().item() - 1 / math.sqrt(H)) < 0.05 / math.sqrt(H) and abs(w.mean().item()) < 1e-3
    assert abs(net.out.weight.std().item() - 1 / math.sqrt(2)) < 0.05  # its (H, 2) matrix: fan 2
    assert (net.cell.bias == 0).all() and (net.out.bias == 0).all()
    assert (CourseNetConfig("lstm", 8, forget_bias=1.0).build().cell.forget_bias() == 1).all()
    assert (CourseNetConfig("peephole", 8, forget_bias=1.0).build().cell.forget_bias() == 1).all()
    with pytest.raises(ValueError, match="allowed values"):
        CourseNetConfig("gru", 8)
    with pytest.raises(ValueError, match="even"):
        CourseNetConfig("lstm", 7)


def test_the_batch_axis_bug():
    logits = torch.randn(16, 2, requires_grad=True)
    y = torch.randint(0, 2, (16,))
    shift = torch.tensor([3.0, -5.0])
    bug = torch.nn.functional.nll_loss(log_probs(logits, "batch"), y)
    # a constant per class column changes nothing under the bug: the output bias gets no gradient
    torch.testing.assert_close(torch.nn.functional.nll_loss(log_probs(logits + shift, "batch"), y), bug)
    assert not torch.allclose(torch.nn.functional.nll_loss(log_probs(logits + shift, "classes"), y),
                              torch.nn.functional.nll_loss(log_probs(logits, "classes"), y))
    net = CourseNetConfig("peephole", 8, loss_axis="batch").build()
    x, yy = (torch.from_numpy(a) for a in BinaryPalindromeTask(4).sample(np.random.default_rng(0), 32))
    net(x, yy)[1].backward()
    assert net.out.bias.grad.abs().max() < 1e-6 and net.out.weight.grad.abs().max() > 1e-4
    # with the bug a prediction depends on the rest of its batch; without it, it does not
    a = torch.tensor([[0.0, 1.0], [0.0, -3.0], [0.0, -3.0]])
    b = torch.tensor([[0.0, 1.0], [0.0, 3.0], [0.0, 4.0]])
    assert course_predictions(a, "batch")[0] == 1 and course_predictions(b, "batch")[0] == 0
    assert course_predictions(a, "classes")[0] == course_predictions(b, "classes")[0] == 1


def test_the_parameter_count_formula():
    net = CourseNetConfig("lstm", 16).build()
    n = sum(p.numel() for p in net.parameters())
    assert n - 3 * 8 == uc.formula_count(8, 16, 2) == 4 * (16 * 8 + 16 * 16 + 16) + 2 * 16 + 2
    assert uc.counts_match(n, 3 * 8, 8, 16, 2).verdict == HOLDS
    # torch's nn.LSTM, with its second bias per gate, does not match the formula
    torch_lstm = sum(p.numel() for p in torch.nn.LSTM(8, 16).parameters()) + 2 * 16 + 2 + 3 * 8
    assert uc.counts_match(torch_lstm, 3 * 8, 8, 16, 2).verdict == FAILS


# --- the ledger's criteria, on runs whose verdict is known --------------------------------------


def run(seed, solved, level=0.55, before=None):
    return {"seed": seed, "solved_at": solved, "pre_solve_median": level,
            "pre_solve_steps": before if before is not None else (solved or 3000) - 60}


def test_perfect_at():
    assert uc.perfect_at([run(0, 600), run(1, 900)]).verdict == HOLDS
    assert uc.perfect_at([run(0, None), run(1, None)]).verdict == FAILS
    assert uc.perfect_at([run(0, 600), run(1, None)]).verdict == MIXED


def test_plateau_then_jump():
    assert uc.plateau_then_jump([run(0, 1200), run(1, None), run(2, 2600)]).verdict == HOLDS  # some jump, others lag
    assert uc.plateau_then_jump([run(0, 1200, level=0.67), run(1, 1500, level=0.66)]).verdict == FAILS  # at the majority
    assert uc.plateau_then_jump([run(0, 2600), run(1, None)]).verdict == FAILS  # none jumps in the window
    assert uc.plateau_then_jump([run(0, 1200), run(1, 1500, level=0.67)]).verdict == MIXED
    assert uc.plateau_then_jump([run(0, 240, before=180), run(1, 1200)]).verdict == MIXED  # too short to be a plateau


def test_converges_faster():
    lstm = [run(0, 1800), run(1, None), run(2, 1200)]
    assert uc.converges_faster([run(0, 480), run(1, 540), run(2, 600)], lstm, 3000).verdict == HOLDS
    assert uc.converges_faster([run(0, 2400), run(1, None), run(2, 1800)], [run(0, 1200), run(1, 900), run(2, 1000)],
                               3000).verdict == FAILS
    # fast and before the LSTM, but a wider spread than an LSTM that never learns (std 0)
    never = [run(s, None) for s in range(3)]
    v = uc.converges_faster([run(0, 300), run(1, 900), run(2, 600)], never, 3000)
    assert v.verdict == MIXED and v.numbers["std_lstm"] == 0


# --- the study's steps on tiny params -------------------------------------------------------------


def test_params_errors(default_params):
    p = default_params
    parse(p)
    for key, value, match in ((("lengths",), [10, 21], "even"), (("protocols",), ["corrected"], "must include 'course'"),
                              (("protocols",), ["course", "bogus"], "allowed values"), (("scale",), "huge", "allowed values"),
                              (("small", "hidden"), 63, "even")):
        bad = yaml.safe_load(yaml.safe_dump(p))
        target = bad["uvapal"]
        for k in key[:-1]:
            target = target[k]
        target[key[-1]] = value
        with pytest.raises(ParamsError, match=match):
            parse(bad)


def test_train_evaluate_and_claims_on_tiny_params(tmp_path, monkeypatch, default_params):
    from seqlab.core import paths
    from seqlab.core.files import read_json
    from seqlab.core.schema import read
    from seqlab.studies.uvapal import figures, steps
    from seqlab.studies.uvapal.params import UvaParams

    monkeypatch.chdir(tmp_path)
    raw = shrink(default_params)
    raw["compute"]["workers"] = 1
    raw["uvapal"]["protocols"] = ["course", "corrected", "forget_bias", "lr"]  # every protocol, lr included
    p = read(UvaParams, raw)
    steps.train(p)
    steps.evaluate_study(p)
    figures.make_figures(p)
    res = read_json(paths.study_results("uvapal"))
    names = {(g["protocol"]["name"], g["model"], g["T"]) for g in res["groups"]}
    assert names == {(pr, m, T) for pr in ("course", "corrected") for m in ("lstm", "peephole") for T in (4, 6)} | {
        ("forget_bias", "lstm", 4), ("lr", "lstm", 4)}
    hist = (tmp_path / "models/uvapal/course/lstm/T4/seed0/history.csv").read_text()
    assert hist.splitlines()[0].split(",")[:3] == ["step", "train_loss", "train_acc"]
    assert (tmp_path / "reports/figures/uvapal/protocols_T6.png").is_file()
    assert (tmp_path / "reports/figures/uvapal/ablation.png").is_file()
    rows = {c.id: c for c in uc.claims(p)}
    assert set(rows) == {"uvapal.lstm_T10_perfect", "uvapal.lstm_plateau_then_jump", "uvapal.peephole_converges_fast",
                         "uvapal.lstm_parameter_count"}
    assert rows["uvapal.lstm_T10_perfect"].result.verdict == "not comparable"  # no T=10 at tiny size
    assert rows["uvapal.lstm_parameter_count"].result.verdict == HOLDS
    assert any("hidden 4 and batch 8" in d for d in rows["uvapal.lstm_plateau_then_jump"].deviations)
    # the same seed gives the same run, bit for bit
    first = hist
    steps.train(p)
    assert (tmp_path / "models/uvapal/course/lstm/T4/seed0/history.csv").read_text().split("\n")[1:] == \
        first.split("\n")[1:]
