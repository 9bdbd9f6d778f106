"""The report's Add2Digits section (the Northwestern course's RNN-vs-LSTM task), read from the
study's stage outputs only."""

from __future__ import annotations

import math
import statistics

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import binomial_se
from seqlab.present.markdown import fig, table, training_cost
from seqlab.studies.add2digits.criteria import EXPLODE, FALL_FACTOR, VANISH, falls
from seqlab.studies.add2digits.params import MODELS, Add2DigitsParams

STUDY = "add2digits"
CONTENTS = "Add2Digits (Northwestern: RNN vs LSTM)"
NAMES = {"rnn": "RNN", "lstm": "LSTM"}


def _seeds(values: list[float], fmt: str = ".3f") -> str:
    return ", ".join(format(v, fmt) for v in values)


def _group(res: dict, protocol: str, model: str, L: int) -> list[dict]:
    return sorted((r for r in res["runs"] if (r["protocol"], r["model"], r["L"]) == (protocol, model, L)),
                  key=lambda r: r["seed"])


def settings_table(res: dict) -> str:
    c, copy, fixed, net = res["course"], res["copy"], res["course_fixed"], res["network"]
    rows = [
        ("task: L digits, one -1 marker in [0, L-3], label = digit after it + last digit, one-hot over 11", "fixed (its "
         "Add2DigitsDataset)", "the course's", "the course's"),
        ("network: nn.RNN (tanh) or nn.LSTM, last output -> Linear(H, 19), torch's default init", "fixed (its MyRNN)",
         "the course's", "the course's"),
        ("lengths L", ", ".join(map(str, fixed["lengths"])), "5, 10, 30", ", ".join(map(str, res["lengths"]))),
        ("hidden, layers", f"{fixed['hidden']}, {fixed['layers']}", "128, 2", f"{net['hidden']}, {net['layers']}"),
        ("loss, optimiser", "open", f"cross-entropy, Adam {copy['lr']:g}", f"cross-entropy, Adam {c['lr']:g}"),
        ("training data", "open", f"{copy['n_train']:,} fixed, reshuffled per epoch", f"{c['n_train']:,} fixed, "
         "reshuffled per epoch"),
        ("validation", "open", f"{copy['n_val']:,} fresh, same L", f"{c['n_val']:,} fresh, same L"),
        ("batch, epochs", "open", f"{copy['batch_size']}, {copy['epochs']}", f"{c['batch_size']}, {c['epochs']} "
         f"({c['updates']:,} updates)"),
        ("curves", "per training step", "per epoch", "per epoch (each step's training loss recorded too)"),
        ("runs per model and L", "open", "one, unseeded", f"{len(res['seeds'])}, seeded"),
    ]
    return table([{"setting": a, "the course (HW4 2.2)": b, "the published copy": d, "this run": e}
                  for a, b, d, e in rows])


def results_table(res: dict, L: int) -> str:
    rows = []
    for m in MODELS:
        course, fresh = _group(res, "course", m, L), _group(res, "corrected", m, L)
        rows.append({
            "model": NAMES[m],
            "training loss, first → last epoch (copy's)": "; ".join(
                f"{r['train_loss'][0]:.3f} → {r['train_loss'][-1]:.3f}{' (falls)' if falls(r['train_loss']) else ''}"
                for r in course),
            f"validation acc ({res['course']['n_val']}, copy's)": _seeds([r["val_acc"][-1] for r in course]),
            "training loss, last epoch (fresh batches)": _seeds([r["train_loss"][-1] for r in fresh]) if fresh else "not run",
            f"judge acc ({res['judge']['n']:,}, fresh batches)": _seeds([r["judge_acc"] for r in fresh]) if fresh else "not run",
        })
    return table(rows)


def gradient_table(res: dict) -> str:
    names = {"init": "at init", "course": "trained, copy's protocol", "corrected": "trained, fresh batches"}
    rows = []
    for m in MODELS:
        for state, name in names.items():
            g = [r for r in res["grads"] if r["model"] == m and r["state"] == state]
            if not g:
                continue
            row = {"model": NAMES[m], "weights": name}
            for L in res["lengths"]:
                at = sorted((r for r in g if r["L"] == L), key=lambda r: r["seed"])
                row[f"L={L}"] = _seeds([r["ratio"] for r in at], ".3g") if at else "-"
            rows.append(row)
    return table(rows)


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def probe_rows(res: dict) -> list[dict]:
    rows = []
    for rho in res["gradients"]["rhos"]:
        row = {"rho": f"{rho:g}"}
        for L in res["lengths"]:
            at = [r for r in res["probe"] if r["rho"] == rho and r["L"] == L]
            ratio = _geomean([r["ratio"] for r in at])
            step = ratio ** (1 / (L - 1))
            dtanh = statistics.fmean(statistics.fmean(r["dtanh"]) for r in at)
            sat = statistics.fmean(statistics.fmean(r["saturated"]) for r in at)
            row[f"L={L}: ratio (per step), tanh', |h|>0.99"] = f"{ratio:.3g} ({step:.2f}), {dtanh:.2f}, {sat:.1%}"
        rows.append(row)
    return rows


