import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from seqlab.core import paths
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.studies.palindrome.params import parse
from seqlab.studies.palindrome.steps import evaluate_model, generate, train
from seqlab.tasks.palindrome import PalindromeTask, inputs_targets
from seqlab.tasks.palindrome import generate as generate_palindromes
from seqlab.training.loop import FitConfig, TrainingDiverged, evaluate, fit
from seqlab.judging.metrics import Metric, steps_to
from seqlab.training.runs import curves, history_frame
from seqlab.training.seeding import seed_everything


def build_model(kind, impl, input_dim, hidden, num_classes, forget_bias=0.0):
    return SequenceClassifierConfig(kind, impl, input_dim, hidden, num_classes, forget_bias).build()


def _tensors(pals):
    x, y = inputs_targets(pals)
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))


def test_an_lstm_learns_a_short_palindrome():
    splits, _ = generate_palindromes(PalindromeTask(4, 10), {"train": 70, "val": 15, "test": 15}, seed=0)
    seed_everything(0)
    model = build_model("lstm", "cell", 10, 32, 10, forget_bias=1.0)
    hist = fit(model, _tensors(splits["train"]), _tensors(splits["val"]),
               FitConfig(steps=150, batch_size=32, lr=1e-2, clip_norm=10, eval_every=50), seed=0, progress=False)
    assert hist.train_loss[-1] < hist.train_loss[0] / 10
    assert hist.val_metric[-1] == 1.0


class _NaNAfter(nn.Module):
    """A model whose loss turns NaN at a known step, to exercise the loop's guard."""

    def __init__(self, step: int):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(10))
        self.calls, self.step = 0, step

    def forward(self, x, y=None):
        self.calls += 1
        logits = self.w.expand(len(x), 10)
        loss = nn.functional.cross_entropy(logits, y)
        return logits, loss * float("nan") if self.calls == self.step else loss


def test_a_nan_loss_stops_naming_model_seed_and_step():
    data = (torch.zeros(64, 3, dtype=torch.long), torch.zeros(64, dtype=torch.long))
    with pytest.raises(TrainingDiverged, match=r"gru T=9: loss became nan at seed 7, step 3"):
        fit(_NaNAfter(3), data, data, FitConfig(10, 16, 1e-3, 10, 5), seed=7, name="gru T=9", progress=False)


def test_the_same_params_and_seed_give_identical_metrics(tmp_path, monkeypatch, tiny_params):
    """generate -> train -> evaluate twice, from scratch: byte-identical metrics and curves."""
    params = parse(tiny_params)
    outputs = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        monkeypatch.chdir(tmp_path / run)
        for model in ("rnn", "peephole"):
            generate(params, model=model)
            train(params, model=model)
            evaluate_model(params, model=model)
        # Metrics and curves, byte for byte (results.json also holds wall-clock seconds).
        outputs.append({p.as_posix(): p.read_bytes() for d in ("metrics", "plots")
                        for p in sorted((paths.REPORTS / d).rglob("*")) if p.is_file()})
    a, b = outputs
    assert len(a) == 6  # 2 models x (metrics + 2 curves)
    assert a == b
    metrics = json.loads(a["reports/metrics/palindrome/rnn.json"])
    assert set(metrics) == {"T4", "T6"} and 0 <= metrics["T4"]["test_acc_mean"] <= 1


def test_steps_to_target_and_curves():
    seed0 = pd.DataFrame({"step": [1, 2, 3, 4], "train_loss": [4.0, 2.0, 1.0, 3.0], "train_acc": 0.5,
                          "val_acc": [np.nan, 0.5, np.nan, 1.0]})
    seed1 = seed0.assign(train_loss=[2.0, 2.0, 1.0, 1.0], val_acc=[np.nan, 0.99, np.nan, 0.7])
    assert steps_to(seed0, "val_acc", 0.99) == 4
    assert steps_to(seed1, "val_acc", 0.99) == 2
    assert steps_to(seed1, "val_acc", 0.999) is None
    c = curves([seed0, seed1], "acc")
    assert c["n_seeds"].tolist() == [2, 2]
    assert c["step"].tolist() == [2, 4]
    assert c["val_acc_mean"].tolist() == pytest.approx([0.745, 0.85])
    assert c["train_loss_mean"].tolist() == pytest.approx([(3.0 + 2.0) / 2, (2.0 + 1.0) / 2])
    assert c["val_acc_std"].iloc[0] == pytest.approx(np.std([0.5, 0.99], ddof=1), abs=1e-6)


