"""Training in worker processes gives exactly what training in-process gives."""

import pytest
import torch

from seqlab.studies.recall import steps as recall
from seqlab.studies.recall.params import parse
from seqlab.training.parallel import run_parallel


def _tiny(default_params) -> dict:
    p = default_params
    p["recall"]["data"].update(n_train=300, n_val=50, n_test=50)
    p["recall"]["train"].update(hidden=[3, 4], seeds=[0, 1], steps=15, batch_size=32, eval_every=5)
    return p


def test_results_do_not_depend_on_the_worker_count(tmp_path, monkeypatch, default_params):
    monkeypatch.chdir(tmp_path)  # spawned workers start here too and find the data
    p = parse(_tiny(default_params))
    recall.generate(p)
    jobs = [(p, h, s) for h in p.train.hidden for s in p.train.seeds]
    one = run_parallel(recall._train_job, jobs, workers=1)
    two = run_parallel(recall._train_job, jobs, workers=2)
    for a, b in zip(one, two):
        assert a.history.train_loss == b.history.train_loss
        assert a.history.val_metric == b.history.val_metric
        for k in a.state_dict:
            assert torch.equal(a.state_dict[k], b.state_dict[k]), k
    assert one[0].history.train_loss != one[1].history.train_loss  # seeds differ


def _boom(job):
    if job == 2:
        raise ValueError("job 2 failed")
    return job


def test_a_failing_job_raises_in_the_caller():
    with pytest.raises(ValueError, match="job 2 failed"):
        run_parallel(_boom, [1, 2, 3], workers=1)
    assert run_parallel(_boom, [1, 3], workers=1) == [1, 3]
