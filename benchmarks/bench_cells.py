"""Time one training step (forward, backward, Adam) of each hand-written cell against torch's fused module.

Sizes: batch 128, T=20, hidden 128, 10-way one-hot input, CPU, 2 threads (override with flags).
Uses torch.utils.benchmark, which synchronises and reports the median of adaptive repeats.

    python benchmarks/bench_cells.py --out benchmarks/results/cells.json
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch
import torch.utils.benchmark as benchmark

from seqlab.models.recurrent import KINDS
from seqlab.models.sequence import SequenceClassifierConfig


def step_timer(name: str, impl: str, batch: int, T: int, hidden: int, classes: int, threads: int):
    torch.manual_seed(0)
    model = SequenceClassifierConfig(name, impl, input_dim=classes, hidden=hidden, num_classes=classes,
                                     forget_bias=1.0).build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(0, classes, (batch, T))
    y = torch.randint(0, classes, (batch,))

    def step():
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):  # warm-up: allocator, Adam state
        step()
    return benchmark.Timer(stmt="step()", globals={"step": step}, num_threads=threads,
                           label="train step", sub_label=name, description=impl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--T", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-run-time", type=float, default=3.0, help="seconds per measurement")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cells.json"))
    args = ap.parse_args()

    rows = []
    for name, spec in KINDS.items():
        for impl in spec.impls:
            m = step_timer(name, impl, args.batch, args.T, args.hidden, args.classes, args.threads)
            m = m.blocked_autorange(min_run_time=args.min_run_time)
            rows.append({"model": name, "impl": impl, "median_ms": round(m.median * 1e3, 3),
                         "iqr_ms": round(m.iqr * 1e3, 3), "runs": len(m.times) * m.number_per_run})
            print(f"{name:9s} {impl:6s} {m.median * 1e3:8.2f} ms/step (IQR {m.iqr * 1e3:.2f})", flush=True)
    for r in rows:  # the hand-written cell's cost relative to torch's fused kernel
        fused = next((f for f in rows if f["model"] == r["model"] and f["impl"] == "fused"), None)
        r["vs_fused"] = round(r["median_ms"] / fused["median_ms"], 2) if fused else None

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "config": {k: v for k, v in vars(args).items() if k != "out"},
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "results": rows,
    }, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
