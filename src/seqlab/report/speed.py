"""The report's speed section: the cell benchmark and what every stage of this run cost.

Two sources, both read, never measured here:

- ``benchmarks/recorded/cells.json``: the output of ``benchmarks/bench_cells.py``, committed
  (not a DVC stage: it takes minutes of a quiet machine and measures the code, not the study
  results; the report names the machine and commit it ran on). A second record,
  ``benchmarks/recorded/pipeline_before.json``, holds the per-stage wall times of a full run of
  the code before the speed work, on the machine named in it, for the comparison table.
- reports/provenance/<stage>.json, written by every stage of this run: wall time, start-up,
  and for training stages the examples trained and their throughput.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import table

RECORDED = Path("benchmarks/recorded")
CELLS = RECORDED / "cells.json"
BEFORE = RECORDED / "pipeline_before.json"


def study_of(stage: str) -> str:
    """The study a stage belongs to: its name up to the first underscore (``lstmae_prices_train``
    -> ``lstmae``); ``claims`` and ``report`` are their own."""
    return stage.split("_", 1)[0]


def stage_rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in sorted(records, key=lambda r: -r["seconds"]):
        t = r.get("training") or {}
        rows.append({
            "stage": r["stage"], "wall s": f"{r['seconds']:,.1f}",
            "start-up s": "" if r.get("startup_seconds") is None else f"{r['startup_seconds']:.1f}",
            "runs": t.get("runs", ""), "examples trained": f"{t['samples']:,}" if t else "",
            "examples/s (stage wall)": f"{t['samples_per_s']:,.0f}" if t.get("samples_per_s") else "",
        })
    return rows


def study_totals(records: list[dict]) -> dict[str, float]:
    """Seconds per study: the sum of its stages' steps (process start-ups apart, which the
    records of the code before the speed work do not have)."""
    totals: dict[str, float] = defaultdict(float)
    for r in records:
        totals[study_of(r["stage"])] += r["seconds"]
    return dict(totals)


def cell_rows(bench: dict) -> list[dict]:
    rows = []
    for r in bench["results"]:
        rows.append({"cell": r["model"], "impl": r["impl"], "T": r["T"], "ms / step": f"{r['median_ms']:.2f}",
                     "vs fused": f"{r['vs_fused']:.2f}× ({r['peer']})", "GFLOP/s": f"{r['gflops']:.0f}",
                     "of roofline": f"{r['of_roofline']:.0%}"})
    return rows


def provenance_records() -> list[dict]:
    """Every stage's record of this run (reports/provenance), in stage-name order."""
    return [read_json(f) for f in sorted((paths.REPORTS / "provenance").glob("*.json"))]


def section(records: list[dict] | None = None) -> list[str]:
    records = provenance_records() if records is None else records
    out = ["## Speed", ""]
    if CELLS.is_file():
        bench = read_json(CELLS)
        c = bench["config"]
        worst = max((r for r in bench["results"] if r["impl"] == "cell"), key=lambda r: r["vs_fused"])
        out += [
            f"**Hand-written cells against torch's fused modules** (`{CELLS.as_posix()}`, written by "
            f"`benchmarks/bench_cells.py` on {bench['device']}, {c['threads']} threads, torch {bench['torch']}, at "
            f"commit `{bench.get('commit', '?')[:10]}`; committed, not a pipeline stage). One training step (forward, "
            f"backward, Adam) at batch {c['batch']}, hidden {c['hidden']}, {c['classes']}-way one-hot input; the median "
            "over many steps after warm-up. The peephole LSTM has no fused twin and is timed against torch's LSTM. "
            "GFLOP/s counts the step's matrix products (2 B T (3 R H + 2 G H I)); the roofline is a 2048³ matmul "
            f"in the same run, {bench['gemm_gflops']['square_2048']:.0f} GFLOP/s (one recurrent-sized product, "
            f"{c['batch']}×{c['hidden']} by {c['hidden']}×{4 * c['hidden']}: "
            f"{bench['gemm_gflops']['recurrent_step']:.0f} GFLOP/s). Slowest cell relative to its peer: "
            f"{worst['model']} at T = {worst['T']}, {worst['vs_fused']:.2f}×.",
            "",
            table(cell_rows(bench)),
            "",
        ]
    else:
        out += [f"No cell benchmark is recorded (`{CELLS.as_posix()}`); `make bench` writes one.", ""]

    totals = study_totals(records)
    steps = sum(totals.values())
    startup = sum(r.get("startup_seconds") or 0.0 for r in records)
    before = read_json(BEFORE) if BEFORE.is_file() else None
    head = (f"**This run, stage by stage** (reports/provenance): {(steps + startup) / 60:.1f} minutes of stage "
            f"processes over {len(records)} stages run one after another by `dvc repro`: {steps / 60:.1f} in the "
            f"stages' steps and {startup / 60:.1f} in process start-up (interpreter, torch and other imports). "
            "Per study below: the steps' minutes. Training stages also give the examples they trained and their "
            "throughput.")
    rows = [{"study": s, "minutes": f"{v / 60:.1f}"} for s, v in sorted(totals.items(), key=lambda kv: -kv[1])]
    if before:
        b = study_totals(before["stages"])
        head += (f" Beside each study: its steps' minutes with the code before the speed work "
                 f"({before['source']}), where recorded.")
        for row in rows:
            old = b.get(row["study"])
            row["before (min)"] = f"{old / 60:.1f}" if old else ""
            row["speed-up"] = f"{old / totals[row['study']]:.2f}×" if old else ""
    out += [head, "", table(rows), "", "<details><summary>Every stage</summary>", "", table(stage_rows(records)),
            "", "</details>", ""]
    return out
