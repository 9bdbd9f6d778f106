"""The course's claims about the palindrome task, judged on this run's outputs.

Reads the palindrome study's results and per-seed curves, and, for the RNN's breaking point,
the length sweep's results too: it trains the same task at more lengths, and a reader needs one
answer from both.
"""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.palindrome.params import PalindromeParams
from seqlab.judging.metrics import plateaus
from seqlab.judging.verdicts import (
    FAILS,
    HOLDS,
    NOT_COMPARABLE,
    Claim,
    Verdict,
    all_reach,
    both,
    breaks_beyond,
    by_seed,
    fmt,
)

STUDY = "palindrome"
SWEEP = "sweep"  # the length sweep's runs count as evidence on where the RNN breaks
UVA = "UvA deep-learning course report (palindromes)"
NORTHWESTERN = "Northwestern deep-learning course report (palindromes)"
COURSE = "course report (palindromes)"

# The UvA report's LSTM curve at T=20: "plateaus near 0.55, then jumps to 1.0 after ~1,000 steps".
PLATEAU_LEVEL = (0.45, 0.65)  # "near 0.55"
PLATEAU_STEPS = 300  # a plateau: at least this long ...
PLATEAU_TOL = 0.03  # ... within this of its first value
JUMP_STEPS = (500, 2000)  # "after ~1,000 steps": within a factor of two
PEEPHOLE_STEPS = 1000  # "converges around 500 steps": within a factor of two
LOSS_FALLS = 0.1  # "the loss falls": its last interval below a tenth of its first


def _results(p: PalindromeParams) -> dict[str, dict]:
    return {m: read_json(paths.study_results(STUDY, m)) for m in p.palindrome.models}


def _seed_curves(model: str, T: int) -> pd.DataFrame:
    return pd.read_csv(paths.study_results(STUDY, model).parent / "seeds" / f"T{T}.csv")


def _not_run(what: str) -> Verdict:
    return Verdict(NOT_COMPARABLE, f"not trained in this run: {what}")


def lstm_solves(p: PalindromeParams, results: dict) -> Claim:
    T, target = p.palindrome.claims.lstm_solves_T, p.palindrome.evaluate.target_acc
    r = results.get("lstm", {}).get("lengths", {}).get(str(T))
    return Claim(
        "palindrome.lstm_solves_T", f"The LSTM reaches 100% accuracy at T={T}.", COURSE,
        f"Every seed's test accuracy at T={T} reaches the study's target, {target:.0%} (100% read as the target).",
        all_reach([s["test_acc"] for s in r["seeds"]], target) if r else _not_run(f"lstm.T has no {T}"))


def rnn_breaks(p: PalindromeParams, results: dict) -> Claim:
    T0, target = p.palindrome.claims.rnn_breaks_above_T, p.palindrome.evaluate.target_acc
    runs: dict[int, list[float]] = {}
    for T, r in results.get("rnn", {}).get("lengths", {}).items():
        runs.setdefault(int(T), []).extend(s["test_acc"] for s in r["seeds"])
    sweep = paths.study_results(SWEEP)
    for r in read_json(sweep)["runs"] if sweep.is_file() else []:
        if r["model"] == "rnn":
            runs.setdefault(r["T"], []).append(r["test_acc"])
    above = any(T > T0 for T in runs)
    return Claim(
        "palindrome.rnn_breaks_above_T", f"The vanilla RNN falls apart beyond about T={T0}.", COURSE,
        f"No RNN run at any T above {T0} reaches {target:.0%} test accuracy: holds if none does, does not hold if "
        "every one does, mixed otherwise. Runs of the palindrome study and the length sweep are pooled, one per "
        "seed (the sweep trains fewer steps).",
        breaks_beyond(runs, T0, target) if above else _not_run(f"no RNN length above {T0}"))


def lstm_plateau_jump(p: PalindromeParams, results: dict) -> Claim:
    T, target = p.palindrome.claims.lstm_solves_T, p.palindrome.evaluate.target_acc
    lo, hi = PLATEAU_LEVEL
    criterion = (f"Per seed, at T={T}: the validation accuracy holds a plateau (≥ {PLATEAU_STEPS} steps within "
                 f"±{PLATEAU_TOL}) at a level in [{lo}, {hi}] before reaching {target:.0%}, and it reaches and holds "
                 f"{target:.0%} between step {JUMP_STEPS[0]:,} and {JUMP_STEPS[1]:,}. Holds if every seed does.")
    r = results.get("lstm", {}).get("lengths", {}).get(str(T))
    claim = f"At T={T} the LSTM plateaus near 0.55, then jumps to 1.0 after about 1,000 steps."
    if not r:
        return Claim("palindrome.lstm_plateau_then_jump", claim, UVA, criterion, _not_run(f"lstm.T has no {T}"))
    curves, passed, notes = _seed_curves("lstm", T), [], []
    for s in r["seeds"]:
        c = curves[curves["seed"] == s["seed"]]
        held = s["reached_and_held"]
        flat = [(a, b, level) for a, b, level in plateaus(c["step"].tolist(), c["val_acc"].tolist(), PLATEAU_STEPS,
                                                          PLATEAU_TOL) if level < target and (held is None or b < held)]
        near = [f for f in flat if lo <= f[2] <= hi]
        passed.append(bool(near) and held is not None and JUMP_STEPS[0] <= held <= JUMP_STEPS[1])
        shown = ", ".join(f"{level:.2f} (steps {a}–{b})" for a, b, level in flat) or "none"
        notes.append(f"seed {s['seed']}: plateaus {shown}; held {target:.0%} from "
                     f"{'never' if held is None else f'step {held}'}")
    return Claim("palindrome.lstm_plateau_then_jump", claim, UVA, criterion,
                 Verdict(by_seed(passed), "; ".join(notes), {"seeds_matching": sum(passed), "seeds": len(passed)}))