def test_early_stopping_ends_at_the_first_validation_point_that_reaches_the_target():
    splits, _ = generate_palindromes(PalindromeTask(4, 10), {"train": 70, "val": 15, "test": 15}, seed=0)
    seed_everything(0)
    model = build_model("lstm", "fused", 10, 32, 10, forget_bias=1.0)
    cfg = FitConfig(steps=400, batch_size=32, lr=1e-2, clip_norm=10, eval_every=10, stop_at=1.0)
    hist = fit(model, _tensors(splits["train"]), _tensors(splits["val"]), cfg, seed=0, progress=False)
    assert hist.stopped_early and hist.val_metric[-1] == 1.0
    assert all(v < 1.0 for v in hist.val_metric[:-1])
    assert len(hist.train_loss) == hist.eval_step[-1] < 400


def test_a_lower_is_better_metric_stops_when_it_falls_to_the_target():
    class Mean(nn.Module):  # predicts one learned number; loss MSE
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(torch.zeros(1))

        def forward(self, x, targets=None):
            pred = self.b.expand(len(x))
            return pred, None if targets is None else ((pred - targets) ** 2).mean()

    mse = Metric("mse", lambda pred, y: (pred - y) ** 2, higher_is_better=False)
    x, y = torch.zeros(64, 1), torch.full((64,), 2.0)
    hist = fit(Mean(), (x, y), (x, y), FitConfig(500, 16, 0.1, 10, 5, stop_at=0.01), seed=0, progress=False,
               metric=mse)
    assert hist.stopped_early and hist.val_metric[-1] <= 0.01 < hist.val_metric[0]
    assert hist.evals["val_loss"] == pytest.approx(hist.val_metric)  # the model's loss is the same MSE


def test_monitored_sets_are_scored_at_every_validation_point_without_changing_training():
    splits, _ = generate_palindromes(PalindromeTask(4, 10), {"train": 70, "val": 15, "test": 15}, seed=0)
    train, val, test = (_tensors(splits[s]) for s in ("train", "val", "test"))
    cfg = FitConfig(steps=30, batch_size=16, lr=1e-2, clip_norm=10, eval_every=10)
    runs = {}
    for monitor in (None, {"test": test}):
        seed_everything(0)
        model = build_model("lstm", "fused", 10, 16, 10, forget_bias=1.0)
        runs[bool(monitor)] = (model, fit(model, train, val, cfg, seed=0, progress=False, monitor=monitor))
    (plain, plain_hist), (model, hist) = runs[False], runs[True]
    # Scoring in eval mode under no_grad leaves the weights and the batch order untouched.
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), model.state_dict().values()))
    assert hist.train_loss == plain_hist.train_loss and hist.val_metric == plain_hist.val_metric
    assert list(plain_hist.evals) == ["val_acc", "val_loss"] and len(hist.evals["test_acc"]) == len(hist.eval_step) == 3
    assert (hist.evals["test_acc"][-1], hist.evals["test_loss"][-1]) == pytest.approx(evaluate(model, *test))
    frame = history_frame(hist)
    assert list(frame.columns) == ["step", "train_loss", "train_acc", "val_acc", "val_loss", "test_acc", "test_loss"]
    assert frame["test_acc"].dropna().tolist() == hist.evals["test_acc"]


