"""The EE6132 course's MNIST protocol (q1.py as it ran): its network against a hand loop and torch's
modules, its frozen "(64, 64)" map, its update and scoring points, every verdict of the two ledger
criteria, and the three stages on tiny fake splits. Every image here is written by the test."""

import copy
import json
import math
import os
import subprocess

import pytest
import torch
import yaml
from torch import nn

from conftest import ROOT, fake_mnist, stage_command
from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE, quote_fragments
from seqlab.models.config import count_parameters
from seqlab.studies.mnist import claims as C
from seqlab.studies.mnist.course.network import CourseNetConfig, frozen_elements, trainable_parameters
from seqlab.studies.mnist.course.params import COURSE_LAYOUTS, COURSE_RUN, KINDS, parse
from seqlab.studies.mnist.course.steps import CourseStep, course_points
from seqlab.training.loop import FitConfig, evaluate, fit

# --- the network ------------------------------------------------------------------------------------


def hand_forward(net, x: torch.Tensor) -> torch.Tensor:
    """q1.py's forward written out: the frozen maps, then torch's gate equations one step at a
    time from a zero state (gate order: LSTM i, f, g, o; GRU r, z, n), then the head on the last h."""
    h_in = x
    for w, b in net.frozen_maps():
        h_in = h_in @ w.T + b
    r = net.rnn
    W, U, bw, bu = r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0, r.bias_hh_l0
    H = r.hidden_size
    h = c = torch.zeros(len(x), H)
    for t in range(x.shape[1]):
        a, b = h_in[:, t] @ W.T + bw, h @ U.T + bu
        if net.cfg.kind == "rnn":
            h = torch.tanh(a + b)
        elif net.cfg.kind == "lstm":
            i, f, g, o = (a + b).split(H, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            (ar, az, an), (br, bz, bn) = a.split(H, dim=1), b.split(H, dim=1)
            rr, z = torch.sigmoid(ar + br), torch.sigmoid(az + bz)
            h = (1 - z) * torch.tanh(an + rr * bn) + z * h
    return net.out(h)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", [(5,), (7, 5)])
def test_the_network_is_q1s_torch_modules_and_equals_a_hand_loop(kind, layout):
    torch.manual_seed(0)
    net = CourseNetConfig(kind, layout, input_dim=6, num_classes=4).build()
    assert type(net.rnn) is {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
    assert (net.rnn.num_layers, net.rnn.bidirectional, net.rnn.batch_first) == (1, False, True)
    assert net.rnn.input_size == (6 if len(layout) == 1 else 7) and net.out.in_features == 5
    if kind == "rnn":
        assert net.rnn.nonlinearity == "tanh"
    x = torch.rand(3, 4, 6)
    logits, loss = net(x, torch.tensor([0, 3, 1]))
    assert torch.allclose(logits, hand_forward(net, x), atol=1e-5)
    assert loss.item() == pytest.approx(nn.CrossEntropyLoss()(logits, torch.tensor([0, 3, 1])).item())


def test_the_frozen_map_is_buffers_drawn_as_torchs_default_linear_in_q1s_order():
    torch.manual_seed(3)
    net = CourseNetConfig("rnn", (64, 64)).build()
    torch.manual_seed(3)
    lin = nn.Linear(28, 64)  # q1.py builds its embedding dict's Linear first, then the RNN, then the head
    rnn = nn.RNN(64, 64, batch_first=True)
    assert torch.equal(net.frozen0_weight, lin.weight) and torch.equal(net.frozen0_bias, lin.bias)
    assert torch.equal(net.rnn.weight_hh_l0, rnn.weight_hh_l0)
    assert {"frozen0_weight", "frozen0_bias"} <= set(net.state_dict())
    assert not any(p is net.frozen0_weight or p is net.frozen0_bias for p in net.parameters())
    assert net.frozen0_weight.abs().max() <= 1 / math.sqrt(28)  # kaiming_uniform(a=sqrt 5): U(±1/sqrt(fan_in))


def test_the_parameter_counts_in_closed_form():
    """The course's (64, 64) trains no extra layer, but its one recurrent layer reads 64 features
    where [64]'s reads 28, so it has gates x 64 x 36 more weights than [64]: for the RNN the layer
    is 8,320 (the protocol notes' figure) and the model 8,970 with the head, against 6,666."""
    for kind, g in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        counts = {lay: count_parameters(CourseNetConfig(kind, lay).build()) for lay in COURSE_LAYOUTS}
        assert counts == {lay: trainable_parameters(kind, lay) for lay in COURSE_LAYOUTS}
        assert counts[(64, 64)] == counts[(64,)] + g * 64 * (64 - 28)
        assert counts[(64,)] == g * 64 * (28 + 64) + 2 * g * 64 + 64 * 10 + 10
    rnn = CourseNetConfig("rnn", (64, 64)).build()
    assert sum(p.numel() for p in rnn.rnn.parameters()) == 8_320 and count_parameters(rnn) == 8_970
    assert count_parameters(CourseNetConfig("rnn", (64,)).build()) == 6_666  # = the study's rnn-64-uni-row
    assert frozen_elements((64, 64)) == 28 * 64 + 64 == 1_856 and frozen_elements((64,)) == 0


def _tiny_sets(n: int = 48, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def test_training_moves_the_recurrent_layer_never_the_frozen_map_and_the_checkpoint_keeps_it(tmp_path):
    torch.manual_seed(0)
    cfg = CourseNetConfig("gru", (16, 8))
    net = cfg.build()
    frozen = {k: v.clone() for k, v in net.state_dict().items() if k.startswith("frozen")}
    before = net.rnn.weight_ih_l0.detach().clone()
    x, y = _tiny_sets()
    step = CourseStep(net, 0.01, [], {}, 64)
    for i in range(0, 48, 16):
        step(x[i : i + 16], y[i : i + 16])
    assert not torch.equal(net.rnn.weight_ih_l0, before)
    assert all(torch.equal(net.state_dict()[k], v) for k, v in frozen.items())
    cfg.save(tmp_path / "m.pt", net.state_dict())
    back = CourseNetConfig.load(tmp_path / "m.pt")
    assert back.cfg == cfg and isinstance(back.cfg.layout, tuple)
    assert torch.equal(back(x)[0], net.eval()(x)[0])


def test_the_course_step_is_adam_without_clipping():
    """Three updates equal torch's Adam at the course's lr on the unclipped gradient, and differ
    from the same updates clipped (what seqlab's own step does)."""
    torch.manual_seed(1)
    net = CourseNetConfig("rnn", (8,)).build()
    ref, clipped = copy.deepcopy(net), copy.deepcopy(net)
    x, y = _tiny_sets()
    step = CourseStep(net, COURSE_RUN["lr"], [], {}, 64)
    opts = [torch.optim.Adam(m.parameters(), lr=COURSE_RUN["lr"]) for m in (ref, clipped)]
    for i in range(3):
        xb, yb = x[16 * i : 16 * (i + 1)], y[16 * i : 16 * (i + 1)]
        out = step(xb, yb)
        for m, opt in zip((ref, clipped), opts):
            loss = m(xb, yb)[1]
            opt.zero_grad()
            loss.backward()
            if m is clipped:
                nn.utils.clip_grad_norm_(m.parameters(), 1e-3)
            opt.step()
        assert set(out) == {"loss", "acc"}
    assert all(torch.allclose(a, b) for a, b in zip(net.parameters(), ref.parameters()))
    assert not all(torch.allclose(a, b) for a, b in zip(net.parameters(), clipped.parameters()))


def test_the_course_scores_its_test_split_after_the_updates_it_logged():
    assert course_points(938, 50) == [*range(1, 902, 50), 938] and len(course_points(938, 50)) == 20
    assert course_points(901, 50)[-2:] == [851, 901]  # the last update is a course point once
    torch.manual_seed(0)
    net = CourseNetConfig("lstm", (6,)).build()
    x, y = _tiny_sets()
    test, val = _tiny_sets(20, 1), _tiny_sets(12, 2)
    step = CourseStep(net, 0.01, course_points(7, 3), {"test": test, "val": val}, 8)
    hist = step.record(fit(net, (x, y), None, FitConfig(7, 8, 0.01, math.inf, 7), 0, progress=False, step=step))
    assert hist.eval_step == [1, 4, 7] and list(hist.evals) == ["test_acc", "test_loss", "val_acc", "val_loss"]
    # the course's metric after the last update: argmax over the 10 logits, on the whole split
    with torch.no_grad():
        acc = (net.eval()(test[0])[0].argmax(1) == test[1]).float().mean().item()
    assert hist.evals["test_acc"][-1] == pytest.approx(acc)
    assert hist.evals["val_acc"][-1] == pytest.approx(evaluate(net, *val)[0])
    assert len(hist.train_loss) == 7


# --- the criteria -----------------------------------------------------------------------------------

SE = 0.01


def scores(rows: dict[str, tuple[float, float, float]]) -> dict:
    """layout -> (rnn, lstm, gru) accuracies, each with SE 0.01."""
    return {lay: {k: (a, SE) for k, a in zip(KINDS, accs)} for lay, accs in rows.items()}


@pytest.mark.parametrize("rows, verdict", [
    ({"64": (0.50, 0.95, 0.955), "128": (0.60, 0.96, 0.95)}, HOLDS),
    ({"64": (0.50, 0.95, 0.955), "128": (0.94, 0.96, 0.95)}, MIXED),  # at 128 the RNN is within noise
    ({"64": (0.94, 0.95, 0.955), "128": (0.60, 0.96, 0.80)}, FAILS),  # RNN level; LSTM and GRU apart
])
def test_comparable_except_rnn_per_layout(rows, verdict):
    v = C.comparable_except_rnn_rule(scores(rows))
    assert v.verdict == verdict
    assert v.numbers["64"]["passes"] == (verdict != FAILS)


def test_comparable_except_rnn_needs_the_three_kinds_at_every_layout():
    acc = scores({"64": (0.5, 0.95, 0.95)})
    del acc["64"]["gru"]
    v = C.comparable_except_rnn_rule(acc)
    assert v.verdict == NOT_COMPARABLE and "64 gru" in v.evidence
    assert C.comparable_except_rnn_rule({}).verdict == NOT_COMPARABLE


@pytest.mark.parametrize("rows, verdict", [
    # (64, 64) above 64 for every kind, the LSTM above both others at each layout
    ({"64": (0.50, 0.80, 0.70), "(64, 64)": (0.60, 0.90, 0.80)}, HOLDS),
    ({"64": (0.90, 0.90, 0.90), "(64, 64)": (0.91, 0.91, 0.91)}, NOISE),  # every gap inside 2 SE
    ({"64": (0.90, 0.80, 0.90), "(64, 64)": (0.80, 0.80, 0.80)}, FAILS),  # nothing rises, some fall
    ({"64": (0.50, 0.95, 0.95), "(64, 64)": (0.40, 0.95, 0.96)}, MIXED),  # as the course's run: LSTM beats RNN only
])
def test_more_layers_and_a_lstm(rows, verdict):
    v = C.layers_and_lstm_rule(scores(rows), "(64, 64)", "64")
    assert v.verdict == verdict and v.numbers["comparisons"] == 3 + 2 * 2


def test_more_layers_compares_a_frozen_map_with_its_last_width_alone():
    assert C.deeper_pair([[64], [128], [64, 64]]) == ((64, 64), (64,))
    assert C.deeper_pair([[4], [8], [6, 4]]) == ((6, 4), (4,))
    assert C.deeper_pair([[64], [128]]) == ((64, 64), (64,))  # none: the course's pair, reported missing


def test_more_layers_needs_both_layouts():
    v = C.layers_and_lstm_rule(scores({"64": (0.5, 0.9, 0.8), "128": (0.5, 0.9, 0.8)}), "(64, 64)", "64")
    assert v.verdict == NOT_COMPARABLE and "(64, 64)" in v.evidence


# --- the ledger rows ---------------------------------------------------------------------------------


def course_results(accs: dict[str, list[float]], steps: int = 938, n_test: int = 500) -> dict:
    """reports/mnist_course/results.json as evaluate writes it: accs maps a run name to its seeds'."""
    models = []
    for name, a in accs.items():
        kind, widths = name.split("-")
        layout = [int(w) for w in widths.split("_")]
        label = widths if len(layout) == 1 else f"({', '.join(map(str, layout))})"
        models.append({"name": name, "kind": kind, "layout": layout, "label": label, "test_acc": sum(a) / len(a),
                       "test_acc_seeds": a, "val_acc": a[0], "parameters": 1, "frozen_elements": 0})
    return {"data": {"source": "fake", "sizes": {"train": 4000, "val": 500, "test": n_test}, "full": False},
            "params": {"kinds": list(KINDS), "layouts": [list(x) for x in COURSE_LAYOUTS], "steps": steps,
                       "batch_size": 64, "lr": 0.01, "eval_every": 50, "seeds": [0]},
            "course_run": COURSE_RUN, "points": course_points(steps, 50), "n_test": n_test, "n_val": 500,
            "workers": 1, "models": models, "runs": []}


COURSE_ACCS = {"rnn-64": [0.44], "rnn-128": [0.48], "rnn-64_64": [0.33], "lstm-64": [0.954], "lstm-128": [0.962],
               "lstm-64_64": [0.954], "gru-64": [0.958], "gru-128": [0.944], "gru-64_64": [0.966]}


def grid_results(acc: dict[tuple[str, str], float]) -> dict:
    """reports/mnist/results.json's rows for the claims: the row view, both directions."""
    runs = [{"name": f"{k}-{h}-{d}-row", "kind": k, "hidden": h, "direction": d, "view": "row", "val_acc": a,
             "test_acc": a - (0.01 if d == "bi" else 0), "parameters": 1, "epochs": 12, "batch_size": 128}
            for (k, h), a in acc.items() for d in ("uni", "bi")]
    chosen = {"row": {k: f"{k}-64x64-uni-row" for k in KINDS}}
    runs.append({"name": "autoencoder", "kind": "autoencoder", "view": "row", "val_acc": 0.9, "test_acc": 0.9,
                 "epochs": 20, "parameters": 1})
    return {"data": {"sizes": {"train": 4000, "val": 500, "test": 500}, "source": "fake"}, "runs": runs,
            "chosen": chosen}


GRID = {(k, h): a for k, base in (("rnn", 0.78), ("lstm", 0.92), ("gru", 0.90))
        for h, a in (("64", base), ("128", base + 0.01), ("64x64", base + 0.02))}


def ledger(tmp_path, monkeypatch, default_params, course: dict) -> dict:
    from seqlab.studies.mnist.params import parse as parse_mnist

    for rel, obj in (("reports/mnist_course/results.json", course), ("reports/mnist/results.json", grid_results(GRID))):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(json.dumps(obj))
    monkeypatch.chdir(tmp_path)
    default_params["mnist"]["classifiers"]["views"] = ["row"]  # grid_results has the row view's models only
    return {c.id: c for c in C.claims(parse_mnist(default_params))}


def test_the_ee6132_rows_are_judged_on_the_courses_protocol(tmp_path, monkeypatch, default_params):
    rows = ledger(tmp_path, monkeypatch, default_params, course_results(COURSE_ACCS))
    cells, more = rows["mnist.comparable_except_rnn"], rows["mnist.layers_and_lstm_help"]
    assert cells.claim == C.COMPARABLE
    assert more.claim == C.LAYERS_AND_LSTM == "with more accuracy with more layers and with a LSTM"
    assert len(quote_fragments(more.claim)) == 1
    for row in (cells, more):
        assert row.protocol == COURSE and row.source == "ee6132"
        assert row.deviations[0].startswith("data: 4,000 training images") and "15.0 passes" in row.deviations[0]
        assert any('"L2 Regularisation 0.01 used always."' in d for d in row.deviations)
        assert not any(d.startswith("schedule:") for d in row.deviations)  # the course's own schedule
        assert row.corrected.startswith("seqlab's protocol (12 epochs")
    assert cells.result.verdict == HOLDS and more.result.verdict == MIXED
    assert "adds no trainable layer" in more.result.evidence
    # seqlab's grid: the RNN well below; LSTM and GRU 0.02 apart (within noise): holds there too
    assert cells.result.numbers["corrected_unidirectional"] == HOLDS
    assert "64x64 is 2 stacked trainable layers" in more.corrected and more.result.numbers["corrected"] == MIXED


def test_a_shorter_run_or_a_missing_kind_is_listed_and_judged_as_far_as_it_goes(tmp_path, monkeypatch, default_params):
    accs = {k: v for k, v in COURSE_ACCS.items() if not k.startswith("gru")}
    course = course_results(accs, steps=60)
    course["params"]["kinds"] = ["rnn", "lstm"]
    rows = ledger(tmp_path, monkeypatch, default_params, course)
    row = rows["mnist.comparable_except_rnn"]
    assert row.result.verdict == NOT_COMPARABLE
    assert "schedule: steps 60 (the course's 938)" in row.deviations
    assert any(d.startswith("models: rnn, lstm at 64, 128, (64, 64)") for d in row.deviations)
    assert rows["mnist.layers_and_lstm_help"].result.verdict == NOT_COMPARABLE


# --- params and the stages ------------------------------------------------------------------------------


@pytest.mark.parametrize("key, value, message", [
    ("layouts", [[64], [0]], r"'mnist\.course\.layouts' has \[0\]"),
    ("layouts", [[64], [64]], r"'mnist\.course\.layouts' must list distinct"),
    ("kinds", ["rnn", "peephole"], r"'mnist\.course\.kinds' has 'peephole'; allowed values: gru, lstm, rnn"),
    ("lr", 0, r"'mnist\.course\.lr' must be a positive number"),
    ("seeds", [], r"'mnist\.course\.seeds' is empty"),
])
def test_a_bad_course_param_names_its_key(default_params, key, value, message):
    default_params["mnist"]["course"][key] = value
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


def test_the_default_params_are_the_courses_run(default_params):
    c = parse(default_params).course
    assert {k: getattr(c, k) for k in COURSE_RUN} == COURSE_RUN
    assert c.kinds == KINDS and c.layouts == COURSE_LAYOUTS


def _tiny(tmp_path, default_params) -> dict:
    fake_mnist(tmp_path)
    p = default_params
    p["mnist"]["course"].update(layouts=[[4], [6], [5, 4]], steps=7, batch_size=8, eval_every=3, eval_batch_size=5)
    p["compute"]["workers"] = 1
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    return p


def test_the_course_stages_train_score_and_draw(tmp_path, default_params, monkeypatch):
    """train -> evaluate -> figures in this process (no tracking), then the report's subsection."""
    import pandas as pd

    from seqlab.studies.mnist import course_figures
    from seqlab.studies.mnist.course import steps
    from seqlab.studies.mnist.report import course_section

    p = parse(_tiny(tmp_path, default_params))
    monkeypatch.chdir(tmp_path)
    steps.train(p)
    metrics = steps.evaluate_study(p)
    course_figures.make_figures(p)
    assert course_figures.STUDY == steps.STUDY == "mnist_course"
    names = [f"{k}-{w}" for k in KINDS for w in ("4", "6", "5_4")]
    assert sorted(metrics) == sorted([*names, "n_test"]) and metrics["n_test"] == 16
    res = json.loads((tmp_path / "reports" / "mnist_course" / "results.json").read_text())
    assert [m["name"] for m in res["models"]] == names and res["points"] == [1, 4, 7]
    for run in res["runs"]:
        history = pd.read_csv(tmp_path / "models" / "mnist_course" / run["name"] / "seed0" / "history.csv")
        assert history["test_acc"].dropna().iloc[-1] == pytest.approx(run["test_acc"])  # the checkpoint re-scored
        assert run["parameters"] == trainable_parameters(run["kind"], tuple(run["layout"]))
        assert run["course_last_step"] == 7 and run["steps"] == 7
    curve = pd.read_csv(tmp_path / "reports" / "plots" / "mnist_course" / "gru-5_4.csv")
    assert list(curve.columns) == ["seed", "step", "train_loss", "test_acc", "test_loss", "val_acc", "val_loss"]
    assert curve["step"].tolist() == [1, 4, 7]
    for f in ("curves.png", "final_accuracy.png"):
        assert (tmp_path / "reports" / "figures" / "mnist_course" / f).read_bytes()[:4] == b"\x89PNG"
    (tmp_path / "reports" / "mnist" / "results.json").parent.mkdir(parents=True)
    (tmp_path / "reports" / "mnist" / "results.json").write_text(json.dumps(grid_results(GRID)))
    from seqlab.studies.mnist.params import parse as parse_mnist

    default_params["mnist"]["classifiers"]["views"] = ["row"]
    rows = {c.id: c for c in C.claims(parse_mnist(default_params))}
    assert "more layers ((5, 4) against 4)" in rows["mnist.layers_and_lstm_help"].result.evidence
    assert rows["mnist.comparable_except_rnn"].result.verdict != NOT_COMPARABLE
    lines = course_section(grid_results(GRID))
    assert lines[0] == "### The course's protocol: EE6132's q1.py as it ran"
    text = "\n".join(lines)
    assert "| GRU     | (5, 4)" in text and '"Hidden sizes (64, 64) : two layers"' in text


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = _tiny(tmp_path, default_params)
    p["mnist"]["course"]["layouts"] = [[64], [0]]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("mnist_course_train"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'mnist.course.layouts' has [0]" in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()
