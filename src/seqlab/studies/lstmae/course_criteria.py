"""The criteria that judge the LSTM-autoencoder course report's claims (Practical Deep Learning
HW2) on this study's runs: pure functions, numbers in and a Verdict out, each docstring the rule
in words that the ledger shows as the criterion (tests/test_lstmae_course_criteria.py feeds
them inputs whose verdict is known).

The report reads its numbers off log-scale plots and quotes them as "≈ 0.02" or "on the order of
10^-2", so a quoted number is met within a factor (2 by default) and an order within half a
decade. Comparisons between runs go through ``beats``: a difference inside two standard errors is
within noise, never a win.
"""

from __future__ import annotations

import math
from typing import Sequence

from seqlab.judging.verdicts import (
    FAILS,
    HOLDS,
    MIXED,
    NOISE,
    NOT_COMPARABLE,
    Verdict,
    beats,
    binomial_se,
    by_seed,
    standard_error,
)

STUCK_LEVEL = 0.95  # a loss at or above 95% of the predict-the-mean plateau has learnt only the mean


def _g(x: float) -> str:
    """A loss in the evidence: four significant digits (MSEs run from 1e-1 down to 1e-5)."""
    return f"{x:.4g}"


def _r(x: float) -> float:
    """A number for claims.json: seven significant digits (decimal places would erase a 1e-5 MSE)."""
    return float(f"{x:.7g}")


def _curve(values: Sequence[float], what: str = "curve") -> list[float]:
    if not values:
        raise ValueError(f"empty {what}")
    return list(values)


def _positive(x: float, what: str) -> None:
    if not x > 0:
        raise ValueError(f"{what} must be positive, got {x}")


def _factor(factor: float) -> None:
    # "within a factor of f" compares max/min, which is never below 1
    if not factor >= 1:
        raise ValueError(f"factor must be >= 1, got {factor}")