def saturation_finding(res: dict) -> str:
    """What the largest radius does: growth per step at the shortest and longest L, and the tanh
    derivative there, read from the probe."""
    high, lengths = max(res["gradients"]["rhos"]), res["lengths"]
    short, long_ = min(lengths), max(lengths)

    def at(L: int) -> tuple[float, float, float]:
        rows = [r for r in res["probe"] if r["rho"] == high and r["L"] == L]
        ratio = _geomean([r["ratio"] for r in rows])
        return ratio, ratio ** (1 / (L - 1)), statistics.fmean(statistics.fmean(r["dtanh"]) for r in rows)

    (_, g_s, d_s), (r_l, g_l, d_l) = at(short), at(long_)
    exploded = r_l > EXPLODE
    return (f"**Saturation.** At rho = {high:g} the units' mean tanh derivative falls from {d_s:.2f} at L={short} to "
            f"{d_l:.2f} at L={long_} (more steps drive more units towards ±1), so the gradient's growth per step falls "
            f"from {g_s:.2f} to {g_l:.2f}: saturation damps the explosion. "
            + (f"It does not stop it here: the ratio still reaches {r_l:.3g} at L={long_} (geometric mean over seeds), "
               f"above the threshold {EXPLODE:g}: the larger radius outweighs the smaller derivative. Each backward "
               "step through a unit multiplies by its tanh derivative, so a unit near ±1 passes back almost nothing; "
               "the sentence's explosion holds only as far as the units stay off saturation." if exploded else
               f"Here it stops it: the ratio at L={long_} is {r_l:.3g} (geometric mean over seeds), below the "
               f"threshold {EXPLODE:g}. A tanh RNN cannot blow its gradient up without bound: the larger its "
               "recurrent weights, the more its units saturate and the less each step passes back."))


