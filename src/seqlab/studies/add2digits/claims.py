"""The Northwestern report's RNN-vs-LSTM claims, judged on the Add2Digits runs (stages
add2digits_*): the course's task and network, on the protocol a published filled-in copy of the
homework ran, with seqlab's corrected protocol (fresh batches, a 2,000-sequence judge set) as each
row's ``corrected``.

Every row reads reports/add2digits/results.json; its criterion is a pure function of
seqlab.studies.add2digits.criteria, tested there for every verdict it can return.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import COURSE, NOT_COMPARABLE, Claim, Verdict, binomial_se
from seqlab.studies.add2digits import criteria as cr
from seqlab.studies.add2digits.params import Add2DigitsParams

STUDY = "add2digits"
SOURCE = "northwestern"

# The report's own words (../shared/seeds/000_*.txt; python -m seqlab.tools.quotes checks each).
CONCLUSION = ("This example helps support the theory above, that the LSTM helps mitigate against the "
              "exploding/vanishing gradients problem as the sequence length increases.")
THEORY = ("In a traditional RNN, when weights are less than 1, as the length of the sequence increases, "
          "backpropogation would have the weights approach 0, and when the weights are greater than 1, they "
          "approach infinity.")


def protocol_deviations(res: dict) -> list[str]:
    """How the default run's training departs from the course's task and the copy's protocol."""
    c, copy, fixed = res["course"], res["copy"], res["course_fixed"]
    out = ["protocol: the course fixes only the task, the lengths (5, 10, 30), hidden 128 and 2 layers; the "
           "cross-entropy, Adam at 0.001, batch 32, 5,000 training and 200 validation examples and 20 epochs are a "
           "published filled-in copy's choices (luhsin23/Deep-Learning, 4_Autoencoder_RNN_DeepRL.md @a389d49), not the "
           "course's; the report's author keeps the code private, so its own settings are unknown"]
    out += [f"{k}: {c[k]:,} (the copy's: {v:,})" if isinstance(v, int) else f"{k}: {c[k]:g} (the copy's: {v:g})"
            for k, v in copy.items() if c[k] != v]
    if res["lengths"] != fixed["lengths"]:
        out.append(f"lengths: {res['lengths']} (the course's: {fixed['lengths']})")
    out += [f"{k}: {res['network'][k]} (the course's: {fixed[k]})" for k in ("hidden", "layers")
            if res["network"][k] != fixed[k]]
    n = len(res["seeds"])
    out.append(f"seeds: {n} seeded run{'s' if n > 1 else ''} per model and L (seeds {', '.join(map(str, res['seeds']))}), "
               "each seed fixing its data, weights and batch order; the copy ran one unseeded run per model and L")
    out.append("curves per epoch, as the copy plotted them; the course asked for them per training step (each run's "
               "per-step training loss is in its history.csv and MLflow run)")
    out.append("an epoch's training loss and accuracy: the mean over its batches, each taken before its update and "
               "weighted by its examples (the copy's averaging is not recorded)")
    return out


def _runs(res: dict, protocol: str) -> dict[int, dict[str, list[dict]]]:
    """L -> model -> the protocol's runs, in seed order."""
    out: dict[int, dict[str, list[dict]]] = {}
    for r in res["runs"]:
        if r["protocol"] == protocol:
            out.setdefault(r["L"], {}).setdefault(r["model"], []).append(r)
    return {L: {m: sorted(rs, key=lambda r: r["seed"]) for m, rs in ms.items()} for L, ms in out.items()}


def loss_verdict(res: dict, protocol: str) -> Verdict | None:
    """Row 1's rule on one protocol's runs (None where the protocol ran no length)."""
    runs = _runs(res, protocol)
    if not runs:
        return None
    key = "val_acc" if protocol == "course" else "judge_acc"
    curves = {L: {m: [r["train_loss"] for r in ms[m]] for m in ("lstm", "rnn")} for L, ms in runs.items()}
    accs = {L: {m: [r[key] if key == "judge_acc" else r[key][-1] for r in ms[m]] for m in ("lstm", "rnn")}
            for L, ms in runs.items()}
    what = (f"validation ({res['course']['n_val']} sequences)" if protocol == "course"
            else f"judge set ({res['judge']['n']:,} sequences never trained on)")
    return cr.lstm_falls_rnn_not(curves, accs, what)


def ratios(rows: list[dict], **match) -> dict[int, list[float]]:
    """L -> per-seed first/last ratios of the rows matching ``match``, in seed order."""
    out: dict[int, list[tuple[int, float]]] = {}
    for r in rows:
        if all(r[k] == v for k, v in match.items()):
            out.setdefault(r["L"], []).append((r["seed"], r["ratio"]))
    return {L: [v for _, v in sorted(pairs)] for L, pairs in out.items()}


def _at_longest(rows: list[dict], L: int, **match) -> str:
    values = ratios(rows, **match).get(L)
    return "not run" if not values else "/".join(f"{v:.3g}" for v in values)