def test_a_step_with_two_optimizers_trains_through_the_same_loop_and_history():
    """What a GAN needs: its own update rule with two optimizers, no validation set, and its own
    scalars at every evaluation point, all through the one loop and its History."""

    class TwoParts(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(1, 1), nn.Linear(1, 1)

    class AlternatingStep:
        def __init__(self, model: TwoParts):
            self.model = model
            self.opt_a = torch.optim.SGD(model.a.parameters(), lr=0.1)
            self.opt_b = torch.optim.SGD(model.b.parameters(), lr=0.1)

        def __call__(self, x, y):
            out = {}
            for name, part, opt in (("a", self.model.a, self.opt_a), ("b", self.model.b, self.opt_b)):
                loss = ((part(x).squeeze(-1) - y) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                out[f"loss_{name}"] = loss.detach()
            return {"loss": out["loss_a"] + out["loss_b"], **out}

    torch.manual_seed(0)
    model = TwoParts()
    x = torch.rand(64, 1)
    cfg = FitConfig(steps=40, batch_size=16, lr=0.0, clip_norm=1.0, eval_every=10)
    hist = fit(model, (x, 3 * x.squeeze(-1)), None, cfg, seed=0, progress=False, step=AlternatingStep(model),
               on_eval=lambda step, m: {"weight_a": m.a.weight.item()})
    assert list(hist.train) == ["loss", "loss_a", "loss_b"] and all(len(v) == 40 for v in hist.train.values())
    assert hist.train_loss == pytest.approx([a + b for a, b in zip(hist.train["loss_a"], hist.train["loss_b"])])
    assert hist.train_loss[-1] < hist.train_loss[0] / 4
    assert hist.eval_step == [10, 20, 30, 40] and list(hist.evals) == ["weight_a"]
    assert hist.evals["weight_a"][-1] == model.a.weight.item()
    assert list(history_frame(hist).columns) == ["step", "train_loss", "train_loss_a", "train_loss_b", "weight_a"]
    with pytest.raises(ValueError, match="needs a validation set"):
        fit(model, (x, x.squeeze(-1)), None, FitConfig(4, 16, 0.0, 1.0, 2, stop_at=0.5), seed=0, progress=False,
            step=AlternatingStep(model))


# --- summaries of runs and curves ---------------------------------------------------------------


def test_reached_and_held_ignores_a_seed_that_touched_the_target_and_fell_back():
    from seqlab.judging.metrics import steps_held

    frame = pd.DataFrame({"step": [1, 2, 3, 4, 5], "val_acc": [0.5, 0.995, 0.8, 0.99, 1.0]})
    assert steps_to(frame, "val_acc", 0.99) == 2  # first touched at step 2 ...
    assert steps_held(frame, "val_acc", 0.99) == 4  # ... but held only from step 4
    assert steps_held(frame.assign(val_acc=[0.5, 1.0, 1.0, 1.0, 0.9]), "val_acc", 0.99) is None  # ended below


def test_the_critical_length_is_the_last_before_the_first_failure():
    from seqlab.judging.metrics import critical_length

    # the LSTM of the committed sweep: solved T=20, fell short at T=30, passed T=40 again
    assert critical_length({5: 1.0, 20: 1.0, 30: 0.14, 40: 1.0, 60: 0.55}, 0.99) == (20, 30)
    assert critical_length({5: 1.0, 10: 1.0}, 0.99) == (10, None)
    assert critical_length({5: 0.2, 10: 1.0}, 0.99) == (None, 5)


def test_plateaus_and_a_run_still_improving():
    from seqlab.judging.metrics import plateaus, still_improving

    steps = list(range(100, 1300, 100))
    values = [0.2, 0.5, 0.8, 0.8, 0.81, 0.8, 0.79, 0.8, 0.95, 1.0, 1.0, 1.0]
    assert plateaus(steps, values, min_steps=300, tol=0.03) == [(300, 800, pytest.approx(0.8))]
    assert plateaus(steps, values, min_steps=600, tol=0.03) == []
    assert still_improving([0.1] * 5 + [0.2, 0.3, 0.4, 0.5, 0.6])  # rising at the end: capped
    assert not still_improving([0.1, 0.3, 0.5] + [0.6] * 10)  # flat over its last 10 evaluations: a plateau


def test_workers_respect_the_thread_budget_and_the_gpu(monkeypatch):
    from seqlab.training.parallel import workers_for

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert workers_for(torch.device("cpu"), 2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # `OMP_NUM_THREADS=1 dvc queue start -j 2`
    assert workers_for(torch.device("cpu"), 2) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert workers_for(torch.device("cpu"), 2) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert workers_for(torch.device("cpu"), 2) == 2
    assert workers_for(torch.device("cuda"), 2) == 1  # runs share one device: one at a time


def test_a_run_counts_its_training_examples():
    x, y = torch.zeros(100, 3, dtype=torch.long), torch.zeros(100, dtype=torch.long)

    model = SequenceClassifierConfig("rnn", "cell", 10, 4, 10, 0.0).build()
    hist = fit(model, (x, y), (x, y), FitConfig(7, 32, 1e-3, 10, 5), seed=0, progress=False)
    assert hist.samples == 32 + 32 + 32 + 4 + 32 + 32 + 32  # the epoch's last batch holds 100 - 96 = 4
    assert len(hist.train_loss) == 7 and hist.eval_step == [5, 7] and hist.samples_per_s > 0
