"""The CS324 report's palindrome claims judged on the course's own protocol (stages
palindrome_course_*: the student's assignment-3 LSTM and assignment-2 RNN as their scripts ran),
with seqlab's one-hot headline study's answer as each row's ``corrected``.

Every row reads reports/palindrome_course/results.json; its criterion is a pure function of
seqlab.studies.palindrome.course_criteria, tested there for every verdict it can return.
"""

from __future__ import annotations

from seqlab.judging.verdicts import COURSE, NOT_COMPARABLE, Claim, Verdict, fmt
from seqlab.studies.palindrome import course_criteria as cc

SOURCE = "cs324"

# The report's own words (../shared/seeds/002_b6e41ffd8ddbd0b2.txt; tests/test_ledger_quotes.py checks each).
RNN_FAILED = ("The recurrent neural network (RNN) from the last assignment failed to accurately predict the last "
              "digit of a long palindrome.")
LSTM_WELL = "The LSTM model performs well on palindromes with different lengths."

SEEDED = ("seeds: {n} seeded runs per length (seeds {seeds}: each seeds the palindromes drawn, the 80/20 split and the "
          "initial weights); the student trained one unseeded run per length")
FUSED = ("implementation: torch's fused nn.LSTM / nn.RNN holding the student's per-gate nn.Linear parameters (two "
         "biases per gate, drawn at torch's default init in the order its constructor draws them); its extra zero "
         "bias tensors (never trained) and its (hidden, hidden) initial state (zeros, as batch == hidden) are left out "
         "as no-ops; float32 on this run's {device} where the student ran on a GPU")
DATASET = ("data: the course template's PalindromeDataset generator; the student's assignment-3 copy of dataset.py is "
           "not in its repository (its assignment-2 copy is the same generator)")


def _groups(res: dict, variant: str) -> dict[int, dict]:
    return {g["T"]: g for g in res["groups"] if g["variant"] == variant}


def _finals(groups: dict[int, dict]) -> dict[int, list[float]]:
    return {T: [r["final_val_acc"] for r in g["runs"]] for T, g in groups.items()}


def _common(res: dict) -> list[str]:
    p = res["params"]
    return [SEEDED.format(n=len(p["seeds"]), seeds=", ".join(map(str, p["seeds"]))),
            FUSED.format(device=res.get("device", p["device"]).upper()), DATASET]


def _cuts(groups: dict[int, dict], what: str) -> list[str]:
    """Each length's departures from the student's sizes and settings, e.g. 'LSTM T=20: epochs: 1 (course: 100)'."""
    return [f"{what} T={T}: {d}" for T, g in sorted(groups.items()) for d in g["deviations"]]


def curve_notes(groups: dict[int, dict], target: float) -> str:
    """Per length: the peak, the first epoch at the target and how often a run fell back below it."""
    out = []
    for T, g in sorted(groups.items()):
        curves = [r["val_acc_curve"] for r in g["runs"]]
        first = [cc.first_reached(c, target) for c in curves]
        epochs = f"{g['epochs']:,} epoch" + ("s" if g["epochs"] != 1 else "")
        out.append(f"T={T} ({epochs}): peak {fmt([r['peak_val_acc'] for r in g['runs']])}; first at {target:g} in "
                   f"epoch {', '.join(str(f) if f else 'never' for f in first)}; times it fell back below "
                   f"{target:g}: {', '.join(str(cc.falls(c, target)) for c in curves)}")
    return "; ".join(out)


def _cut_note(groups: dict[int, dict]) -> str:
    cut = [f"T={T}" for T, g in sorted(groups.items()) if any(d.startswith("epochs") for d in g["deviations"])]
    return (f"; {' and '.join(cut)} ran fewer epochs than the course (palindrome.course.scale: default): a longer "
            "run could change the verdict" if cut else "")


