"""Turn a sweep of DVC experiments into the setting chosen on validation, a table and a figure.

DVC runs the sweep; this only reads what it recorded. Queue the grid, run it, then record it:

    dvc exp run --queue -S 'lstmae.synthetic.model.hidden=16,32,64' -S 'lstmae.synthetic.train.lr=0.005,0.01' lstmae_evaluate
    dvc queue start -j 2          # OMP_NUM_THREADS=1 on a 2-core machine
    dvc exp show                  # when `dvc queue status` lists none queued or running
    python -m seqlab.tools.experiment_grid --metric synthetic.val_mse --by lstmae.synthetic.model.hidden lstmae.synthetic.train.lr \\
        --show synthetic.test_mse --out sweeps/lstmae

It reads ``dvc exp show --json`` (or ``--input FILE``), keeps the experiments of the current
commit that recorded ``--metric``, and picks the lowest (``--higher-is-better``: the highest).
The metric must be a validation metric: a key naming the test split is refused, so nothing is
ever chosen on test. ``--show`` adds columns (a test metric, a time) that are reported, not
used. It writes ``sweep.json``, ``table.csv`` and ``sweep.png`` to ``--out``, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from seqlab.core.errors import DataError
from seqlab.core.files import write_json

PARAMS_FILE = "params.yaml"


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists stay values."""
    out: dict[str, object] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _record(entry: dict, name: str, baseline: str) -> dict:
    """One experiment's flat params (params.yaml) and metrics (every metrics file, merged)."""
    data = entry.get("data") or {}
    params = flatten(((data.get("params") or {}).get(PARAMS_FILE) or {}).get("data") or {})
    metrics: dict[str, object] = {}
    for content in (data.get("metrics") or {}).values():
        metrics.update(flatten((content or {}).get("data") or {}))
    return {"name": name, "rev": entry.get("rev") or data.get("rev"), "baseline": baseline, "params": params,
            "metrics": metrics, "error": bool(entry.get("error") or data.get("error"))}


def experiments(show: list) -> list[dict]:
    """Every experiment in ``dvc exp show --json`` output (DVC 3's layout): for each baseline
    commit, its ``experiments`` list, each with one or more ``revs``. The workspace and the
    baseline commits themselves are not experiments and are left out."""
    if not isinstance(show, list):
        raise DataError("not the output of `dvc exp show --json`: expected a list of commits")
    found = []
    for commit in show:
        if not isinstance(commit, dict) or commit.get("rev") == "workspace":
            continue
        for exp in commit.get("experiments") or []:
            for rev in exp.get("revs") or []:
                found.append(_record(rev, rev.get("name") or exp.get("name") or str(rev.get("rev"))[:7],
                                     commit.get("rev", "")))
    return found


def names_test(key: str) -> bool:
    """Does a metric key name the test split? synthetic.test_mse -> synthetic, test, mse: yes."""
    return "test" in re.split(r"[./_\-:]", key.lower())


def check_metric(metric: str) -> None:
    if names_test(metric):
        raise DataError(f"--metric {metric!r} names the test split; a setting is chosen on validation only "
                        "(show test numbers with --show)")


