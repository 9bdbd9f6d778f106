"""The scaling benchmark's figure: per-seed ms per training step against T and against hidden.

Drawn from benchmarks/recorded/scaling.json by benchmarks/bench_scaling.py when it writes the
record, and saved beside it (not by the report stage, whose only outputs are the report files).
The PNG's "Source" text holds the JSON's SHA-256, so the report shows it only with the record
it was drawn from (seqlab.report.speed.figure_is_current). To redraw it from the record:

    python -m seqlab.report.speed_figures [benchmarks/recorded/scaling.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from matplotlib.lines import Line2D

from seqlab.core.files import read_json
from seqlab.models.recurrent import label
from seqlab.present.viz import COLORS, DPI, plt
from seqlab.report.speed import AXES, DIGEST_KEY, SCALING, cells, curve, digest

# one dash pattern per way of training, the colour per cell (viz.COLORS, as every figure)
STYLES = {"one": ("-", "one seed at a time"), "batched": ("--", "seed-batched, per seed"),
          "bound": (":", "bound: the production model at {seeds} × the rows, per seed")}


def draw_scaling(record: Path, out: Path) -> Path:
    """Two panels, per-seed ms per step (log scale) against T and against hidden: a line per
    cell and way of training. Returns ``out``."""
    bench = read_json(record)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, axis in zip(axes, AXES):
        for c in cells(bench):
            points = curve(bench, c, axis)
            x = [p[axis] for p in points]
            for variant, (dash, _) in STYLES.items():
                ax.plot(x, [p["variants"][variant]["ms_per_seed"] for p in points], dash, color=COLORS.get(c),
                        marker="o", ms=3)
        ax.set_yscale("log")
        if axis == "hidden":  # the sizes double: equal steps on a log axis
            ax.set_xscale("log", base=2)
            ax.minorticks_off()
        ax.set_xticks(x, [str(v) for v in x])
        fixed = bench["config"][AXES[axis]]
        ax.set_xlabel("T (sequence length)" if axis == "T" else "hidden size")
        ax.set_title(f"against T, hidden {fixed}" if axis == "T" else f"against hidden, T = {fixed}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel(f"ms per training step per seed (batch {bench['config']['batch']})")
    handles = [Line2D([], [], color=COLORS.get(c), label=label(c)) for c in cells(bench)]
    handles += [Line2D([], [], color="0.3", ls=dash, label=name.format(seeds=bench["config"]["seeds"]))
                for dash, name in STYLES.values()]
    fig.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles))
    out.parent.mkdir(parents=True, exist_ok=True)
    # no software metadata, so the same record gives the same bytes; the record's digest instead
    fig.savefig(out, dpi=DPI, bbox_inches="tight", metadata={"Software": None, DIGEST_KEY: digest(record)})
    plt.close(fig)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("record", type=Path, nargs="?", default=SCALING)
    args = ap.parse_args()
    print(f"wrote {draw_scaling(args.record, args.record.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
