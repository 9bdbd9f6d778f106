"""The criteria that judge the Northwestern report's RNN-vs-LSTM claims on the Add2Digits runs:
pure functions, numbers in and a Verdict out, each docstring the rule in words (tests/test_add2digits.py
feeds them inputs whose verdict is known, for every verdict each can return).

The thresholds were fixed before anything was measured (issue 28's brief):

- a training loss *falls* when its last epoch's mean is below FALL_FACTOR times its first epoch's
  (a run that learns Add2Digits goes from about ln 19 = 2.9 nats to near 0; one that learns only the
  last digit stops near ln 10 = 2.3, a factor of 0.8);
- the gradient reaching the first input *vanishes* when the first/last ratio falls with L and is
  below VANISH at the longest L, and *explodes* when it rises with L and exceeds EXPLODE there.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, Verdict, by_seed

FALL_FACTOR = 0.1
VANISH = 1e-2
EXPLODE = 1e2


def _g(x: float) -> str:
    return f"{x:.3g}"


def falls(curve: Sequence[float], factor: float = FALL_FACTOR) -> bool:
    """One run's per-epoch mean training loss falls: the last epoch's is below ``factor`` times the first's."""
    if not curve:
        raise ValueError("empty loss curve")
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    return curve[-1] < factor * curve[0]


def _seeds(curves: Sequence[Sequence[float]], what: str) -> list[bool]:
    if not curves:
        raise ValueError(f"no {what} seeds to judge")
    return [falls(c) for c in curves]


def _describe(curves: Sequence[Sequence[float]], accs: Sequence[float] | None) -> str:
    parts = []
    for i, c in enumerate(curves):
        acc = "" if accs is None else f", held-out acc {accs[i]:.3f}"
        parts.append(f"{_g(c[0])} → {_g(c[-1])}{' falls' if falls(c) else ''}{acc}")
    return "; ".join(parts)


def lstm_falls_rnn_not(curves: Mapping[int, Mapping[str, Sequence[Sequence[float]]]],
                       accs: Mapping[int, Mapping[str, Sequence[float]]] | None = None,
                       held_out: str = "held-out") -> Verdict:
    """At the longest L in ``curves`` (L -> model -> per-seed epoch loss curves): holds if every
    LSTM seed's loss falls and no RNN seed's does; does not hold if no LSTM seed's falls, or every
    RNN seed's falls too; mixed otherwise. The evidence gives every L, first → last epoch per seed,
    with each seed's final held-out accuracy where ``accs`` has it."""
    if not curves:
        raise ValueError("no lengths to judge")
    L = max(curves)
    lstm, rnn = _seeds(curves[L]["lstm"], "LSTM"), _seeds(curves[L]["rnn"], "RNN")
    if not any(lstm) or all(rnn):
        verdict = FAILS
    elif all(lstm) and not any(rnn):
        verdict = HOLDS
    else:
        verdict = MIXED
    per_L = []
    for length in sorted(curves):
        a = (accs or {}).get(length, {})
        per_L.append(f"L={length}: LSTM {_describe(curves[length]['lstm'], a.get('lstm'))}; "
                     f"RNN {_describe(curves[length]['rnn'], a.get('rnn'))}")
    return Verdict(verdict,
                   f"at L={L}, the LSTM's loss falls in {sum(lstm)} of {len(lstm)} seeds and the RNN's in {sum(rnn)} of "
                   f"{len(rnn)} (falls: last epoch below {FALL_FACTOR:g} × the first). Mean training loss, first → last "
                   f"epoch, per seed ({held_out} accuracy after the last): " + " | ".join(per_L),
                   {"L": L, "lstm_falls": sum(lstm), "rnn_falls": sum(rnn), "lstm_seeds": len(lstm), "rnn_seeds": len(rnn),
                    **{f"L{length}": {m: [[round(c[0], 6), round(c[-1], 6)] for c in curves[length][m]]
                                      for m in ("lstm", "rnn")} for length in sorted(curves)}})


# --- gradients ------------------------------------------------------------------------------------


def _per_seed(ratios: Mapping[int, Sequence[float]]) -> list[list[float]]:
    """L -> per-seed ratios, as per-seed lists in the order of L."""
    if len(ratios) < 2:
        raise ValueError("a trend with L needs at least two lengths")
    counts = {len(v) for v in ratios.values()}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every length needs the same, non-zero number of seeds, got {counts}")
    lengths = sorted(ratios)
    return [[ratios[L][i] for L in lengths] for i in range(counts.pop())]


def vanishes(ratios: Sequence[float]) -> bool:
    """One seed's first/last ratios in the order of L: strictly falling, and below VANISH at the longest L."""
    return all(b < a for a, b in zip(ratios, ratios[1:])) and ratios[-1] < VANISH


def explodes(ratios: Sequence[float]) -> bool:
    """One seed's first/last ratios in the order of L: strictly rising, and above EXPLODE at the longest L."""
    return all(b > a for a, b in zip(ratios, ratios[1:])) and ratios[-1] > EXPLODE


def _trend(ratios: Mapping[int, Sequence[float]]) -> str:
    return ", ".join(f"L={L}: {'/'.join(_g(r) for r in ratios[L])}" for L in sorted(ratios))


def vanishing(ratios: Mapping[int, Sequence[float]]) -> Verdict:
    """The vanishing half alone, on L -> per-seed first/last ratios: holds if every seed vanishes,
    does not hold if none does, mixed otherwise."""
    passed = [vanishes(s) for s in _per_seed(ratios)]
    return Verdict(by_seed(passed), f"vanishes in {sum(passed)} of {len(passed)} seeds ({_trend(ratios)})",
                   {"seeds": len(passed), "vanish": sum(passed)})


def gradients_vanish_explode(low: Mapping[int, Sequence[float]], high: Mapping[int, Sequence[float]],
                             low_rho: float, high_rho: float) -> Verdict:
    """``low`` and ``high``: L -> per-seed ratios ||grad at t=1|| / ||grad at t=L|| of the RNN whose
    recurrent matrices have spectral radius ``low_rho`` (< 1) and ``high_rho`` (> 1). Vanishing: in
    every seed at ``low_rho`` the ratio falls with L and is below VANISH at the longest L. Exploding:
    in every seed at ``high_rho`` it rises with L and exceeds EXPLODE there. Holds if both, mixed if
    one, does not hold if neither."""
    if not low_rho < 1 < high_rho:
        raise ValueError(f"need a radius below 1 and one above, got {low_rho} and {high_rho}")
    van = [vanishes(s) for s in _per_seed(low)]
    exp = [explodes(s) for s in _per_seed(high)]
    parts = (all(van), all(exp))
    verdict = by_seed(parts)  # the two halves of the sentence: both, one, or neither hold
    return Verdict(verdict,
                   f"vanishing at radius {low_rho:g} (falls with L, below {VANISH:g} at L={max(low)}): {sum(van)} of "
                   f"{len(van)} seeds (ratio per seed: {_trend(low)}); exploding at radius {high_rho:g} (rises with L, "
                   f"above {EXPLODE:g} at L={max(high)}): {sum(exp)} of {len(exp)} seeds ({_trend(high)})",
                   {"vanish": sum(van), "explode": sum(exp), "seeds": len(van),
                    "low": {str(L): list(v) for L, v in sorted(low.items())},
                    "high": {str(L): list(v) for L, v in sorted(high.items())}})
