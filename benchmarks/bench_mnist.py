"""Time one training step (forward, backward, Adam) of every sequential-MNIST classifier and
the autoencoder, as the study trains them: each at its view's batch size from params.yaml
(``mnist.train.schedule``; the autoencoder's own), CPU, one thread per model (the study runs one
model per worker process). Reads the model grid from params.yaml's ``mnist`` section.

    python benchmarks/bench_mnist.py --out benchmarks/results/mnist.json
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import torch
import torch.utils.benchmark as benchmark

from seqlab.core.params import load_params
from seqlab.models.config import ModelConfig, count_parameters
from seqlab.studies.mnist.params import parse
from seqlab.studies.mnist.steps import AUTOENCODER, autoencoder, classifiers, schedule


def step_timer(name: str, config: ModelConfig, batch: int, threads: int) -> tuple[benchmark.Timer, int]:
    torch.manual_seed(0)
    model = config.build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 28, 28)
    y = torch.randint(0, 10, (batch,))

    def step():
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up: allocator, Adam state
    return benchmark.Timer(stmt="step()", globals={"step": step}, num_threads=threads,
                           label="train step", sub_label=name), count_parameters(model)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, help="one batch size for every model (default: each view's, as trained)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep-denormals", action="store_true",
                    help="do not flush denormal floats to zero (the study flushes them)")
    ap.add_argument("--views", nargs="*", help="only these views (default: params.yaml's)")
    ap.add_argument("--min-run-time", type=float, default=2.0, help="seconds per measurement")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/mnist.json"))
    args = ap.parse_args()

    torch.set_flush_denormal(not args.keep_denormals)  # as the study does: see flush_denormals()
    p = load_params(parse)
    configs = {name: c for name, c in classifiers(p).items() if not args.views or c.view in args.views}
    rows = []
    for name, config in {**configs, AUTOENCODER: autoencoder(p)}.items():
        batch = args.batch or schedule(p, config).batch_size
        timer, n_params = step_timer(name, config, batch, args.threads)
        m = timer.blocked_autorange(min_run_time=args.min_run_time)
        rows.append({"model": name, "batch": batch, "parameters": n_params,
                     "median_ms": round(m.median * 1e3, 2), "images_per_second": round(batch / m.median, 1),
                     "steps_per_second": round(1 / m.median, 3), "runs": len(m.times) * m.number_per_run})
        print(f"{name:24s} {n_params:8d} params  batch {batch:4d} {m.median * 1e3:9.1f} ms/step "
              f"{1 / m.median:7.2f} steps/s {batch / m.median:8.1f} images/s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                                    "threads": args.threads,
                                    "flush_denormal": not args.keep_denormals, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
