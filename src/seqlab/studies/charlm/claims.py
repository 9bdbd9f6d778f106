"""The course's claims about the char-LSTM, judged on this run's outputs."""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.charlm.params import COURSE_ACC, COURSE_STEP, CharParams, course_corpus
from seqlab.judging.verdicts import FAILS, HOLDS, NOT_COMPARABLE, Claim, Verdict, both, by_seed, paired

STUDY = "charlm"
SOURCE = "course report (char-LSTM on Grimms' Fairy Tales)"
ABOUT = 0.02  # "about 0.65": within this of it, or above
SAMPLED = "t1"  # temperature 1: the model's own distribution


def accuracy(p: CharParams, res: dict, curves: pd.DataFrame) -> Claim:
    claim = f"The char-LSTM reaches a next-character accuracy of about {COURSE_ACC} after roughly {COURSE_STEP:,} steps."
    criterion = (f"The held-out accuracy at step {COURSE_STEP:,} (windows as in training) is at least "
                 f"{COURSE_ACC} − {ABOUT} (\"about\"; ±{ABOUT} is over 5 binomial standard errors on the ~50,000 "
                 "held-out characters). Comparable only on Grimms' Fairy Tales and with an evaluation at that step.")
    at = curves.loc[curves["step"] == COURSE_STEP]
    meta = res["meta"]
    if not course_corpus(meta) or not len(at):
        why = (f"the corpus is {meta['title']} ({meta['source']}), not Grimms' Fairy Tales" if not course_corpus(meta)
               else f"no evaluation at step {COURSE_STEP:,} (steps {p.train.steps:,}, every {p.train.eval_every:,})")
        final = res["metrics"]["heldout_acc"]
        return Claim("charlm.accuracy_at_5000", claim, SOURCE, criterion,
                     Verdict(NOT_COMPARABLE, f"{why}; this run's final held-out accuracy is {final:.3f}"))
    acc, train_acc = float(at["heldout_acc"].iloc[0]), float(at["train_acc"].iloc[0])
    reached = res["metrics"]["steps_to_course_acc"]
    evidence = (f"held-out accuracy at step {COURSE_STEP:,}: {acc:.3f} (training batches {train_acc:.3f}); "
                + (f"first reaches {COURSE_ACC} at step {reached:,}" if reached is not None else
                   f"never reaches {COURSE_ACC} in {p.train.steps:,} steps (final {res['metrics']['heldout_acc']:.3f})"))
    return Claim("charlm.accuracy_at_5000", claim, SOURCE, criterion, Verdict(
        HOLDS if acc >= COURSE_ACC - ABOUT else FAILS, evidence,
        {"heldout_acc": round(acc, 6), "train_acc": round(train_acc, 6), "steps_to_course_acc": reached}))


def greedy_loops(p: CharParams, res: dict) -> Claim:
    g = p.generate
    claim = "Greedy decoding falls into loops (\"and said, 'I will …\" recurs)."
    criterion = (f"At the final checkpoint, the greedy continuation of each of the {len(g.starts)} starts "
                 f"({g.measure_length} characters) ends in a loop: a periodic tail of at least two full cycles and 20 "
                 "characters. Holds if every start's does, does not hold if none does, mixed otherwise.")
    m = res["checkpoints"][-1]["modes"]["greedy"]
    looped = [period is not None for period in m["loop_periods"]]
    periods = ", ".join(f"{s!r}: {'period ' + str(q) + ' from char ' + str(o) if q else 'no loop'}"
                        for s, q, o in zip(g.starts, m["loop_periods"], m["loop_onsets"]))
    return Claim("charlm.greedy_loops", claim, SOURCE, criterion, Verdict(
        by_seed(looped), f"{sum(looped)} of {len(looped)} loop ({periods})",
        {"loops": sum(looped), "starts": len(looped), "periods": m["loop_periods"]}))


def temperature_fixes(p: CharParams, res: dict) -> Claim:
    n = p.generate.ngram
    claim = "Sampling with a temperature fixes greedy decoding's loops."
    criterion = (f"At the final checkpoint and τ = 1 (softmax(logits / τ), the model's own distribution): no sample "
                 f"ends in a loop, and the share of repeated {n}-grams is below greedy decoding's, paired over the "
                 "starts, by more than 2 standard errors. Both parts must hold. Not comparable without τ = 1 in "
                 "charlm.generate.temperatures.")
    modes = res["checkpoints"][-1]["modes"]
    if SAMPLED not in modes:
        return Claim("charlm.temperature_fixes_loops", claim, SOURCE, criterion,
                     Verdict(NOT_COMPARABLE, "no samples at τ = 1 (charlm.generate.temperatures)"))
    s, greedy = modes[SAMPLED], modes["greedy"]
    no_loops = Verdict(HOLDS if s["loops"] == 0 else FAILS,
                       f"τ = 1 samples ending in a loop: {s['loops']} of {len(s['loop_periods'])} (greedy: "
                       f"{greedy['loops']})", {"loops": s["loops"]})
    less = paired(greedy["rep_per_start"], s["rep_per_start"], f"repeated {n}-grams, greedy − τ = 1")
    others = "".join(f"; τ = {k[1:]}: {v['rep']:.3f} with {v['loops']} loops" for k, v in modes.items()
                     if k not in ("greedy", SAMPLED))
    verdict = both(no_loops, less)
    return Claim("charlm.temperature_fixes_loops", claim, SOURCE, criterion,
                 Verdict(verdict.verdict, f"{verdict.evidence} (greedy {greedy['rep']:.3f}, τ = 1 {s['rep']:.3f}, "
                                          f"held-out text {res['corpus']['rep']:.3f}{others})", verdict.numbers))


def claims(p: CharParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    curves = pd.read_csv(paths.study_plots(STUDY) / "curves.csv")
    return [accuracy(p, res, curves), greedy_loops(p, res), temperature_fixes(p, res)]
