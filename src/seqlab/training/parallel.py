"""Run independent training jobs side by side in worker processes, one torch thread each.

Why: at these sizes (batch <= 128, hidden <= 128) a training step is dominated by per-op
overhead, so torch's second intra-op thread buys little. Two single-threaded processes train
two runs at once; on this project's 2-core machine that measured 1.26x the throughput of one
two-threaded process for the palindrome models, worker start-up included
(benchmarks/bench_parallel.py), and two 784-step MNIST runs each keep a whole core's speed.
On a GPU the runs go one at a time instead: they would share one device (:func:`workers_for`).

Every job runs on one thread whatever ``workers`` is, and seeds itself, so the results do not
depend on the worker count: `compute.workers: 1` and `2` give identical metrics.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Callable, Sequence, TypeVar

import torch
from tqdm import tqdm

J = TypeVar("J")
R = TypeVar("R")


def _one_thread() -> None:
    torch.set_num_threads(1)


def workers_for(device: torch.device, workers: int) -> int:
    """How many runs train side by side: ``compute.workers`` on a CPU (``auto`` has already
    become the usable cores: seqlab.core.schema.usable_cores), one at a time on a GPU.

    ``OMP_NUM_THREADS``, where set, is the cores this stage may use in all, and caps the count:
    ``OMP_NUM_THREADS=1 dvc queue start -j 2`` runs two experiments side by side, each training
    one run at a time on one thread, instead of four single-thread processes on two cores."""
    if device.type == "cuda":
        return 1
    budget = os.environ.get("OMP_NUM_THREADS", "")
    return min(workers, int(budget)) if budget.isdigit() and int(budget) >= 1 else workers


def run_parallel(fn: Callable[[J], R], jobs: Sequence[J], workers: int, desc: str = "runs") -> list[R]:
    """``[fn(job) for job in jobs]``, spread over ``workers`` processes; results in job order.

    ``fn`` must be a module-level function (workers are spawned and import it). The first job
    that raises stops the rest and re-raises here.
    """
    jobs = list(jobs)
    workers = max(1, min(workers, len(jobs)))
    bar = tqdm(total=len(jobs), desc=desc, disable=None, leave=False)
    try:
        if workers == 1:
            previous = torch.get_num_threads()
            _one_thread()
            try:
                results = []
                for job in jobs:
                    results.append(fn(job))
                    bar.update()
                return results
            finally:
                torch.set_num_threads(previous)
        # spawn, not fork: forking a process whose torch thread pools have started can deadlock.
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_one_thread)
        try:
            futures = [pool.submit(fn, job) for job in jobs]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                bar.update(len(done))
                for f in done:
                    f.result()  # re-raise the first failure now, not after every job ran
            return [f.result() for f in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
