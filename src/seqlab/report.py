"""Build reports/report.md and a self-contained reports/report.html from stage outputs only.

Every number here is read from a file that a stage of this run wrote; nothing is typed in.
The HTML embeds its figures as data URIs, so it opens offline (dvc plots show needs a CDN).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from seqlab import paths
from seqlab.params.palindrome import PalindromeParams
from seqlab.params.report import ReportParams
from seqlab.report_algorithmic import label as _label
from seqlab.report_algorithmic import pm as _pm
from seqlab.report_algorithmic import sections
from seqlab.report_algorithmic import table as _table
from seqlab.report_mnist import mnist_section


def load_results(params: PalindromeParams) -> dict[str, dict]:
    return {m: json.loads(paths.palindrome_results(m).read_text()) for m in params.palindrome.models}


def _breaks(res: dict, target: float) -> tuple[int | None, int | None]:
    """(largest T with mean test accuracy >= target, smallest T above it that falls short)."""
    lengths = sorted(int(T) for T in res["lengths"])
    ok = [T for T in lengths if res["lengths"][str(T)]["test_acc_mean"] >= target]
    critical = max(ok) if ok else None
    failing = [T for T in lengths
               if res["lengths"][str(T)]["test_acc_mean"] < target and (critical is None or T > critical)]
    return critical, (min(failing) if failing else None)


def _per_seed(r: dict) -> str:
    return ", ".join(f"{s['test_acc']:.3f}" for s in r["seeds"])


def claims(results: dict[str, dict], target: float) -> list[str]:
    """The course's two claims, checked against this run's numbers."""
    lines = []
    lstm = results.get("lstm", {}).get("lengths", {}).get("20")
    if lstm:
        verdict = "holds" if lstm["test_acc_mean"] >= target else "does not hold"
        measured = _pm(lstm["test_acc_mean"], lstm["test_acc_std"])
        lines.append(f"- *LSTM reaches 100% at T=20*: measured test accuracy {measured} "
                     f"(seeds: {_per_seed(lstm)}); at the {target:.0%} bar the claim **{verdict}** in this run.")
    else:
        lines.append("- *LSTM reaches 100% at T=20*: not tested in this run (T=20 is not in `lstm.T`).")
    rnn = results.get("rnn")
    if rnn:
        above = {int(T): r for T, r in rnn["lengths"].items() if int(T) > 15}
        if above:
            worst = "; ".join(f"T={T}: {_pm(r['test_acc_mean'], r['test_acc_std'])} (seeds: {_per_seed(r)})"
                              for T, r in sorted(above.items()))
            fails = all(r["test_acc_mean"] < target for r in above.values())
            verdict = "holds" if fails else "does not hold"
            lines.append(f"- *The vanilla RNN falls apart beyond about T=15*: measured {worst}; "
                         f"the claim **{verdict}** "
                         f"in this run (falling apart read as mean test accuracy below {target:.0%}).")
        else:
            lines.append("- *The vanilla RNN falls apart beyond about T=15*: not tested (no `rnn.T` above 15).")
    return lines


def build_markdown(report_params: ReportParams, results: dict[str, dict], commit: str) -> str:
    params = report_params.palindrome
    study = params.palindrome
    target = study.evaluate.target_acc
    lengths = sorted({int(T) for r in results.values() for T in r["lengths"]})
    n_seeds = len(study.train.seeds)

    acc_rows, step_rows, break_rows = [], [], []
    for model, res in results.items():
        acc, steps = {"model": _label(model)}, {"model": _label(model)}
        for T in lengths:
            r = res["lengths"].get(str(T))
            acc[f"T={T}"] = _pm(r["test_acc_mean"], r["test_acc_std"]) if r else "not run"
            if r is None:
                steps[f"T={T}"] = "not run"
            elif r["steps_to_target_mean"] is None:
                steps[f"T={T}"] = f"never (0/{len(r['seeds'])} seeds)"
            else:
                steps[f"T={T}"] = f"{r['steps_to_target_mean']:.0f} ({r['seeds_at_target']}/{len(r['seeds'])} seeds)"
        acc_rows.append(acc)
        step_rows.append(steps)
        critical, failing = _breaks(res, target)
        break_rows.append({
            "model": _label(model),
            f"largest T with accuracy ≥ {target:.0%}": critical if critical is not None else "none: below at every T",
            "first longer T that falls short": failing if failing is not None else "none: reached at every longer T",
        })

    data_rows = []
    for T in lengths:
        res = next(r for r in results.values() if str(T) in r["lengths"])
        meta = res["lengths"][str(T)]["data"]
        s, req = meta["sizes"], meta["requested"]
        note = (f"only {meta['n_distinct']:,} distinct palindromes exist: all of them are used, split "
                f"disjointly in the requested proportions" if meta["space_exhausted"] else "sampled without repeats")
        data_rows.append({"T": T, "distinct palindromes": f"{meta['n_distinct']:,}",
                          "train / val / test": f"{s['train']:,} / {s['val']:,} / {s['test']:,}",
                          "requested": f"{req['train']:,} / {req['val']:,} / {req['test']:,}",
                          "train∩test": meta["overlap_train_test"], "note": note})

    run_rows, time_rows = [], []
    for model, res in results.items():
        for T, r in sorted(res["lengths"].items(), key=lambda kv: int(kv[0])):
            for s in r["seeds"]:
                run_rows.append({"model": _label(model), "T": int(T), "seed": s["seed"],
                                 "test acc": f"{s['test_acc']:.4f}", "MLflow run": f"`{s['run_id']}`",
                                 "parent run": f"`{s['parent_run_id']}`"})
        secs = [s["train_seconds"] for r in res["lengths"].values() for s in r["seeds"]]
        n_params = {s["n_params"] for r in res["lengths"].values() for s in r["seeds"]}
        time_rows.append({"model": _label(model), "impl": res["impl"],
                          "parameters": ", ".join(map(str, sorted(n_params))),
                          "runs": len(secs), "train time (s, total)": f"{sum(secs):.1f}",
                          "per run (s, mean)": f"{sum(secs) / len(secs):.1f}"})

    t = study.train
    d = study.data
    setup = (f"Adam, lr {t.lr}, batch {t.batch_size}, hidden {t.hidden}, gradient clipping at max-norm {t.clip_norm}, "
             f"{t.steps} steps, validation every {t.eval_every} steps, forget-gate bias {t.forget_bias}, "
             f"seeds {list(t.seeds)}, device `{t.device}`. Data: base {d.base}, data seed {d.seed}. "
             f"Std is the sample standard deviation over seeds (ddof=1).")

    md = [
        "# seqlab report",
        "",
        f"Built from the stage outputs of one `dvc repro` at git commit `{commit}`. "
        "Every number below is read from a file a stage of that run wrote.",
        "",
        "Contents: palindromes (the headline study) · length sweep · gradient flow · digit recall · "
        "binary addition · adding task · sequential MNIST.",
        "",
        "## Palindromes: where each recurrent cell breaks as T grows",
        "",
        "The model reads the first T−1 digits of a palindrome of length T and predicts the last, "
        "which equals the first: "
        "it must carry one digit across T−1 steps.",
        "",
        "### The course's claims, checked",
        "",
        *claims(results, target),
        "",
        f"### Test accuracy (mean ± std over {n_seeds} seeds)",
        "",
        _table(acc_rows),
        "",
        f"### Steps to reach {target:.0%} validation accuracy (mean over the seeds that reached it)",
        "",
        _table(step_rows),
        "",
        "### Where each model breaks",
        "",
        _table(break_rows),
        "",
        "### Figures",
        "",
        f"![Validation accuracy against training step]({paths.PALINDROME_ACCURACY_FIG.relative_to(paths.REPORTS)})",
        "",
        f"![RNN vs LSTM training loss as T grows]({paths.PALINDROME_LOSS_FIG.relative_to(paths.REPORTS)})",
        "",
        "### Data",
        "",
        _table(data_rows),
        "",
        "### Training setup and cost",
        "",
        setup,
        "",
        _table(time_rows),
        "",
        "### Parameters used (from params.yaml)",
        "",
        "```yaml",
        yaml.safe_dump({"palindrome": asdict(study), **{m: asdict(params.model[m]) for m in study.models}},
                       sort_keys=False, default_flow_style=None).strip(),
        "```",
        "",
        "### MLflow runs",
        "",
        f"Experiment `palindrome` in the store `{params.mlflow.tracking_uri}` (open with `mlflow ui`).",
        "",
        _table(run_rows),
        "",
        *sections(report_params),
        *mnist_section(report_params.mnist),
    ]
    return "\n".join(md)


def _embed_images(html: str, base: Path) -> str:
    def data_uri(match: re.Match) -> str:
        src = match.group(1)
        payload = base64.b64encode((base / src).read_bytes()).decode()
        return f'src="data:image/png;base64,{payload}"'

    return re.sub(r'src="([^"]+\.png)"', data_uri, html)


CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
code { background: #f5f5f5; padding: 0 0.2em; }
"""


def to_html(markdown: str, base: Path) -> str:
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>seqlab report</title>"
            f"<style>{CSS}</style></head><body>\n{_embed_images(body, base)}</body></html>\n")


def write_report(params: ReportParams, commit: str) -> tuple[Path, Path]:
    results = load_results(params.palindrome)
    md = build_markdown(params, results, commit)
    paths.REPORT_MD.parent.mkdir(parents=True, exist_ok=True)
    paths.REPORT_MD.write_text(md)
    paths.REPORT_HTML.write_text(to_html(md, paths.REPORTS))
    return paths.REPORT_MD, paths.REPORT_HTML
