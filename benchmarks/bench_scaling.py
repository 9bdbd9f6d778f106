"""How one training step's cost grows with the sequence length and the hidden size, and what
training the seeds of one model together (seed batching, issue 29) buys at each size.

What: the median time of one training step (forward, backward, gradient clipping at norm 10,
Adam) per seed, on ONE torch thread (each training process of the studies runs on one), batch
128, for each recurrent cell in the implementation the studies train it with on a CPU (torch's
fused RNN and LSTM, the hand-written peephole LSTM and GRU: recurrent.KINDS' ``cpu_impl``):

- against T in the sweep's lengths at hidden 128, and against hidden at T = 20;
- each size measured four ways, interleaved in rounds (a shared machine's speed drifts):
    one         the production model, one seed: what a seed costs today;
    batched     S = 3 seeds as one model (benchmarks/_seed_batched.py): weights stacked on a
                leading seed axis, one bmm per time step for the S recurrent products, per-seed
                losses summed, clipping per seed, Adam on the stacks; time per seed = step / S;
    batched_s1  the same model at S = 1, so that the gain of batching is also measured within
                one implementation (batched_s1 / batched), apart from the difference between
                a plain-autograd model and the production kernels;
    bound       the production model fed S x 128 rows: one GEMM S times as wide with the same
                number of elementwise ops, the ceiling for any seed-batched implementation;
                time per seed = step / S.

Why: at hidden 128 and batch 128 a step is mostly per-op overhead, which batching S seeds
divides by S; how much that buys depends on the size, and the report's Speed section draws it.

Before timing it checks, for every cell at batch 128, T = 20, hidden 128 (the point both curves
share), that the batched model holding three production models' weights gives each seed its
production model's loss, gradients and, after one clip + Adam step, weights (to 1e-5); it raises
if not.

    python benchmarks/bench_scaling.py                 # about 5.5 minutes; writes benchmarks/recorded/scaling.json
    python benchmarks/bench_scaling.py --quick         # a smoke run, about 15 s, to benchmarks/results/

It also draws the figure the report shows (seqlab.report.speed_figures) next to the JSON, as
<out>.png, marked with the JSON's digest so the report can tell a figure drawn from another record.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import torch
from torch import nn

from _seed_batched import SeedBatchedClassifier, clip_per_seed
from seqlab.core.provenance import code_changed, cpu_model
from seqlab.core.tracking import git_commit
from seqlab.models.recurrent import KINDS
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.report.speed import gain

CLASSES = 10  # the palindrome and sweep tasks' 10-way one-hot digits
CLIP_NORM, LR = 10.0, 1e-3  # params.yaml's train: clip_norm and lr
VARIANTS = ("one", "batched", "batched_s1", "bound")
TOLERANCE = 1e-5  # the check's bound on |batched - production| (loss, gradients, weights after a step)


def production_model(kind: str, hidden: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    impl = KINDS[kind].fastest_impl("cpu")
    return SequenceClassifierConfig(kind, impl, CLASSES, hidden, CLASSES, forget_bias=1.0).build()


def batched_model(kind: str, seeds: int, hidden: int) -> SeedBatchedClassifier:
    # a fused production model keeps torch's two biases per gate: so does its batched twin (see _seed_batched)
    two = KINDS[kind].fastest_impl("cpu") == "fused"
    return SeedBatchedClassifier(kind, seeds, CLASSES, hidden, CLASSES, two_biases=two)


def production_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """training.loop.SupervisedStep's work on one batch (less its accuracy on the batch)."""
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step():
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        opt.step()

    return step


def batched_step(model: SeedBatchedClassifier, x: torch.Tensor, y: torch.Tensor):
    """The same step for S seeds at once: x (S, B, T), y (S, B)."""
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    params = list(model.parameters())

    def step():
        _, losses = model(x, y)  # (S,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()  # seed s's weights reach only loss s: each gets its own gradient
        clip_per_seed(params, CLIP_NORM)
        opt.step()

    return step