def peephole_converges_fast(p: PalindromeParams, results: dict) -> Claim:
    T, target = p.palindrome.claims.lstm_solves_T, p.palindrome.evaluate.target_acc
    criterion = (f"At T={T}: (a) every peephole seed reaches and holds {target:.0%} validation accuracy within "
                 f"{PEEPHOLE_STEPS:,} steps (about 500: within a factor of two); (b) the spread of those steps over "
                 "seeds (std) is below the LSTM's, every seed of both having held. Holds if both hold.")
    claim = f"At T={T} the peephole LSTM converges in about 500 steps, with a smaller variance than the LSTM."
    rp, rl = (results.get(m, {}).get("lengths", {}).get(str(T)) for m in ("peephole", "lstm"))
    if not (rp and rl):
        return Claim("palindrome.peephole_converges_fast", claim, UVA, criterion,
                     _not_run(f"peephole or lstm at T={T}"))
    held = {m: [s["reached_and_held"] for s in r["seeds"]] for m, r in (("peephole", rp), ("lstm", rl))}
    fast = [h is not None and h <= PEEPHOLE_STEPS for h in held["peephole"]]
    steps = "; ".join(f"{m}: {', '.join('never' if h is None else str(h) for h in v)}" for m, v in held.items())
    part_a = Verdict(by_seed(fast), f"steps to reach and hold {target:.0%}: {steps}")
    if all(h is not None for v in held.values() for h in v):
        sp, sl = (float(pd.Series(held[m]).std(ddof=1)) for m in ("peephole", "lstm"))
        part_b = Verdict(HOLDS if sp < sl else FAILS, f"std over seeds: peephole {sp:.0f}, LSTM {sl:.0f}")
    else:
        part_b = Verdict(FAILS, "a seed never held the target, so its steps have no finite spread")
    return Claim("palindrome.peephole_converges_fast", claim, UVA, criterion, both(part_a, part_b))


def loss_falls_with_T(p: PalindromeParams, results: dict) -> Claim:
    criterion = (f"Per seed and T, the training loss *falls* when its last interval's mean is below "
                 f"{LOSS_FALLS:g} × its first interval's. (a) The LSTM's falls at every T on every seed; (b) the "
                 "RNN's does not fall at its longest T on any seed. Holds if both hold, does not hold if neither.")
    claim = "As T grows the LSTM's loss still falls, while the RNN's does not."
    if not all(m in results for m in ("lstm", "rnn")):
        return Claim("palindrome.loss_falls_lstm_not_rnn", claim, NORTHWESTERN, criterion,
                     _not_run("the LSTM and the RNN"))

    def falls(model: str, T: int) -> tuple[list[bool], list[float]]:
        ratios = [float(g["train_loss"].iloc[-1] / g["train_loss"].iloc[0])
                  for _, g in _seed_curves(model, T).groupby("seed")]
        return [r < LOSS_FALLS for r in ratios], ratios

    lstm = {int(T): falls("lstm", int(T)) for T in results["lstm"]["lengths"]}
    longest = max(int(T) for T in results["rnn"]["lengths"])
    rnn_falls, rnn_ratios = falls("rnn", longest)
    part_a = Verdict(by_seed([f for fs, _ in lstm.values() for f in fs]), "LSTM last/first loss: " + "; ".join(
        f"T={T}: {fmt(r, 3)}" for T, (_, r) in sorted(lstm.items())))
    part_b = Verdict(by_seed([not f for f in rnn_falls]), f"RNN at T={longest}: {fmt(rnn_ratios, 3)}")
    return Claim("palindrome.loss_falls_lstm_not_rnn", claim, NORTHWESTERN, criterion, both(part_a, part_b))


def claims(p: PalindromeParams) -> list[Claim]:
    results = _results(p)
    return [f(p, results) for f in (lstm_solves, rnn_breaks, lstm_plateau_jump, peephole_converges_fast,
                                    loss_falls_with_T)]