def select(rows: list[dict], metric: str, by: list[str], show: list[str], lower: bool) -> tuple[pd.DataFrame, dict, list[str]]:
    """The table (one row per experiment with the metric, best first) and the chosen row."""
    check_metric(metric)
    if not rows:
        raise DataError("`dvc exp show --json` lists no experiments; queue and run a sweep first")
    known = sorted(set().union(*(r["params"] for r in rows)))
    for key in by:
        if key not in known:
            near = [k for k in known if key.rsplit(".", 1)[-1] in k][:8]
            raise DataError(f"--by {key!r} is not a params.yaml key of these experiments" +
                            (f"; close: {', '.join(near)}" if near else ""))
    with_metric = [r for r in rows if isinstance(r["metrics"].get(metric), (int, float)) and not r["error"]]
    skipped = [r["name"] for r in rows if r not in with_metric]
    if not with_metric:
        seen = [k for k in sorted(set().union(*(r["metrics"] for r in rows))) if not names_test(k)]
        raise DataError(f"no experiment recorded --metric {metric!r}; metrics seen: "
                        f"{', '.join(seen) or 'none (still queued or failed?)'}")
    table = pd.DataFrame([{"name": r["name"], "rev": r["rev"], **{k: r["params"].get(k) for k in by},
                           metric: r["metrics"][metric], **{k: r["metrics"].get(k) for k in show}}
                          for r in with_metric])
    table = table.sort_values([metric, "name"], ascending=[lower, True], kind="stable").reset_index(drop=True)
    return table, table.iloc[0].to_dict(), skipped


def plot(table: pd.DataFrame, metric: str, by: list[str], best: str, path: Path) -> Path:
    from seqlab.present.viz import plt, save_figure  # headless (Agg), byte-stable PNGs, as every figures stage writes

    labels = [", ".join(f"{k.rsplit('.', 1)[-1]}={row[k]}" for k in by) for _, row in table.iterrows()]
    colors = ["tab:blue" if n == best else "0.7" for n in table["name"]]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(table) + 2), 3.8))
    ax.bar(range(len(table)), table[metric], color=colors)
    ax.set_xticks(range(len(table)), labels, rotation=30, ha="right", fontsize=8)
    ax.set(ylabel=metric, title=f"Sweep: {metric} per setting (blue: chosen on validation)")
    return save_figure(fig, path)


def exp_show_json(source: str | None) -> list:
    if source == "-":
        return json.load(sys.stdin)
    if source:
        return json.loads(Path(source).read_text())
    out = subprocess.run([sys.executable, "-m", "dvc", "exp", "show", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise DataError(f"`dvc exp show --json` failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def record(show: list, metric: str, by: list[str], extra: list[str], lower: bool, out: Path | None) -> dict:
    """Select, and write sweep.json, table.csv and sweep.png to ``out`` (when given)."""
    rows = experiments(show)
    table, best, skipped = select(rows, metric, by, extra, lower)
    summary = {"metric": metric, "by": by, "show": extra, "lower_is_better": lower,
               "baseline": rows[0]["baseline"], "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "rows": json.loads(table.to_json(orient="records")), "best": json.loads(pd.Series(best).to_json()),
               "skipped": skipped}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "sweep.json", summary)
        table.to_csv(out / "table.csv", index=False)
        plot(table, metric, by, best["name"], out / "sweep.png")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqlab.tools.experiment_grid", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metric", required=True, help="a validation metric key, e.g. synthetic.val_mse")
    parser.add_argument("--by", nargs="+", required=True, help="the swept params.yaml keys")
    parser.add_argument("--show", nargs="*", default=[], help="more metric keys to show (never used to choose)")
    parser.add_argument("--higher-is-better", action="store_true", help="choose the highest value (default: lowest)")
    parser.add_argument("--input", help="a saved `dvc exp show --json` (- for stdin); default: run it")
    parser.add_argument("--out", type=Path, help="write sweep.json, table.csv and sweep.png here")
    args = parser.parse_args(argv)
    try:
        check_metric(args.metric)  # before running DVC
        summary = record(exp_show_json(args.input), args.metric, args.by, args.show, not args.higher_is_better, args.out)
    except (DataError, json.JSONDecodeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = pd.DataFrame(summary["rows"]).drop(columns=["rev"])
    print(table.to_markdown(index=False))
    best = summary["best"]
    setting = ", ".join(f"{k}={best[k]}" for k in args.by)
    print(f"\nchosen on {args.metric}: {best['name']} ({setting}; {args.metric}={best[args.metric]})")
    if summary["skipped"]:
        print(f"without the metric (queued, failed or another study's): {', '.join(summary['skipped'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
