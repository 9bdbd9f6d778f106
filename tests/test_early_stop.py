"""Early stopping once a run has *held* its target (FitConfig.stop_after), and
``compute.workers: auto``.

The loop's rule is checked on a model whose validation accuracy follows a script, so every
outcome (stop at the first point, stop after a hold, a hold broken and restarted, never stop)
is known in advance.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.core.errors import ParamsError
from seqlab.core.schema import usable_cores, workers_setting
from seqlab.studies.palindrome.params import parse as parse_palindrome
from seqlab.training.loop import FitConfig, fit


class Scripted(nn.Module):
    """Validation accuracy follows ``script``: at the k-th validation point, the share of the
    validation set it classifies right is script[k] (in tenths of its 10 samples). In training it
    is a linear model, so the default step has a gradient to take."""

    def __init__(self, script: list[int]):
        super().__init__()
        self.w = nn.Linear(1, 2)
        self.script, self.calls = script, 0

    def forward(self, x, y):
        if self.training:
            logits = self.w(x.float()[:, None])  # (B, 2)
            return logits, nn.functional.cross_entropy(logits, y)
        right = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        wrong = torch.arange(len(y)) >= right  # the first `right` samples are right
        logits = nn.functional.one_hot(torch.where(wrong, 1 - y, y), 2).float()
        return logits, torch.zeros(())


def _run(script: list[int], stop_at, stop_after: int, steps: int = 100):
    x, y = torch.zeros(10), torch.zeros(10, dtype=torch.long)
    cfg = FitConfig(steps=steps, batch_size=5, lr=1e-3, clip_norm=1.0, eval_every=10,
                    stop_at=stop_at, stop_after=stop_after)
    return fit(Scripted(script), (x, y), (x, y), cfg, seed=0, progress=False)


@pytest.mark.parametrize("script, stop_after, stopped_at", [
    ([5, 10, 10, 10, 10, 10, 10, 10, 10, 10], 1, 20),   # the first perfect point (the sweep's rule)
    ([5, 10, 10, 10, 10, 10, 10, 10, 10, 10], 3, 40),   # held for three points
    ([10, 10, 9, 10, 10, 10, 4, 4, 4, 4], 3, 60),       # a drop restarts the count
    ([10, 9, 10, 9, 10, 9, 10, 9, 10, 9], 2, None),     # never held twice: every step runs
])
def test_a_run_stops_once_it_has_held_the_target_for_stop_after_points(script, stop_after, stopped_at):
    hist = _run(script, 1.0, stop_after)
    assert hist.eval_step[-1] == (stopped_at or 100)
    assert hist.stopped_early == (stopped_at is not None)
    assert len(hist.train_loss) == hist.eval_step[-1]  # the curve ends where the run did
    assert hist.val_metric == [s / 10 for s in script[: len(hist.eval_step)]]


def test_no_target_runs_every_step_and_a_hold_at_the_last_step_is_not_early():
    assert _run([10] * 10, None, 1).eval_step[-1] == 100
    hist = _run([5] * 9 + [10], 1.0, 1)
    assert hist.eval_step[-1] == 100 and not hist.stopped_early


def test_stop_after_below_one_is_refused():
    with pytest.raises(ValueError, match="stop_after must be >= 1, got 0"):
        FitConfig(steps=1, batch_size=1, lr=1.0, clip_norm=1.0, eval_every=1, stop_at=1.0, stop_after=0)


def test_workers_auto_is_the_usable_cores_capped_by_omp_num_threads(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert usable_cores() == 6
    assert workers_setting({"workers": "auto"}, "compute.workers") == 6
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert workers_setting({"workers": "auto"}, "compute.workers") == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "16")  # a budget above the cores there are
    assert usable_cores() == 6
    assert workers_setting({"workers": 3}, "compute.workers") == 3  # a count is taken as given


@pytest.mark.parametrize("value", [0, "all", 1.5, True, None])
def test_workers_must_be_auto_or_a_count(value):
    with pytest.raises(ParamsError, match=r"'compute.workers' must be 'auto' or an integer >= 1"):
        workers_setting({"workers": value}, "compute.workers")


@pytest.mark.parametrize("key, value, message", [
    ("stop_after", 0, r"'palindrome\.train\.stop_after' must be >= 1"),
    ("stop_at", 1.5, r"'palindrome\.train\.stop_at' must be between 0 and 1"),
])
def test_the_palindrome_study_names_a_bad_stopping_key(default_params, key, value, message):
    default_params["palindrome"]["train"][key] = value
    with pytest.raises(ParamsError, match=message):
        parse_palindrome(default_params)


def test_the_palindrome_study_reads_its_stopping_rule(default_params):
    default_params["palindrome"]["train"].update(stop_at=None, stop_after=4)
    train = parse_palindrome(default_params).palindrome.train
    assert (train.stop_at, train.stop_after) == (None, 4)
