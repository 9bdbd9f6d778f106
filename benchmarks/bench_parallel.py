"""Throughput of training in worker processes: the same jobs with 1 worker and with N, and
one after another in this process with all cores as torch threads (the palindrome study's way).

Each job trains one palindrome model for a fixed number of steps (batch 128, hidden 128,
T=20 by default) through seqlab.training.parallel.run_parallel, exactly as the algorithmic studies do;
every job runs on one torch thread either way. Reports whole-run wall time (time.perf_counter)
for each worker count, the speed-up, and that the results are identical.

    python benchmarks/bench_parallel.py --out benchmarks/results/parallel.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.training.parallel import run_parallel
from seqlab.training.seeding import seed_everything


def train_job(job: tuple[str, int, int, int]) -> list[float]:
    """Train ``model`` at length ``T`` for ``steps`` steps on random palindrome-shaped data."""
    model_name, T, steps, seed = job
    seed_everything(seed)
    impl = "cell" if model_name == "peephole" else "fused"
    model = SequenceClassifierConfig(model_name, impl, 10, 128, 10, forget_bias=1.0).build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x = torch.randint(0, 10, (128, T - 1), generator=g)
        _, loss = model(x, x[:, 0])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["rnn", "lstm", "peephole", "gru"])
    ap.add_argument("--T", type=int, default=20)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    jobs = [(m, args.T, args.steps, s) for m in args.models for s in (0, 1)]
    results, seconds = {}, {}
    torch.set_num_threads(args.workers)
    start = time.perf_counter()
    threaded = [train_job(j) for j in jobs]
    seconds["one process, all threads"] = time.perf_counter() - start
    print(f"one process, {args.workers} threads: {seconds['one process, all threads']:.1f} s", flush=True)
    for w in sorted({1, args.workers}):
        start = time.perf_counter()
        results[w] = run_parallel(train_job, jobs, workers=w)
        seconds[w] = time.perf_counter() - start
        print(f"workers={w}: {seconds[w]:.1f} s for {len(jobs)} jobs x {args.steps} steps", flush=True)
    out = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__},
        "jobs": len(jobs), "steps": args.steps, "T": args.T, "seconds": seconds,
        "speedup_vs_one_worker": seconds[1] / seconds[args.workers],
        "speedup_vs_one_process_all_threads": seconds["one process, all threads"] / seconds[args.workers],
        "identical_results_across_worker_counts": all(results[w] == results[1] for w in results),
        "threaded_results_differ": threaded != results[1],
    }
    print(json.dumps(out, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