def check(kind: str, seeds: int, batch: int, T: int, hidden: int) -> dict[str, float]:
    """The batched model with S production models' weights gives each seed its model's loss,
    gradients and post-step weights; raises if any differs by more than TOLERANCE."""
    models = [production_model(kind, hidden, seed) for seed in range(seeds)]
    batched = batched_model(kind, seeds, hidden).load_seeds(models)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, CLASSES, (seeds, batch, T), generator=g)
    y = torch.randint(0, CLASSES, (seeds, batch), generator=g)
    _, losses = batched(x, y)
    losses.sum().backward()
    diff = {"loss": 0.0, "grad": 0.0, "weights_after_step": 0.0}
    for s, model in enumerate(models):
        _, loss = model(x[s], y[s])
        loss.backward()
        diff["loss"] = max(diff["loss"], abs(loss.item() - losses[s].item()))
        for name, grad in batched.seed_view(model, grad=True).items():
            diff["grad"] = max(diff["grad"], (getattr(batched, name).grad[s] - grad).abs().max().item())
        nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        torch.optim.Adam(model.parameters(), lr=LR).step()
    clip_per_seed(list(batched.parameters()), CLIP_NORM)
    torch.optim.Adam(batched.parameters(), lr=LR).step()
    for s, model in enumerate(models):
        for name, w in batched.seed_view(model).items():
            diff["weights_after_step"] = max(diff["weights_after_step"], (getattr(batched, name)[s] - w).abs().max().item())
    if max(diff.values()) > TOLERANCE:
        raise RuntimeError(f"the seed-batched {kind} is not {seeds} production models: largest differences {diff}")
    return diff


