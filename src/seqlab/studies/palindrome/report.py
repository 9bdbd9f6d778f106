"""The report's palindrome section, read from the study's stage outputs only."""

from __future__ import annotations

from dataclasses import asdict

import yaml

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.markdown import fig, pm, table
from seqlab.models.recurrent import label
from seqlab.studies.palindrome.params import PalindromeParams, parse  # noqa: F401  (the registry reads parse)
from seqlab.training.metrics import critical_length

STUDY = "palindrome"
CONTENTS = "palindromes (the headline study)"


def load_results(params: PalindromeParams) -> dict[str, dict]:
    return {m: read_json(paths.study_results(STUDY, m)) for m in params.palindrome.models}


def _per_seed(r: dict) -> str:
    return ", ".join(f"{s['test_acc']:.3f}" for s in r["seeds"])


def claims(results: dict[str, dict], target: float, lstm_T: int = 20, rnn_above_T: int = 15) -> list[str]:
    """The course's two claims, checked against this run's numbers: the LSTM reaches 100% at
    ``lstm_T``; the vanilla RNN falls apart beyond about ``rnn_above_T``
    (``palindrome.claims``)."""
    lines = []
    lstm = results.get("lstm", {}).get("lengths", {}).get(str(lstm_T))
    claim = f"*LSTM reaches 100% at T={lstm_T}*"
    if lstm:
        verdict = "holds" if lstm["test_acc_mean"] >= target else "does not hold"
        measured = pm(lstm["test_acc_mean"], lstm["test_acc_std"])
        lines.append(f"- {claim}: measured test accuracy {measured} "
                     f"(seeds: {_per_seed(lstm)}); at the {target:.0%} bar the claim **{verdict}** in this run.")
    else:
        lines.append(f"- {claim}: not tested in this run (T={lstm_T} is not in `lstm.T`).")
    rnn = results.get("rnn")
    claim = f"*The vanilla RNN falls apart beyond about T={rnn_above_T}*"
    if rnn:
        above = {int(T): r for T, r in rnn["lengths"].items() if int(T) > rnn_above_T}
        if above:
            worst = "; ".join(f"T={T}: {pm(r['test_acc_mean'], r['test_acc_std'])} (seeds: {_per_seed(r)})"
                              for T, r in sorted(above.items()))
            fails = all(r["test_acc_mean"] < target for r in above.values())
            verdict = "holds" if fails else "does not hold"
            lines.append(f"- {claim}: measured {worst}; the claim **{verdict}** "
                         f"in this run (falling apart read as mean test accuracy below {target:.0%}).")
        else:
            lines.append(f"- {claim}: not tested (no `rnn.T` above {rnn_above_T}).")
    return lines


def section(params: PalindromeParams) -> list[str]:
    results = load_results(params)
    study = params.palindrome
    target = study.evaluate.target_acc
    lengths = sorted({int(T) for r in results.values() for T in r["lengths"]})
    n_seeds = len(study.train.seeds)

    acc_rows, step_rows, break_rows = [], [], []
    for model, res in results.items():
        acc, steps = {"model": label(model)}, {"model": label(model)}
        for T in lengths:
            r = res["lengths"].get(str(T))
            acc[f"T={T}"] = pm(r["test_acc_mean"], r["test_acc_std"]) if r else "not run"
            if r is None:
                steps[f"T={T}"] = "not run"
            elif r["steps_to_target_mean"] is None:
                steps[f"T={T}"] = f"never (0/{len(r['seeds'])} seeds)"
            else:
                steps[f"T={T}"] = f"{r['steps_to_target_mean']:.0f} ({r['seeds_at_target']}/{len(r['seeds'])} seeds)"
        acc_rows.append(acc)
        step_rows.append(steps)
        critical, failing = critical_length({int(T): r["test_acc_mean"] for T, r in res["lengths"].items()}, target)
        break_rows.append({
            "model": label(model),
            f"largest T with accuracy ≥ {target:.0%}": critical if critical is not None else "none: below at every T",
            "first T that falls short": failing if failing is not None else "none: reached at every T",
            "note": (f"not monotone: below target at T={failing}, above again at T={critical}"
                     if critical is not None and failing is not None and failing < critical else ""),
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
                run_rows.append({"model": label(model), "T": int(T), "seed": s["seed"],
                                 "test acc": f"{s['test_acc']:.4f}", "MLflow run": f"`{s['run_id']}`",
                                 "parent run": f"`{s['parent_run_id']}`"})
        secs = [s["train_seconds"] for r in res["lengths"].values() for s in r["seeds"]]
        n_params = {s["n_params"] for r in res["lengths"].values() for s in r["seeds"]}
        time_rows.append({"model": label(model), "impl": res["impl"],
                          "parameters": ", ".join(map(str, sorted(n_params))),
                          "runs": len(secs), "train time (s, total)": f"{sum(secs):.1f}",
                          "per run (s, mean)": f"{sum(secs) / len(secs):.1f}"})

    t, d = study.train, study.data
    setup = (f"Adam, lr {t.lr}, batch {t.batch_size}, hidden {t.hidden}, gradient clipping at max-norm {t.clip_norm}, "
             f"{t.steps} steps, validation every {t.eval_every} steps, forget-gate bias {t.forget_bias}, "
             f"seeds {list(t.seeds)}, device `{t.device}`. Data: base {d.base}, data seed {d.seed}. "
             f"Std is the sample standard deviation over seeds (ddof=1).")
    return [
        "## Palindromes: where each recurrent cell breaks as T grows",
        "",
        "The model reads the first T−1 digits of a palindrome of length T and predicts the last, "
        "which equals the first: "
        "it must carry one digit across T−1 steps.",
        "",
        "### The course's claims, checked",
        "",
        *claims(results, target, study.claims.lstm_solves_T, study.claims.rnn_breaks_above_T),
        "",
        f"### Test accuracy (mean ± std over {n_seeds} seeds)",
        "",
        table(acc_rows),
        "",
        f"### Steps to reach {target:.0%} validation accuracy (mean over the seeds that reached it)",
        "",
        table(step_rows),
        "",
        "### Where each model breaks",
        "",
        table(break_rows),
        "",
        "### Figures",
        "",
        fig(STUDY, "accuracy_vs_step.png", "Validation accuracy against training step"),
        "",
        fig(STUDY, "rnn_vs_lstm_loss.png", "RNN vs LSTM training loss as T grows"),
        "",
        "### Data",
        "",
        table(data_rows),
        "",
        "### Training setup and cost",
        "",
        setup,
        "",
        table(time_rows),
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
        table(run_rows),
        "",
    ]
