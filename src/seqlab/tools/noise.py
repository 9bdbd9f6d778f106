"""Which metric changes exceed seed-to-seed noise? `dvc metrics diff`, read with the error bars.

    python -m seqlab.tools.noise [REV]        # against REV, default main

Runs ``dvc metrics diff --all --json REV`` and, for every number that changed, compares the
change with the noise the metrics files themselves record:

- a seed mean ``X_mean`` beside ``X_std`` and ``n_seeds``: the standard error std / sqrt(n_seeds),
  plus the binomial error of the test set where ``n_test`` is recorded (with one seed, or when
  every seed scored the same, the test set's error is all that is left);
- an accuracy ``test_acc`` with ``n_test`` recorded beside it or at the file's top level: the
  binomial standard error sqrt(p (1 - p) / n_test).

A change is *beyond noise* when it exceeds two standard errors of the difference, sqrt(se_old^2 +
se_new^2). Anything else that changed (a count, a verdict code, a length) has no noise model here
and is listed as such. Rerunning unchanged code on another CPU moves most numbers within noise;
a change of the code or params that matters moves some beyond it.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys

Z = 2.0


def _group(key: str) -> tuple[str, str]:
    """'T20.test_acc_mean' -> ('T20.', 'test_acc_mean')."""
    prefix, _, name = key.rpartition(".")
    return (prefix + "." if prefix else ""), name


def _number(x) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def standard_error(key: str, values: dict[str, float | None]) -> float | None:
    """The standard error of metric ``key`` among one file's flattened ``values`` (None: no model)."""
    prefix, name = _group(key)
    value = values.get(key)
    n_test = values.get(prefix + "n_test", values.get("n_test"))
    binomial = math.sqrt(value * (1 - value) / n_test) if n_test and value is not None and 0 <= value <= 1 else None
    if name.endswith("_mean"):
        std, n = values.get(prefix + name[: -len("_mean")] + "_std"), values.get(prefix + "n_seeds")
        if std is None or not n:
            return None
        return math.sqrt(std**2 / n + (binomial**2 / n if binomial is not None else 0.0))
    if name == "test_acc":
        return binomial
    return None


def classify(diff: dict[str, dict[str, dict]], z: float = Z) -> list[dict]:
    """Every changed number in a ``dvc metrics diff --all --json`` result, with its noise."""
    rows = []
    for path, metrics in diff.items():
        old = {k: _number(v.get("old")) for k, v in metrics.items()}
        new = {k: _number(v.get("new")) for k, v in metrics.items()}
        for key, v in metrics.items():
            if v.get("old") == v.get("new"):
                continue
            row = {"file": path, "metric": key, "old": v.get("old"), "new": v.get("new")}
            se_old, se_new = standard_error(key, old), standard_error(key, new)
            if old[key] is None or new[key] is None or se_old is None or se_new is None:
                row.update(change=None, noise=None, verdict="changed (no noise model)")
            else:
                change, noise = new[key] - old[key], z * math.sqrt(se_old**2 + se_new**2)
                row.update(change=change, noise=noise,
                           verdict="beyond noise" if abs(change) > noise else "within noise")
            rows.append(row)
    order = {"beyond noise": 0, "changed (no noise model)": 1, "within noise": 2}
    return sorted(rows, key=lambda r: (order[r["verdict"]], r["file"], r["metric"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m seqlab.tools.noise", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", nargs="?", default="main", help="the revision to compare with (default: main)")
    args = ap.parse_args(argv)
    proc = subprocess.run([sys.executable, "-m", "dvc", "metrics", "diff", "--all", "--json", args.rev],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"error: dvc metrics diff failed: {proc.stderr.strip()}", file=sys.stderr)
        return 2
    rows = classify(json.loads(proc.stdout or "{}"))
    if not rows:
        print(f"no metric differs from {args.rev}")
        return 0

    def show(x):
        return "-" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)

    width = max(len(f"{r['file']}: {r['metric']}") for r in rows)
    print(f"{'metric':<{width}}  {'old':>9} {'new':>9} {'change':>9} {'2 SE':>8}  verdict")
    for r in rows:
        print(f"{r['file'] + ': ' + r['metric']:<{width}}  {show(r['old']):>9} {show(r['new']):>9} "
              f"{show(r['change']):>9} {show(r['noise']):>8}  {r['verdict']}")
    counts = {v: sum(r["verdict"] == v for r in rows) for v in ("beyond noise", "within noise", "changed (no noise model)")}
    print(", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
