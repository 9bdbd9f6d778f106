"""The report's speed section: the cell benchmark, how a step's cost grows with the work, and
what every stage of this run cost.

Three sources, all read, never measured here:

- ``benchmarks/recorded/cells.json``: the output of ``benchmarks/bench_cells.py``, committed
  (not a DVC stage: it takes minutes of a quiet machine and measures the code, not the study
  results; the report names the machine and commit it ran on). A second record,
  ``benchmarks/recorded/pipeline_before.json``, holds the per-stage wall times of a full run of
  the code before the speed work, on the machine named in it, for the comparison table.
- ``benchmarks/recorded/scaling.json``: the output of ``benchmarks/bench_scaling.py``, also
  committed: per-seed ms per training step against T and hidden, each cell trained one seed at a
  time, seed-batched, and at the seed-batching bound. Its figure, ``scaling.png`` beside it, is
  drawn from it by seqlab.report.speed_figures when the benchmark runs, not by this stage (whose
  only outputs are the report files); the PNG carries the JSON's digest, so a figure drawn from
  another record is not shown as this one's.
- reports/provenance/<stage>.json, written by every stage of this run: wall time, start-up,
  and for training stages the examples trained and their throughput.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from pathlib import Path

from PIL import Image

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.models.recurrent import label
from seqlab.present.markdown import table

RECORDED = Path("benchmarks/recorded")
CELLS = RECORDED / "cells.json"
BEFORE = RECORDED / "pipeline_before.json"
SCALING = RECORDED / "scaling.json"
SCALING_FIGURE = RECORDED / "scaling.png"
DIGEST_KEY = "Source"  # the PNG text chunk holding the digest of the JSON the figure was drawn from
# A per-seed gain from seed batching below this is not called a gain: on the shared 2-core
# machine the benchmark ran on, repeated medians of one step moved by up to about 10%.
PAYS = 1.2
AXES = {"T": "hidden_for_T", "hidden": "T_for_hidden"}  # each curve's x, and the config key fixing the other size


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


def digest(path: Path) -> str:
    """What a figure records of the JSON it was drawn from: the file's SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def curve(bench: dict, cell: str, axis: str) -> list[dict]:
    """One cell's measured points along ``axis`` ("T" or "hidden"), the other size held at its
    config value (hidden 128 for T, T = 20 for hidden), in order of the axis."""
    other = "hidden" if axis == "T" else "T"
    fixed = bench["config"][AXES[axis]]
    return sorted((r for r in bench["results"] if r["cell"] == cell and r[other] == fixed), key=lambda r: r[axis])


def cells(bench: dict) -> list[str]:
    """The cells the record measured, in the order it measured them."""
    return list(dict.fromkeys(r["cell"] for r in bench["results"]))


def gain(point: dict, faster: str, slower: str = "one") -> float:
    """How many times less a seed's step costs in ``faster`` than in ``slower``: the ratio of
    their median per-seed ms (e.g. one / batched)."""
    v = point["variants"]
    return v[slower]["ms_per_seed"] / v[faster]["ms_per_seed"]


def size_label(point: dict, bench: dict) -> str:
    """A point by what varies: "T = 40" along T, "hidden 16" along hidden; the point both
    curves share by both sizes."""
    c = bench["config"]
    on_t, on_hidden = point["hidden"] == c["hidden_for_T"], point["T"] == c["T_for_hidden"]
    if on_t and on_hidden:
        return f"T = {point['T']} at hidden {point['hidden']}"
    return f"T = {point['T']}" if on_t else f"hidden {point['hidden']}"


def sizes(bench: dict, cell: str) -> list[dict]:
    """A cell's points along T, then along hidden, the point both curves share once."""
    out = []
    for axis in AXES:
        out += [p for p in curve(bench, cell, axis) if p not in out]
    return out


def gain_rows(bench: dict) -> list[dict]:
    """One row per size, along T then along hidden: per cell, one / batched, and in brackets
    batched_s1 / batched and one / bound."""
    by_cell = {c: sizes(bench, c) for c in cells(bench)}
    rows = []
    for i, point in enumerate(next(iter(by_cell.values()))):
        row = {"T": point["T"], "hidden": point["hidden"]}
        for cell, points in by_cell.items():
            p = points[i]
            row[label(cell)] = (f"{gain(p, 'batched'):.2f}× (within {gain(p, 'batched', 'batched_s1'):.2f}×, "
                                f"bound {gain(p, 'bound'):.2f}×)")
        rows.append(row)
    return rows


def where_it_pays(bench: dict, threshold: float = PAYS) -> list[str]:
    """Per cell, the sizes where seed batching saves at least ``threshold`` per seed over one
    seed at a time (else "nowhere"), its largest gain and where, and the bound's largest."""
    out = []
    for c in cells(bench):
        points = sizes(bench, c)
        paying = [size_label(p, bench) for p in points if gain(p, "batched") >= threshold]
        best = max(points, key=lambda p: gain(p, "batched"))
        top = max(points, key=lambda p: gain(p, "bound"))
        rest = [size_label(p, bench) for p in points if gain(p, "batched") < threshold]
        if not paying:
            where = "nowhere"
        elif not rest:
            where = "at every size measured"
        elif len(rest) < len(paying):  # name the shorter list
            where = f"at every size but {', '.join(rest)}"
        else:
            where = f"at {', '.join(paying)}"
        out.append(f"the {label(c)} {where} (largest {gain(best, 'batched'):.2f}×, at {size_label(best, bench)}; "
                   f"the bound's largest {gain(top, 'bound'):.2f}×, at {size_label(top, bench)})")
    return out