def default_init_answer(res: dict) -> str:
    """Row 2 on the networks the course trained: torch's default init, then trained."""
    g, L = res["grads"], max(res["lengths"])
    init = [r["radii"] for r in res["radii"] if r["state"] == "init"]
    radii = "; ".join("/".join(f"{v:.2f}" for v in layers) for layers in init)
    lines = []
    if len(res["lengths"]) >= 2:
        v = cr.vanishing(ratios(g, state="init", model="rnn"))
        lines.append(f"the course's RNN at torch's default init (W_hh spectral radius per layer {radii}), by the "
                     f"vanishing rule: {v.verdict}; {v.evidence}")
    lines.append(f"first/last ratio at L={L} per seed: RNN at init {_at_longest(g, L, state='init', model='rnn')}, after "
                 f"the copy's training {_at_longest(g, L, state='course', model='rnn')}, after fresh-batch training "
                 f"{_at_longest(g, L, state='corrected', model='rnn')}; LSTM at init "
                 f"{_at_longest(g, L, state='init', model='lstm')}, after the copy's training "
                 f"{_at_longest(g, L, state='course', model='lstm')}, after fresh-batch training "
                 f"{_at_longest(g, L, state='corrected', model='lstm')}")
    return "; ".join(lines)


def claims(p: Add2DigitsParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    devs = protocol_deviations(res)
    L = max(res["lengths"])
    rows = []

    course = loss_verdict(res, "course")
    fresh = loss_verdict(res, "corrected")
    corrected_L = max(res["corrected_lengths"]) if res["corrected_lengths"] else None
    if fresh is None or corrected_L != L:
        judged = {m: [r["judge_acc"] for r in _runs(res, "course")[L][m]] for m in ("lstm", "rnn")}
        on_judge = (f"the copy's runs scored on the judge set ({res['judge']['n']:,} sequences at L={L} never trained "
                    f"on; its {res['course']['n_val']}-sequence validation set has a standard error of "
                    f"{binomial_se(0.5, res['course']['n_val']):.3f} at accuracy 0.5): LSTM "
                    f"{'/'.join(f'{a:.3f}' for a in judged['lstm'])}, RNN {'/'.join(f'{a:.3f}' for a in judged['rnn'])}")
        corrected = (f"{on_judge}. The fresh-batch protocol is off (add2digits.corrected.lengths: "
                     f"{res['corrected_lengths']})" if fresh is None else
                     f"{on_judge}; fresh batches at L={corrected_L}, not the longest L={L}: {fresh.verdict}; "
                     f"{fresh.evidence}")
    else:
        corrected = (f"fresh batches, the same networks, optimiser and {res['course']['updates']:,} updates, by the same "
                     f"rule: {fresh.verdict}; {fresh.evidence}")
    rows.append(Claim(
        "add2digits.lstm_loss_falls_rnn_not", CONCLUSION, SOURCE,
        "The report has no sentence saying the LSTM's loss falls and the RNN's does not: that is carried by its two loss "
        "images (\"RNN Loss\", \"LSTM Loss\") above this conclusion, which is judged here as that comparison. A run's "
        f"training loss *falls* when its last epoch's mean training loss is below {cr.FALL_FACTOR:g} × its first "
        f"epoch's. At the longest L ({L}; the report never states its L, and the copy's runs show the pattern only "
        "there): holds if every LSTM seed's loss falls and no RNN seed's does; does not hold if every RNN seed's falls "
        "too, or no LSTM seed's does; mixed otherwise.",
        course, COURSE, tuple(devs + [f"judged at L={L}: the report states no L"]), corrected))

    probe = res["probe"]
    rhos = res["gradients"]["rhos"]
    low, high = min(rhos), max(rhos)
    if len(res["lengths"]) >= 2:
        verdict = cr.gradients_vanish_explode(ratios(probe, rho=low), ratios(probe, rho=high), low, high)
    else:
        verdict = Verdict(NOT_COMPARABLE, f"one length only ({res['lengths']}): no trend with L to judge")
    lengths = ", ".join(map(str, res["lengths"]))
    rows.append(Claim(
        "add2digits.rnn_gradients_vanish_explode", THEORY, SOURCE,
        "Read \"the weights\" that approach 0 or infinity as the gradient that reaches the early steps, and \"weights "
        "less/greater than 1\" as the spectral radius of the recurrent matrix W_hh. Probe: the course's RNN (2 layers, "
        f"hidden {res['network']['hidden']}, tanh) at torch's default init with each layer's W_hh rescaled to radius "
        f"rho in {{{', '.join(f'{r:g}' for r in rhos)}}} (fixed before measuring), at L = {lengths}, "
        f"{len(res['gradients']['probe_seeds'])} seeds; the ratio ||d loss/d x_1|| / ||d loss/d x_L|| (x the one-hot "
        f"input, the mean over {res['gradients']['batch']} judge-set sequences, the loss summed over them). Judged at "
        f"the grid's ends: *vanishing* if at rho = {low:g} the ratio falls with L and is below {cr.VANISH:g} at L={L} in "
        f"every seed; *exploding* if at rho = {high:g} it rises with L and exceeds {cr.EXPLODE:g} at L={L} in every "
        "seed. Holds if both, mixed if one, does not hold if neither.",
        verdict, COURSE,
        ("the report measured nothing: the sentence is theory; the probe is at initialisation, on the course's RNN with "
         "W_hh rescaled (the course trained at torch's default init)",
         "\"the weights approach 0 / infinity\" read as the input gradient at the first step relative to the last",
         f"seeds: {', '.join(map(str, res['gradients']['probe_seeds']))} fix the probe's initial weights; the course's "
         "were unseeded"),
        default_init_answer(res)))
    return rows