def steps_at(kind: str, seeds: int, batch: int, T: int, hidden: int) -> dict[str, tuple]:
    """Each variant's step function and how many seeds one step trains."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, CLASSES, (seeds, batch, T), generator=g)  # (S, B, T)
    y = torch.randint(0, CLASSES, (seeds, batch), generator=g)  # (S, B)
    return {
        "one": (production_step(production_model(kind, hidden, 0), x[0], y[0]), 1),
        "batched": (batched_step(batched_model(kind, seeds, hidden), x, y), seeds),
        "batched_s1": (batched_step(batched_model(kind, 1, hidden), x[:1], y[:1]), 1),
        "bound": (production_step(production_model(kind, hidden, 0), x.reshape(-1, T), y.reshape(-1)), seeds),
    }


def time_point(kind: str, seeds: int, batch: int, T: int, hidden: int, seconds: float, rounds: int,
               warmup: int, min_steps: int) -> dict:
    """Per-seed ms per step of every variant at one size, timed in interleaved rounds.

    Every step is timed on its own (a step takes milliseconds, the clock microseconds). Each
    round runs every variant for about seconds / rounds, one after another, and rounds are
    short: on the shared machine a step's time moved by half its median within seconds (one
    RNN step at hidden 16: quartiles 1.8 and 3.3 ms, CPU time no steadier than wall time), so
    only variants interleaved finely see the same machine. Each variant's median and quartiles
    are over all its timed steps; the report derives the gains from the medians
    (seqlab.report.speed.gain)."""
    variants = steps_at(kind, seeds, batch, T, hidden)
    per_step = {}
    for name, (step, _) in variants.items():
        start = time.perf_counter()
        for _ in range(warmup):  # allocator, Adam state, oneDNN primitive caches
            step()
        per_step[name] = (time.perf_counter() - start) / warmup
    n = {name: max(min_steps, math.ceil(seconds / rounds / t)) for name, t in per_step.items()}
    times = {name: [] for name in variants}  # per round: the per-seed ms of each step
    for _ in range(rounds):
        for name, (step, per) in variants.items():
            ms = []
            for _ in range(n[name]):
                start = time.perf_counter()
                step()
                ms.append((time.perf_counter() - start) * 1e3 / per)
            times[name].append(ms)

    out = {"cell": kind, "impl": KINDS[kind].fastest_impl("cpu"), "T": T, "hidden": hidden, "variants": {}}
    for name, rs in times.items():
        every = [t for r in rs for t in r]
        q1, med, q3 = statistics.quantiles(every, n=4)
        out["variants"][name] = {"ms_per_seed": round(med, 4), "iqr_ms": [round(q1, 4), round(q3, 4)],
                                 "range_ms": [round(min(every), 4), round(max(every), 4)],
                                 "steps": len(every), "seeds_per_step": variants[name][1]}
    return out


def tree_state() -> dict:
    """The commit and whether the working tree then differed from it (any file, not only code)."""
    try:
        status = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        status = None
    return {"commit": git_commit(), "code_changed": code_changed(),
            "uncommitted_paths": None if status is None else len(status.splitlines())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, nargs="+", default=[5, 10, 15, 20, 30, 40, 60], help="lengths, at --hidden-for-T")
    ap.add_argument("--hidden", type=int, nargs="+", default=[16, 32, 64, 128, 256], help="sizes, at --T-for-hidden")
    ap.add_argument("--hidden-for-T", type=int, default=128)
    ap.add_argument("--T-for-hidden", type=int, default=20)
    ap.add_argument("--cells", nargs="+", default=list(KINDS), choices=list(KINDS))
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seeds", type=int, default=3, help="S: seeds trained as one model (the studies train 3)")
    ap.add_argument("--seconds", type=float, default=1.5, help="timed seconds per variant and size, over all rounds")
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds (see time_point)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per variant and size")
    ap.add_argument("--min-steps", type=int, default=1, help="timed steps per variant and round, at least")
    ap.add_argument("--quick", action="store_true", help="a smoke run: two lengths, two sizes, a few steps")
    ap.add_argument("--conditions", default="a shared 2-core machine: other work ran beside it",
                    help="what else the machine was doing, recorded as given")
    ap.add_argument("--out", type=Path, help="default benchmarks/recorded/scaling.json "
                                             "(with --quick: benchmarks/results/scaling_quick.json)")
    args = ap.parse_args()
    if args.quick:
        args.T, args.hidden, args.seconds, args.rounds, args.warmup, args.min_steps = [5, 20], [16, 128], 0.06, 3, 1, 1
    out_path = args.out or Path("benchmarks/results/scaling_quick.json" if args.quick else "benchmarks/recorded/scaling.json")
    torch.set_num_threads(1)  # as every training process of the studies runs
    started, load_before = time.perf_counter(), os.getloadavg()

    checks = {k: check(k, args.seeds, args.batch, args.T_for_hidden, args.hidden_for_T) for k in args.cells}
    print(f"check passed: the batched model is {args.seeds} production models "
          f"(largest difference {max(max(d.values()) for d in checks.values()):.1e})", flush=True)
    sizes = sorted({(T, args.hidden_for_T) for T in args.T} | {(args.T_for_hidden, h) for h in args.hidden})
    results = []
    for kind in args.cells:
        for T, hidden in sizes:
            r = time_point(kind, args.seeds, args.batch, T, hidden, args.seconds, args.rounds, args.warmup,
                           args.min_steps)
            results.append(r)
            v = r["variants"]
            print(f"{kind:9s} T={T:<3d} H={hidden:<4d} ms/seed: one {v['one']['ms_per_seed']:7.2f}  batched "
                  f"{v['batched']['ms_per_seed']:7.2f}  batched S=1 {v['batched_s1']['ms_per_seed']:7.2f}  bound "
                  f"{v['bound']['ms_per_seed']:7.2f}  gain {gain(r, 'batched'):.2f}x (within "
                  f"{gain(r, 'batched', 'batched_s1'):.2f}x, bound {gain(r, 'bound'):.2f}x)", flush=True)

    record = {
        "what": "per-seed ms per training step (forward, backward, clip, Adam) against T and hidden, one seed at a "
                "time against seed-batched (benchmarks/bench_scaling.py)",
        "conditions": args.conditions,
        # the 1-minute load average (runnable processes) before and after: above 1 on 2 cores, others ran beside it
        "load_average": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "config": {"T": args.T, "hidden": args.hidden, "hidden_for_T": args.hidden_for_T,
                   "T_for_hidden": args.T_for_hidden, "batch": args.batch, "seeds": args.seeds, "classes": CLASSES,
                   "threads": torch.get_num_threads(), "clip_norm": CLIP_NORM, "lr": LR, "seconds": args.seconds,
                   "rounds": args.rounds, "warmup": args.warmup, "min_steps": args.min_steps, "quick": args.quick},
        "device": cpu_model(), "machine": platform.machine(), "cores": os.cpu_count(),
        "torch": torch.__version__, "python": platform.python_version(), **tree_state(),
        "check": checks,
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out_path} ({record['seconds']:.0f} s)")
    from seqlab.report.speed_figures import draw_scaling  # matplotlib only once the timing is over

    print(f"wrote {draw_scaling(out_path, out_path.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
