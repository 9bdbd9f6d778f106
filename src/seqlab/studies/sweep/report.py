"""The report's length-sweep section, read from the study's stage outputs only."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, pm, table, training_cost
from seqlab.models.recurrent import label
from seqlab.studies.sweep.params import SweepParams
from seqlab.judging.verdicts import binomial_se

STUDY = "sweep"
CONTENTS = "length sweep"


def _shortfall(runs: list[dict]) -> str:
    """Why a length's runs fell short: how many ran out of steps still improving (capped) and
    how many had flattened out (plateau)."""
    short = [r for r in runs if r["short_of_target"]]
    if not short:
        return ""
    capped = sum(r["budget_capped"] for r in short)
    levels = ", ".join(f"{r['final_val_acc']:.2f}" for r in short if not r["budget_capped"])
    parts = ([f"{capped} capped (still improving)"] if capped else []) + (
        [f"{len(short) - capped} at a plateau (validation {levels})"] if len(short) > capped else [])
    return f"{len(short)} of {len(runs)} seeds short: " + ", ".join(parts)


def _beyond_noise(accs: list[float], target: float, n_test: int) -> tuple[bool, str]:
    """Is a length's mean test accuracy (its seeds' ``accs``) short of ``target`` by more than the
    test sets can resolve: 2 binomial standard errors of an accuracy of exactly ``target``
    measured on every seed's ``n_test`` sequences? Seeds that fail are a finding (training is
    unstable), not noise; what is noise is a handful of sequences on a small test set."""
    mean, items = sum(accs) / len(accs), len(accs) * n_test
    se = binomial_se(target, items)
    beyond = target - mean > 2 * se
    return beyond, (f"short by {target - mean:.3f}, {'beyond' if beyond else 'within'} 2 SE ({2 * se:.3f}; "
                    f"{len(accs)} × {n_test:,} test sequences)")


def section(p: SweepParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    metrics, runs = res["metrics"], res["runs"]
    n = len(p.train.seeds)
    target_acc = p.evaluate.target_acc
    target = f"{target_acc:.0%}"
    acc_rows = []
    for m in p.models:
        row = {"model": label(m)}
        for T in p.T:
            e = metrics[m][f"T{T}"]
            row[f"T={T}"] = f"{pm(e['test_acc_mean'], e['test_acc_std'])} ({e['seeds_reached']}/{e['n_seeds']})"
        acc_rows.append(row)
    crit_rows = []
    n_test = {int(T): d["sizes"]["test"] for T, d in res["data"].items()}
    for m in p.models:
        c, f = metrics["critical_length"][m], metrics["first_failure"][m]
        again = [T for T in p.T if f is not None and T > f and metrics[m][f"T{T}"]["test_acc_mean"] >= target_acc]
        why = _shortfall([r for r in runs if r["model"] == m and r["T"] == f]) if f is not None else ""
        # The same rule, with a shortfall inside two standard errors counted as no failure.
        noise = {T: _beyond_noise([r["test_acc"] for r in runs if r["model"] == m and r["T"] == T], target_acc,
                                  n_test[T]) for T in p.T
                 if metrics[m][f"T{T}"]["test_acc_mean"] < target_acc}
        robust = next((T for T in sorted(p.T) if T in noise and noise[T][0]), None)
        before = [T for T in sorted(p.T) if robust is None or T < robust]
        crit_rows.append({
            "model": label(m), "critical length": c if c is not None else f"none (short at T={f})",
            "first T short of target": f if f is not None else f"none up to {max(p.T)}",
            "its seeds": why + (f"; {noise[f][1]}" if f is not None else ""),
            "beyond noise: critical length": (before[-1] if before else "none") if robust is not None
            else f"≥ {max(p.T)} (no shortfall beyond noise)",
            "note": f"reaches {target} again at T={', '.join(map(str, again))}" if again else ""})
    smallest = min(n_test, key=n_test.get)
    stopped = sum(r["stopped_early"] for r in runs)
    short = [r for r in runs if r["short_of_target"]]
    capped = sum(r["budget_capped"] for r in short)
    return [
        "## Length sweep: the critical length of each cell",
        "",
        f"Every cell on palindromes of length T ∈ {{{', '.join(map(str, p.T))}}}, {n} seeds each. A cell's "
        f"*critical length* is the longest T before the first T at which its mean test accuracy falls short of "
        f"{target}: every shorter length was solved. A run that falls short is *capped* when it used all "
        f"{p.train.steps} steps and its validation accuracy was still rising at the end (the mean of its last 5 "
        "evaluations at least 0.02 above the 5 before), so a larger budget would likely have solved it; otherwise "
        "it ended on a *plateau*, whose level is given. A plateau is not proof that more steps would not help: a run "
        f"at chance ({1 / p.data.base:.2f}) has not found the signal within its budget. The last column applies the "
        "same rule but counts a shortfall as a failure only when the test sets can resolve it: when it exceeds two "
        "binomial standard errors "
        f"of an accuracy of exactly {target} on every seed's test sequences. Short lengths have few distinct "
        f"palindromes, so their test sets can be small (T={smallest}: {n_test[smallest]:,} sequences), and one wrong "
        "sequence there is noise.",
        "",
        table(crit_rows),
        "",
        fig(STUDY, "accuracy_vs_length.png", "Test accuracy against T"),
        "",
        f"### Test accuracy (mean ± std over {n} seeds; seeds reaching {target} in brackets)",
        "",
        table(acc_rows),
        "",
        f"Of the {len(runs)} runs, {len(short)} fell short of {target}: {capped} capped, {len(short) - capped} at a "
        f"plateau. Settings, lighter than the headline study to afford T up to {max(p.T)}: {p.data.n_train} training "
        f"palindromes (fewer where the space is smaller), seeds {list(p.train.seeds)}, at most {p.train.steps} steps, "
        f"hidden {p.train.hidden}, Adam lr {p.train.lr}, batch {p.train.batch_size}; "
        + (f"a run stops at the first validation point with accuracy ≥ {p.train.stop_at} ({stopped} of {len(runs)} runs did). "
           if p.train.stop_at is not None else "no early stopping. ")
        + f"{training_cost(runs)}. MLflow experiment `sweep`.",
        "",
    ]