def figure_is_current() -> bool:
    """Whether the scaling figure was drawn from the scaling record as it is now."""
    if not SCALING_FIGURE.is_file():
        return False
    with Image.open(SCALING_FIGURE) as png:
        return png.text.get(DIGEST_KEY) == digest(SCALING)


def scaling_section() -> list[str]:
    """The scaling curves: a figure, a table of the gain at each size and where it pays."""
    if not SCALING.is_file():
        return [f"**How a step's cost grows with the work.** No scaling benchmark is recorded (`{SCALING.as_posix()}` "
                "is absent); `python benchmarks/bench_scaling.py` writes one.", ""]
    bench = read_json(SCALING)
    c = bench["config"]
    within = [gain(r, "batched", "batched_s1") for r in bench["results"]]
    out = [
        f"**How a step's cost grows with the work, and what training seeds together buys** (`{SCALING.as_posix()}`, "
        f"written by `benchmarks/bench_scaling.py` on {bench['device']}, {c['threads']} torch thread, torch "
        f"{bench['torch']}, at commit `{bench['commit'][:10]}`"
        f"{' with uncommitted changes' if bench.get('uncommitted_paths') else ''}; {bench['conditions']}; "
        f"{bench['seconds'] / 60:.1f} minutes). One training step (forward, backward, clipping, Adam) at batch "
        f"{c['batch']}, per seed: each cell in the implementation the studies train it with on a CPU, one seed at a "
        f"time (*one*); {c['seeds']} seeds as one model with stacked weights, one batched matrix product per time "
        f"step, per-seed losses and clipping (*batched*, `benchmarks/_seed_batched.py`, plain autograd); and the "
        f"production model fed {c['seeds']} × {c['batch']} rows (*bound*: the same operations, each {c['seeds']} "
        "times as wide: the most that batching the production kernels can save; another implementation can beat it "
        "only by being faster per operation). Each value is the median per-seed time of every timed step, the "
        "variants interleaved in rounds.",
        "",
    ]
    if figure_is_current():
        alt = "per-seed ms per training step against T and against hidden, one, batched and bound"
        out += [f"![{alt}]({Path(os.path.relpath(SCALING_FIGURE, paths.REPORTS)).as_posix()})", ""]
    else:
        out += [f"(The figure `{SCALING_FIGURE.as_posix()}` is missing or was drawn from another record; "
                "`python -m seqlab.report.speed_figures` redraws it.)", ""]
    out += [
        f"The table gives, at each size, the per-seed gain of the batched model over one seed at a time (one / "
        f"batched); in brackets, the gain of batching within the one implementation (the batched model at one seed "
        f"/ at {c['seeds']}) and the bound's (one / bound). Seed batching saves at least {PAYS}× per seed for "
        + "; ".join(where_it_pays(bench)) + ". "
        f"Within the one implementation, {c['seeds']} seeds batched save {min(within):.2f}× to {max(within):.2f}× "
        "per seed over the same model at one seed; the rest of the difference to *one* is how much faster or "
        "slower the production kernels are than plain autograd.",
        "",
        table(gain_rows(bench)),
        "",
    ]
    return out


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
    out += scaling_section()

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
    out += division_section(records)
    return out


def division(records: list[dict]) -> list[dict]:
    """How each stage that trains several runs side by side divided its work: the runs' own
    training seconds summed (what one worker would spend, since every run trains on one thread
    either way), the stage's wall time, and the wall time a perfect split over ``cores`` would
    take. What is left over is imbalance (the last runs finishing alone) plus the stage's work
    outside its runs (loading data, spawning workers, writing records)."""
    rows = []
    for r in sorted(records, key=lambda r: -((r.get("training") or {}).get("train_seconds") or 0)):
        t = r.get("training") or {}
        if (t.get("runs") or 0) < 2 or not r.get("cores") or t.get("train_seconds") is None:
            continue  # one run has nothing to divide; a record without its cores cannot say how
        ideal = t["train_seconds"] / r["cores"]
        rows.append({"stage": r["stage"], "runs": t["runs"], "cores": r["cores"],
                     "training s (one worker)": t["train_seconds"], "wall s": r["seconds"],
                     "perfect split s": round(ideal, 1), "left over s": round(r["seconds"] - ideal, 1),
                     "speed-up over one worker": round(t["train_seconds"] / r["seconds"], 2)})
    return rows


def division_section(records: list[dict]) -> list[str]:
    rows = division(records)
    if not rows:
        return []
    one = sum(r["training s (one worker)"] for r in rows)
    wall = sum(r["wall s"] for r in rows)
    shown = [{**r, "training s (one worker)": f"{r['training s (one worker)']:,.1f}", "wall s": f"{r['wall s']:,.1f}",
              "speed-up over one worker": f"{r['speed-up over one worker']:.2f}×"} for r in rows]
    return [
        f"**How the work divides over the workers** (`compute.workers`; reports/provenance). The {len(rows)} stages "
        "that train several runs side by side spent "
        f"{wall / 60:.1f} minutes of wall time on {one / 60:.1f} minutes of the runs' own training: "
        f"{one / wall:.2f}× what one worker at a time would take, estimated as the runs' summed training seconds "
        "(each run trains on one thread either way, so one worker would run them back to back; derived, not a "
        "second run). *Left over* is the wall time above a perfect split over the cores: the last runs "
        "finishing alone, and the stage's work outside its runs.",
        "",
        table(shown),
        "",
    ]