def _within(a: float, b: float, factor: float) -> bool:
    """a and b (both positive) within a factor of each other: max/min <= factor."""
    return max(a, b) / min(a, b) <= factor


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean over seeds and its standard error (sample sd over sqrt(n); 0 for a single seed)."""
    values = _curve(values, "list of values")
    return sum(values) / len(values), standard_error(values)


# --- reading one curve ----------------------------------------------------------------------------


def still_falling(values: Sequence[float], window: int = 5, min_drop: float = 0.02) -> bool | None:
    """A loss curve (one value per epoch) is still falling when its last value is more than
    ``min_drop`` (relative) below the value ``window`` epochs earlier. None when the curve has no
    more than ``window`` values (nothing to compare with)."""
    values = _curve(values)
    if window < 1 or not 0 <= min_drop < 1:
        raise ValueError(f"need window >= 1 and 0 <= min_drop < 1, got {window} and {min_drop}")
    if len(values) <= window:
        return None
    return values[-1] < (1 - min_drop) * values[-1 - window]


def escape_epoch(val: Sequence[float], plateau: float, level: float = 0.9) -> int | None:
    """The first epoch (counted from 1) whose validation loss is below ``level`` times the
    predict-the-mean plateau, i.e. the epoch the model starts to learn more than the mean; None if
    it never does."""
    val = _curve(val, "validation curve")
    _positive(plateau, "plateau")
    _positive(level, "level")
    return next((i for i, v in enumerate(val, 1) if v < level * plateau), None)


def jumps(values: Sequence[float], rise: float = 0.2) -> int:
    """How many epochs' loss rises by more than ``rise`` (relative) over the epoch before: the
    spikes a too-large learning rate leaves in a convergence graph."""
    values = _curve(values)
    _positive(rise, "rise")
    return sum(b > (1 + rise) * a for a, b in zip(values, values[1:]))


# --- the claims -------------------------------------------------------------------------------------


def reaches_quoted(values: Sequence[float], quoted: float, factor: float = 2.0) -> Verdict:
    """A seed reaches the quoted validation MSE when its final value is at most ``factor`` times
    the quoted one (a factor of 2 is the precision of reading a log-scale plot). Holds if every
    seed reaches it, does not hold if none does, mixed otherwise."""
    values = _curve(values, "list of seeds")
    _positive(quoted, "the quoted value")
    _factor(factor)
    if min(values) < 0:
        raise ValueError(f"an MSE cannot be negative: {values}")
    passed = [v <= factor * quoted for v in values]
    best = min(values) / quoted
    return Verdict(by_seed(passed),
                   f"final validation MSE per seed {', '.join(map(_g, values))}; {sum(passed)} of {len(values)} at or "
                   f"below {factor:g} × {_g(quoted)}; the best is {best:.3g} × the quoted value",
                   {"values": [_r(v) for v in values], "quoted": _r(quoted), "reached": sum(passed),
                    "seeds": len(values), "best_ratio": _r(best)})


def overfits(train_mean: float, train_sd: float, n_train: int, test_mean: float, test_sd: float, n_test: int,
             materiality: float = 0.1) -> tuple[bool, float, float]:
    """One seed over-fits when its per-signal test MSE (eval mode) exceeds its train MSE by more
    than two standard errors of the difference AND by more than ``materiality`` of the train MSE
    (a significant but tiny gap is not over-fitting). Returns (over-fits, gap, SE of the gap)."""
    if n_train < 1 or n_test < 1:
        raise ValueError(f"need at least one signal per split, got {n_train} and {n_test}")
    if train_sd < 0 or test_sd < 0:
        raise ValueError(f"a standard deviation cannot be negative, got {train_sd} and {test_sd}")
    gap = test_mean - train_mean
    # the two splits are independent signals: the SEs of their means add in quadrature
    se = math.sqrt(train_sd**2 / n_train + test_sd**2 / n_test)
    return beats(gap, se) == HOLDS and gap > materiality * train_mean, gap, se


def no_overfit(seeds: Sequence[dict], plateau: float | None = None) -> Verdict:
    """"No over-fitting": no seed over-fits (see ``overfits``: test MSE above train MSE beyond two
    SE and by more than 10% of it). Holds if no seed over-fits, does not hold if every seed does,
    mixed otherwise. A seed whose train MSE is at or above 95% of the predict-the-mean plateau
    counts as not over-fitting, trivially: it learnt only the mean."""
    if not seeds:
        raise ValueError("no seeds to judge")
    if plateau is not None:
        _positive(plateau, "plateau")
    over, notes, rows = [], [], []
    for i, s in enumerate(seeds):
        o, gap, se = overfits(s["train_mean"], s["train_sd"], s["n_train"], s["test_mean"], s["test_sd"], s["n_test"])
        trivial = plateau is not None and s["train_mean"] >= STUCK_LEVEL * plateau
        o = o and not trivial  # a model that learnt only the mean learnt nothing particular to its training signals
        over.append(o)
        notes.append(f"seed {i}: train {_g(s['train_mean'])}, test {_g(s['test_mean'])}, gap {gap:+.3g} ± {se:.2g} "
                     f"(SE): {'over-fits' if o else 'no over-fitting'}"
                     + (" (trivially: it learnt only the mean)" if trivial else ""))
        rows.append({"train": _r(s["train_mean"]), "test": _r(s["test_mean"]), "gap": _r(gap), "se": _r(se),
                     "overfits": o, "trivial": trivial})
    return Verdict(by_seed([not o for o in over]), f"{sum(over)} of {len(over)} seeds over-fit; " + "; ".join(notes),
                   {"overfit": sum(over), "seeds": len(over), "per_seed": rows})


def smaller_hidden_worse(smaller: float, smaller_se: float, smaller_falling: bool | None, chosen: float,
                         chosen_se: float, approx: float = 0.02, factor: float = 2.0) -> Verdict:
    """"A smaller hidden state converged to a larger error (≈ 0.02)", in three parts: (a) worse:
    its final validation MSE is above the chosen size's by more than two SE of the difference;
    (b) converged: its curve is not still falling at the end; (c) near: its MSE is within a factor
    of ``factor`` of ``approx``. Holds if all three hold; within noise if the difference in (a) is;
    does not hold if the smaller size is better beyond noise; mixed if (a) holds but (b) or (c)
    does not."""
    for x, what in ((smaller_se, "smaller_se"), (chosen_se, "chosen_se")):
        if x < 0:
            raise ValueError(f"{what} cannot be negative, got {x}")
    _positive(approx, "approx")
    _factor(factor)
    se = math.sqrt(smaller_se**2 + chosen_se**2)
    worse = beats(smaller - chosen, se)
    converged = smaller_falling is not True  # unknown (a curve too short) does not count against it
    near = approx / factor <= smaller <= approx * factor
    if worse != HOLDS:
        verdict = worse  # the core of the claim: a larger error, or not beyond noise
    else:
        verdict = HOLDS if converged and near else MIXED
    falling = {True: "still falling", False: "flat", None: "too short to tell"}[smaller_falling]
    return Verdict(verdict,
                   f"(a) worse: smaller {_g(smaller)} ± {smaller_se:.2g} against chosen {_g(chosen)} ± "
                   f"{chosen_se:.2g} (SE), difference {smaller - chosen:+.3g} ± {se:.2g}: {worse}; (b) converged: "
                   f"{falling}; (c) near {_g(approx)}: {'yes' if near else 'no'} "
                   f"(within [{_g(approx / factor)}, {_g(approx * factor)}])",
                   {"smaller": _r(smaller), "chosen": _r(chosen), "diff": _r(smaller - chosen), "se": _r(se),
                    "worse": worse, "converged": converged, "near": near})


def larger_hidden_same(larger: dict[int, float], chosen: float, approx: float = 0.0001,
                       factor: float = 2.0) -> Verdict:
    """"A larger hidden state gave almost identical results (≈ 0.0001)": a larger size passes when
    its final validation MSE is within a factor of ``factor`` of the chosen size's AND at most
    ``factor`` times ``approx``. Holds if every larger size passes, does not hold if none does,
    mixed otherwise; not comparable when no larger size ran."""
    if not larger:
        return Verdict(NOT_COMPARABLE, "no larger hidden size ran in this run")
    _positive(chosen, "chosen")
    _positive(approx, "approx")
    _factor(factor)
    for h, v in larger.items():
        _positive(v, f"the MSE at hidden size {h}")
    same = {h: _within(v, chosen, factor) and v <= approx * factor for h, v in sorted(larger.items())}
    per_size = "; ".join(f"H={h}: {_g(larger[h])} ({larger[h] / chosen:.3g} × chosen, {'same' if s else 'not same'})"
                         for h, s in same.items())
    return Verdict(by_seed(list(same.values())),
                   f"chosen size {_g(chosen)}; {per_size} (same: within {factor:g}× of it and at most "
                   f"{_g(approx * factor)})",
                   {"chosen": _r(chosen),
                    "sizes": {f"H{h}": {"value": _r(larger[h]), "same": s} for h, s in same.items()}})


def lr_effects(plateau: float, chosen: dict, larger: dict | None = None, smaller: dict | None = None,
               too_small: dict | None = None, rise: float = 0.2) -> Verdict:
    """"A larger learning rate resulted in jumps in the convergence graph (a) and a smaller learning
    rate decreased the convergence factor (b) and even got stuck when it was too small (c)", each
    part judged only where its run ran. (a) jumps: the larger rate's train and validation curves
    together have at least 2 epochs rising by more than ``rise`` over the epoch before, and more
    than the chosen rate's. (b) slower: the smaller rate escapes the predict-the-mean plateau (val
    below 90% of it) at a later epoch than the chosen rate, or never while the chosen rate does, or,
    neither escaping, ends higher. (c) stuck: the too-small rate's final validation loss is at least
    95% of the plateau. Holds if every part run holds, does not hold if none does, mixed otherwise;
    not comparable if no part ran."""
    _positive(plateau, "plateau")
    parts: dict[str, bool] = {}
    notes, numbers = [], {"plateau": _r(plateau), "chosen_lr": chosen["lr"]}

    if larger is not None:
        n_large = jumps(larger["train"], rise) + jumps(larger["val"], rise)
        n_chosen = jumps(chosen["train"], rise) + jumps(chosen["val"], rise)
        parts["a"] = n_large >= 2 and n_large > n_chosen  # one spike is noise; jumps must be the larger rate's own
        notes.append(f"(a) jumps: lr {larger['lr']:g}: {n_large}, chosen lr {chosen['lr']:g}: {n_chosen}")
        numbers.update(larger_lr=larger["lr"], jumps_larger=n_large, jumps_chosen=n_chosen)
    if smaller is not None:
        e_small, e_chosen = escape_epoch(smaller["val"], plateau), escape_epoch(chosen["val"], plateau)
        f_small, f_chosen = smaller["val"][-1], chosen["val"][-1]
        if e_small is not None and e_chosen is not None:
            parts["b"] = e_small > e_chosen
        elif e_chosen is not None or e_small is not None:
            parts["b"] = e_small is None  # only the chosen rate escapes: slower
        else:
            parts["b"] = f_small > f_chosen  # neither escapes: the one left higher is slower
        notes.append(f"(b) slower: escapes the plateau at epoch {e_small or 'never'} (lr {smaller['lr']:g}, final "
                     f"{_g(f_small)}) against {e_chosen or 'never'} (chosen lr {chosen['lr']:g}, final {_g(f_chosen)})")
        numbers.update(smaller_lr=smaller["lr"], escape_smaller=e_small, escape_chosen=e_chosen,
                       final_smaller=_r(f_small), final_chosen=_r(f_chosen))
    if too_small is not None:
        final = _curve(too_small["val"], "validation curve")[-1]
        parts["c"] = final >= STUCK_LEVEL * plateau
        notes.append(f"(c) stuck: lr {too_small['lr']:g} ends at {_g(final)}, {final / plateau:.3g} × the plateau "
                     f"{_g(plateau)}")
        numbers.update(too_small_lr=too_small["lr"], final_too_small=_r(final))
    numbers["parts"] = parts
    not_run = [p for p in "abc" if p not in parts]
    if not_run:
        notes.append("not run: " + ", ".join(f"({p})" for p in not_run))
    if not parts:
        return Verdict(NOT_COMPARABLE, "; ".join(notes), numbers)
    shown = [f"({p}) {'holds' if ok else 'does not hold'}" for p, ok in parts.items()]
    return Verdict(by_seed(list(parts.values())), "; ".join(notes) + "; " + ", ".join(shown), numbers)


def clipping_did_not_help(pairs: Sequence[dict]) -> Verdict:
    """"Gradient clipping did not help": in a pair (same setting, clipped and not), clipping helped
    when the unclipped final validation MSE is above the clipped one by more than two SE of the
    difference. Holds if clipping helped in no pair, does not hold if it helped in every pair,
    mixed otherwise."""
    if not pairs:
        raise ValueError("no pairs to judge")
    helped, notes, rows = [], [], {}
    for p in pairs:
        if p["clipped_se"] < 0 or p["unclipped_se"] < 0:
            raise ValueError(f"{p['label']}: a standard error cannot be negative")
        diff, se = p["unclipped"] - p["clipped"], math.sqrt(p["clipped_se"] ** 2 + p["unclipped_se"] ** 2)
        h = beats(diff, se) == HOLDS
        helped.append(h)
        notes.append(f"{p['label']}: clipped {_g(p['clipped'])}, unclipped {_g(p['unclipped'])}, difference "
                     f"{diff:+.3g} ± {se:.2g} (SE): {'helped' if h else 'did not help'}")
        rows[p["label"]] = {"clipped": _r(p["clipped"]), "unclipped": _r(p["unclipped"]), "diff": _r(diff),
                            "se": _r(se), "helped": h}
    return Verdict(by_seed([not h for h in helped]), f"clipping helped in {sum(helped)} of {len(helped)}: "
                   + "; ".join(notes), {"helped": sum(helped), "pairs": len(helped), "per_pair": rows})


def order_of(values: Sequence[float], exponent: int = -2) -> Verdict:
    """"An error on the order of 10^exponent": a seed passes when its error is at most
    10^(exponent + 0.5), i.e. at least that good (half a decade above it would round up to the next
    order). Holds if every seed passes, does not hold if none does, mixed otherwise."""
    values = _curve(values, "list of seeds")
    if min(values) < 0:
        raise ValueError(f"an error cannot be negative: {values}")
    bound = 10 ** (exponent + 0.5)
    passed = [v <= bound for v in values]
    return Verdict(by_seed(passed), f"per seed {', '.join(map(_g, values))}; {sum(passed)} of {len(values)} at or "
                   f"below 10^({exponent}+0.5) = {_g(bound)}",
                   {"values": [_r(v) for v in values], "bound": _r(bound), "passed": sum(passed), "seeds": len(values)})


def accuracy_reaches(acc: float, n: int, quoted: float, comparable: bool, why_not: str = "") -> Verdict:
    """The measured test accuracy reaches the quoted one: it is no more than two binomial standard
    errors (of the quoted accuracy on ``n`` test items) below it. Not comparable where the run
    differs from the quoted one in a way that decides the number (``why_not`` says how)."""
    if n < 1 or not 0 <= acc <= 1 or not 0 < quoted <= 1:
        raise ValueError(f"need n >= 1, acc in [0, 1] and quoted in (0, 1], got {n}, {acc} and {quoted}")
    if not comparable:
        if not why_not:
            raise ValueError("a not comparable verdict must say why")
        return Verdict(NOT_COMPARABLE, f"{why_not}; measured {acc:.4f} on {n:,} items", {"acc": _r(acc), "n": n})
    se = binomial_se(quoted, n)
    ok = acc >= quoted - 2 * se
    return Verdict(HOLDS if ok else FAILS,
                   f"measured {acc:.4f} on {n:,} items against the quoted {quoted:.4f}, less 2 SE ({se:.4f}): "
                   f"{quoted - 2 * se:.4f}",
                   {"acc": _r(acc), "n": n, "quoted": _r(quoted), "se": _r(se)})


def closes_gap(with_train: float, with_val: float, without_train: float, without_val: float, n_train: int,
               n_val: int) -> Verdict:
    """"Dropout closed the train/validation gap, and what remains is negligible", the gap being
    train accuracy less validation accuracy: (a) shrinks: the gap without dropout exceeds the gap
    with it by more than two SE (the four accuracies' binomial SEs in quadrature); (b) negligible:
    the gap with dropout is at most two binomial SE of its validation accuracy. Holds if both;
    mixed if (a) but not (b); does not hold if the gap grows beyond noise or (a) is within noise
    and (b) fails; within noise if (a) is within noise and (b) holds (no gap to close)."""
    if n_train < 1 or n_val < 1:
        raise ValueError(f"need at least one item per split, got {n_train} and {n_val}")
    accs = (with_train, with_val, without_train, without_val)
    if not all(0 <= a <= 1 for a in accs):
        raise ValueError(f"accuracies must be in [0, 1], got {accs}")
    gap_with, gap_without = with_train - with_val, without_train - without_val
    se = math.sqrt(binomial_se(with_train, n_train) ** 2 + binomial_se(without_train, n_train) ** 2
                   + binomial_se(with_val, n_val) ** 2 + binomial_se(without_val, n_val) ** 2)
    shrinks = beats(gap_without - gap_with, se)
    bound = 2 * binomial_se(with_val, n_val)
    negligible = gap_with <= bound
    if shrinks == HOLDS:
        verdict = HOLDS if negligible else MIXED
    elif shrinks == NOISE and negligible:
        verdict = NOISE  # the two gaps are alike and both small: there was nothing to close
    else:
        verdict = FAILS
    return Verdict(verdict,
                   f"(a) shrinks: gap without dropout {gap_without:+.4f}, with {gap_with:+.4f}, difference "
                   f"{gap_without - gap_with:+.4f} ± {se:.4f} (SE): {shrinks}; (b) negligible: {gap_with:+.4f} "
                   f"against 2 SE of the validation accuracy {bound:.4f}: {'yes' if negligible else 'no'}",
                   {"gap_with": _r(gap_with), "gap_without": _r(gap_without), "se": _r(se), "shrinks": shrinks,
                    "negligible_bound": _r(bound), "negligible": negligible})


def similarly_minimized(first: Sequence[float], second: Sequence[float], factor: float = 2.0) -> Verdict:
    """"Both losses were minimized similarly", on two validation curves (reconstruction and
    prediction): (a) their final values are within a factor of ``factor`` of each other; (b) their
    log-drops ln(first epoch / last epoch) are within a factor of ``factor`` of each other (a curve
    that did not drop fails (b)). Holds if both, does not hold if neither, mixed otherwise."""
    first, second = _curve(first, "first curve"), _curve(second, "second curve")
    _factor(factor)
    if min(first + second) <= 0:
        raise ValueError("losses must be positive to compare their logarithms")
    finals = _within(first[-1], second[-1], factor)
    d1, d2 = math.log(first[0] / first[-1]), math.log(second[0] / second[-1])
    drops = d1 > 0 and d2 > 0 and _within(d1, d2, factor)
    return Verdict(by_seed([finals, drops]),
                   f"(a) final values {_g(first[-1])} and {_g(second[-1])}: "
                   f"{'within' if finals else 'not within'} {factor:g}×; (b) log-drops {d1:.3g} and {d2:.3g}: "
                   f"{'within' if drops else 'not within'} {factor:g}×",
                   {"final_first": _r(first[-1]), "final_second": _r(second[-1]), "drop_first": _r(d1),
                    "drop_second": _r(d2), "finals_close": finals, "drops_close": drops})