def lstm_performs_well(res: dict, target: float, corrected: str) -> Claim:
    lstm = _groups(res, "lstm")
    lengths = sorted(lstm)
    criterion = (f"On the student's LSTM as its script ran it, \"performs well\" read as: every seed's validation accuracy "
                 f"after its last epoch reaches {target:.0%} (palindrome.evaluate.target_acc) at every length trained, "
                 f"the report's T = 5 and 20. Holds if every (length, seed) run does, does not hold if none does, mixed "
                 "otherwise; not comparable when no length ran. The student's own logs (quoted, job.15867.out and "
                 "job.15865.out): T = 5 held 1.0 from its 53rd epoch to its 100th; T = 20 touched 1.0 from its second "
                 "epoch but kept falling back to plateaus near 0.70, 0.80 and 0.90 and ended at 0.898, which this rule "
                 "would not count as performing well.")
    v = cc.performs_well(_finals(lstm), target, lengths)
    if v.verdict != NOT_COMPARABLE:
        fixed = _finals(_groups(res, "lstm_corrected"))
        beside = "; ".join(f"T={T}: {fmt(a)}" for T, a in sorted(fixed.items()))
        evidence = (f"final-epoch validation accuracy per seed: {v.evidence}. Curves: {curve_notes(lstm, target)}"
                    f"{_cut_note(lstm)}. The same LSTM with one softmax (logits into the loss), same data and "
                    f"weights: {beside or 'not run (palindrome.course.corrected)'}")
        v = Verdict(v.verdict, evidence, v.numbers)
    devs = (*_cuts(lstm, "LSTM"), *_common(res))
    return Claim("palindrome.lstm_solves_T", LSTM_WELL, SOURCE, criterion, v, COURSE, devs, corrected)


def rnn_failed_long(res: dict, target: float, corrected: str) -> Claim:
    rnn = _groups(res, "rnn")
    long = max(rnn) if len(rnn) > 1 else None
    criterion = ("The report names no length. The student's own RNN runs (assignment 2) were T = 5 and T = 20, and the "
                 "T = 20 one is the one that failed (quoted, output_t=20.txt: validation accuracy 0.524 after its second "
                 "epoch, then about 0.20 to its last; output_t=5.txt ended at 1.0), so a *long* palindrome is the "
                 "longest length trained here (the report's T = 20), and \"failed to accurately predict\" a validation "
                 f"accuracy after the last epoch below {target:.0%} (palindrome.evaluate.target_acc). Holds if no seed's "
                 "reaches it, does not hold if every one does, mixed otherwise; not comparable with a single length. "
                 "The shorter lengths are shown beside it. As the student's script ran: its StepLR(step_size=100, "
                 "gamma=0.1) is built but never stepped, so RMSprop keeps lr 0.001 throughout.")
    finals = _finals(rnn)
    if long is None:
        v = Verdict(NOT_COMPARABLE, f"one RNN length only: {sorted(rnn)}")
    else:
        v = cc.fails_long(finals[long], target, long)
        beside = "; ".join(f"T={T}: {fmt(a)}" for T, a in sorted(finals.items()) if T != long)
        v = Verdict(v.verdict, f"final-epoch validation accuracy per seed: {v.evidence}; beside it, {beside}. Curves: "
                               f"{curve_notes(rnn, target)}{_cut_note(rnn)}", v.numbers)
    devs = ("model: the RNN \"from the last assignment\" is the student's assignment-2 script; its T = 20 settings are "
            "not stored (its train.py shows INPUT_LENGTH 4): only the length is assumed changed",
            *_cuts(rnn, "RNN"), *_common(res))
    return Claim("palindrome.rnn_breaks_above_T", RNN_FAILED, SOURCE, criterion, v, COURSE, devs, corrected)


def course_claims(res: dict, target: float, lstm_corrected: str, rnn_corrected: str) -> list[Claim]:
    """The two rows on the course protocol's results, each with seqlab's answer as ``corrected``."""
    return [lstm_performs_well(res, target, lstm_corrected), rnn_failed_long(res, target, rnn_corrected)]