def section(p: Add2DigitsParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    L_max, n_val, n_judge = max(res["lengths"]), res["course"]["n_val"], res["judge"]["n"]
    course_runs = [r for r in res["runs"] if r["protocol"] == "course"]
    overlap = {L: {k: statistics.fmean(r[k] for r in course_runs if r["L"] == L) for k in ("val_in_train", "judge_in_train")}
               for L in res["lengths"]}
    out = [
        "## Add2Digits: RNN against LSTM, as the Northwestern course set it",
        "",
        "The Northwestern report's RNN-vs-LSTM claim comes from its homework's own task (HW4 question 2; "
        "../shared/COURSES.md §5), not palindromes. Each sequence is L digits 0–9 in which one position, uniform in "
        "[0, L−3], is overwritten by the marker −1; the label is the digit right after the marker plus the last digit "
        "(19 classes, 0–18), read one-hot over 11 tokens. The network is the course's: `nn.RNN` (tanh) or `nn.LSTM`, "
        "hidden 128, 2 layers, the top layer's last output into `Linear(128, 19)`, torch's default init. The report shows "
        "an \"RNN Loss\" and an \"LSTM Loss\" image and concludes that the example supports the theory that the LSTM "
        "mitigates the exploding/vanishing gradient problem as the sequence length grows; it states no L and no number.",
        "",
        "**What the course fixed, and what the published copy chose.** The course fixes the task, L, the hidden size "
        "and the layers, and asks for loss and accuracy curves per training step; it leaves the loss, optimiser, data "
        "sizes, batch, epochs and seeds open. The report's author keeps the code private, so the protocol run here is a "
        "published filled-in copy's (luhsin23/Deep-Learning, `4_Autoencoder_RNN_DeepRL.md` @a389d49):",
        "",
        settings_table(res),
        "",
        "The copy's own final numbers (quoted, one unseeded run each): at L=30 the RNN's training loss went from "
        "2.72 to 1.89 with validation accuracy 0.16, the LSTM's to 0.049 with validation accuracy 1.0; at L=5 and 10 "
        "both models learned.",
        "",
        "**seqlab's corrected protocol, beside it.** The same networks, optimiser and number of updates, with two "
        "changes. Every batch is fresh: the copy's fixed 5,000 sequences can be memorised (its L=30 RNN's training loss "
        "fell while its validation accuracy stayed at 0.16), so only on fresh data does a falling training loss mean the "
        f"task was learned. And each run is scored on a judge set of {n_judge:,} sequences per L that no run trains on "
        f"(the fresh stream skips them): the copy's {n_val}-sequence validation set has a binomial standard error of "
        f"{binomial_se(0.5, n_val):.3f} at accuracy 0.5, the judge set {binomial_se(0.5, n_judge):.3f}. "
        + (f"It runs at L = {', '.join(map(str, res['corrected_lengths']))} "
           "(add2digits.corrected.lengths; the default run keeps the copy's protocol whole and the corrected one at the "
           "claim's L, to stay inside its time budget)." if res["corrected_lengths"] else
           "It is off in this run (add2digits.corrected.lengths is empty)."),
        "",
        "Short sequences repeat (there are (L−2) × 10^(L−1) distinct ones: "
        + ", ".join(f"{(L - 2) * 10 ** (L - 1):.0e} at L={L}" for L in res["lengths"])
        + f"). At L = {', '.join(map(str, res['lengths']))} the copy's validation set shares "
        + ", ".join(f"{overlap[L]['val_in_train']:.1%}" for L in res["lengths"])
        + " of its sequences with its training set, and the training set holds "
        + ", ".join(f"{overlap[L]['judge_in_train']:.1%}" for L in res["lengths"])
        + " of the judge set (means over seeds): where these are not zero, the copy's held-out scores are partly on "
        "sequences it trained on. The corrected protocol's fresh stream skips every judge sequence.",
        "",
    ]
    for L in res["lengths"]:
        out += [f"### L = {L}", "", results_table(res, L), "",
                fig(STUDY, f"curves_L{L}.png", f"Add2Digits at L={L}, the copy's protocol: RNN beside LSTM"), ""]
        if L in res["corrected_lengths"]:
            out += [fig(STUDY, f"corrected_L{L}.png", f"Add2Digits at L={L}, fresh batches: RNN beside LSTM"), ""]
    out += [
        f"A loss *falls* (the ledger's rule) when its last epoch's mean is below {FALL_FACTOR:g} × its first. "
        "The dotted line at ln 10 = 2.30 nats is the loss of a model that has learned only the last digit.",
        "",
        "### Gradient flow",
        "",
        "The report's theory sentence says the gradient reaching early steps vanishes or explodes with length. Measured "
        f"here as the mean over {res['gradients']['batch']} judge-set sequences of ||d loss / d x_t|| for every input "
        "position t (x the one-hot input, the loss summed over the sequences), for each model, L and seed at "
        "initialisation and after training. The table gives the ratio of the first position's to the last's, per seed:",
        "",
        gradient_table(res),
        "",
        "The RNN's recurrent matrices at torch's default init have spectral radius "
        + "; ".join("/".join(f"{v:.2f}" for v in r["radii"]) for r in res["radii"] if r["state"] == "init")
        + " (per seed, per layer), below 1; after the copy's training "
        + "; ".join(f"L={r['L']}: " + "/".join(f"{v:.2f}" for v in r["radii"]) for r in res["radii"]
                    if r["state"] == "course")
        + ".",
        "",
        fig(STUDY, "gradients.png", "Gradient norm against input position"),
        "",
        "### The theory sentence, probed",
        "",
        "The course's RNN at initialisation, with each layer's W_hh rescaled to spectral radius rho (the grid fixed "
        f"before measuring), at each L and {len(res['gradients']['probe_seeds'])} seeds: the first/last ratio "
        "(geometric mean over seeds, and per step: its (L−1)-th root), the mean tanh derivative 1 − h² over units, "
        "steps and sequences, and the share of units with |h| > 0.99. The ledger judges the sentence at the grid's ends "
        f"(vanishing: below {VANISH:g} at L={L_max}; exploding: above {EXPLODE:g}).",
        "",
        table(probe_rows(res)),
        "",
        saturation_finding(res),
        "",
        fig(STUDY, "rho_probe.png", "First/last gradient ratio against L for each recurrent radius"),
        "",
        f"Training cost: {training_cost(res['runs'])}. MLflow experiment `add2digits` (a parent run per protocol, model "
        "and L, a child per seed).",
        "",
    ]
    return out
