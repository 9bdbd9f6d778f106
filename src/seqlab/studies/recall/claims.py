"""The course's claim about digit recall, judged on this run's outputs."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.recall.params import RecallParams
from seqlab.judging.verdicts import NOT_COMPARABLE, Claim, Verdict, accuracy_se, all_reach, beats, both, fmt

STUDY = "recall"
TARGET = 0.99  # "about 100%"
LARGE, SMALL = 10, 2  # the hidden sizes the claim names


def claims(p: RecallParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    n_test = res["data"]["sizes"]["test"]
    acc = {h: [r["test_acc"] for r in res["runs"] if r["hidden"] == h] for h in p.train.hidden}
    criterion = (f"(a) Every seed with hidden {LARGE} reaches {TARGET:.0%} test accuracy; (b) hidden {SMALL}'s mean "
                 f"test accuracy is below hidden {LARGE}'s by more than 2 standard errors (seed spread and the "
                 f"binomial error of {n_test:,} test sequences). Holds if both hold.")
    claim = f"With hidden size {LARGE} the LSTM recalls the digit about 100% of the time; with hidden size {SMALL} it does worse."
    if not (LARGE in acc and SMALL in acc):
        return [Claim("recall.hidden10_solves_hidden2_lower", claim, "course report (digit recall)", criterion,
                      Verdict(NOT_COMPARABLE, f"recall.train.hidden lacks {LARGE} or {SMALL}"))]
    large, small = acc[LARGE], acc[SMALL]
    diff = sum(large) / len(large) - sum(small) / len(small)
    se = (accuracy_se(large, n_test) ** 2 + accuracy_se(small, n_test) ** 2) ** 0.5
    lower = Verdict(beats(diff, se), f"hidden {SMALL} per seed {fmt(small)}: {diff:+.3f} ± {se:.3f} below hidden {LARGE}",
                    {"diff": round(diff, 6), "se": round(se, 6)})
    return [Claim("recall.hidden10_solves_hidden2_lower", claim, "course report (digit recall)", criterion,
                  both(all_reach(large, TARGET), lower))]
