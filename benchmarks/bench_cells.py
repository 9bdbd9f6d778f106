"""Time one training step (forward, backward, Adam) of each hand-written cell against torch's fused module.

For every recurrent kind and sequence length it measures the median time of one training step
after warm-up (torch.utils.benchmark: it synchronises a GPU and takes the median of blocks of
steps; the implementations are timed in interleaved rounds, see time_steps), for the hand-written cell (seqlab.models.cells, trained through its whole-sequence
backward in seqlab.models.scan) and for the fused torch module it is compared with: nn.RNN,
nn.LSTM, nn.GRU, and nn.LSTM for the peephole LSTM, which has no fused twin.

Each row also gives the achieved GFLOP/s: the step's matrix-multiply work divided by its time.
A step of length T multiplies B x H states by the (R x H) recurrent weight three times per time
step (forward, the state's gradient, the weight's gradient) and B x I inputs by the (G*H x I)
input weight twice (forward, weight gradient): 2 B T (3 R H + 2 G H I) floating-point operations,
elementwise work not counted. It is set against two GEMM rates measured in the same run: a
large square matmul (the practical roofline) and one (B x H) x (H x 4H) matmul, the size of
one LSTM step's recurrent product.

Defaults: batch 128, hidden 128, T in {20, 100}, 10-way one-hot input, CPU with 2 threads.
On a GPU (--device auto finds one) it runs unchanged.

    python benchmarks/bench_cells.py --out benchmarks/recorded/cells.json

The report's speed section reads benchmarks/recorded/cells.json, committed with the commit it
names, so that one measurement on a quiet machine stands for the code it measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.utils.benchmark as benchmark

from seqlab.core.provenance import code_changed, cpu_model
from seqlab.core.tracking import git_commit
from seqlab.models.recurrent import KINDS, CellRecurrence
from seqlab.models.sequence import SequenceClassifierConfig
from seqlab.training.loop import resolve_device


def peer(name: str) -> str:
    """The fused torch module a kind is compared with."""
    return name if KINDS[name].fused is not None else "lstm"


def step_flops(model: torch.nn.Module, batch: int, T: int, inputs: int) -> float:
    """2 B T (3 R H + 2 G H I): see the module docstring."""
    backbone = model.backbone
    if isinstance(backbone, CellRecurrence):
        w_x = backbone.cell.weight_x
        w_h = next(p for n, p in backbone.cell.named_parameters() if n in ("weight_h", "weight_c"))
    else:
        w_x, w_h = backbone.rnn.weight_ih_l0, backbone.rnn.weight_hh_l0
    return 2.0 * batch * T * (3 * w_h.numel() + 2 * w_x.shape[0] * inputs)


def train_step(name: str, impl: str, batch: int, T: int, hidden: int, classes: int, device: torch.device):
    """A model of the kind and its training step on a fixed random batch."""
    torch.manual_seed(0)
    model = SequenceClassifierConfig(name, impl, input_dim=classes, hidden=hidden, num_classes=classes,
                                     forget_bias=1.0).build().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, classes, (batch, T), device=device)
    y = torch.randint(0, classes, (batch,), device=device)

    def step():
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return model, step


def time_steps(configs: list[tuple[str, str]], batch: int, T: int, hidden: int, classes: int, threads: int,
               device: torch.device, min_run_time: float, rounds: int) -> list[dict]:
    """Median step time of each (kind, impl), measured in ``rounds`` interleaved rounds.

    A shared machine's speed drifts by tens of percent within a minute, so every
    implementation is timed once per round, all in the same round before the next, and each
    one's time is the median over rounds of its per-round medians. The ratio to the fused peer
    is likewise the median of the per-round ratios, so a slow patch hits both sides of it."""
    steps = {c: train_step(*c, batch, T, hidden, classes, device) for c in configs}
    for _, step in steps.values():
        for _ in range(10):  # warm-up: allocator, Adam state, oneDNN primitive caches
            step()
    per_round = {c: [] for c in configs}
    counted = {c: 0 for c in configs}
    for _ in range(rounds):
        for c, (_, step) in steps.items():
            m = benchmark.Timer(stmt="step()", globals={"step": step}, num_threads=threads).blocked_autorange(
                min_run_time=min_run_time / rounds)
            per_round[c].append(m.median)
            counted[c] += len(m.times) * m.number_per_run
    rows = []
    for (name, impl), times in per_round.items():
        peer_times = per_round[(peer(name), "fused")]
        median = statistics.median(times)
        flops = step_flops(steps[(name, impl)][0], batch, T, classes)
        rows.append({"model": name, "impl": impl, "T": T, "median_ms": round(median * 1e3, 3),
                     "round_range_ms": [round(min(times) * 1e3, 3), round(max(times) * 1e3, 3)],
                     "steps": counted[(name, impl)], "rounds": rounds,
                     "peer": f"{peer(name)} fused",
                     "vs_fused": round(statistics.median(a / b for a, b in zip(times, peer_times)), 3),
                     "gflop_per_step": round(flops / 1e9, 4), "gflops": round(flops / median / 1e9, 1)})
    return rows


def profile_step(name: str, impl: str, batch: int, T: int, hidden: int, classes: int, device: torch.device,
                 steps: int = 20, top: int = 12) -> list[dict]:
    """Where one training step's time goes: torch.profiler's self time per op, per step."""
    _, step = train_step(name, impl, batch, T, hidden, classes, device)
    for _ in range(10):
        step()
    with torch.profiler.profile() as prof:
        for _ in range(steps):
            step()
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:top]
    return [{"op": e.key, "calls_per_step": round(e.count / steps, 1),
             "self_ms_per_step": round(e.self_cpu_time_total / steps / 1e3, 3)} for e in ops]


def gemm_gflops(m: int, k: int, n: int, threads: int, device: torch.device, min_run_time: float) -> float:
    a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
    t = benchmark.Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=threads)
    return round(2.0 * m * k * n / t.blocked_autorange(min_run_time=min_run_time).median / 1e9, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--T", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto (CUDA when available)")
    ap.add_argument("--min-run-time", type=float, default=3.0, help="seconds per implementation and length")
    ap.add_argument("--rounds", type=int, default=6, help="interleaved rounds (see time_steps)")
    ap.add_argument("--profile", action="store_true",
                    help="also profile every implementation at the first T (torch.profiler, top ops by self time)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/recorded/cells.json"))
    args = ap.parse_args()
    device = resolve_device(args.device, "--device")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()

    roofline = gemm_gflops(2048, 2048, 2048, args.threads, device, args.min_run_time)
    recurrent = gemm_gflops(args.batch, args.hidden, 4 * args.hidden, args.threads, device, args.min_run_time)
    print(f"matmul 2048^3: {roofline} GFLOP/s; ({args.batch}x{args.hidden}) x ({args.hidden}x{4 * args.hidden}): "
          f"{recurrent} GFLOP/s", flush=True)
    configs = [(name, impl) for name, spec in KINDS.items() for impl in spec.impls]
    rows = []
    for T in args.T:
        for r in time_steps(configs, args.batch, T, args.hidden, args.classes, args.threads, device,
                            args.min_run_time * len(configs), args.rounds):
            r["of_roofline"] = round(r["gflops"] / roofline, 3)
            rows.append(r)
            print(f"T={T:<4d} {r['model']:9s} {r['impl']:6s} {r['median_ms']:8.2f} ms/step "
                  f"(rounds {r['round_range_ms'][0]:.2f}-{r['round_range_ms'][1]:.2f}) {r['gflops']:6.1f} GFLOP/s "
                  f"{r['vs_fused']:.2f}x {r['peer']}", flush=True)

    profiles = {}
    if args.profile:  # the profiler's overhead inflates small ops: read it for shares, not times
        for name, spec in KINDS.items():
            for impl in spec.impls:
                profiles[f"{name} {impl} T={args.T[0]}"] = profile_step(
                    name, impl, args.batch, args.T[0], args.hidden, args.classes, device)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "out"},
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model(),
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "commit": git_commit(), "code_changed": code_changed(),
        "gemm_gflops": {"square_2048": roofline, "recurrent_step": recurrent},
        "seconds": round(time.perf_counter() - started, 1),
        "results": rows, "profiles": profiles,
    }, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
