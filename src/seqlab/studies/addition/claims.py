"""The course's claim about binary addition, judged on this run's outputs."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.addition.params import AdditionParams
from seqlab.judging.verdicts import NOT_COMPARABLE, Claim, Verdict, paired

STUDY = "addition"
SEEN = 0.5  # a length whose test problems are mostly also training problems tests memory, not addition


def unseen_lengths(res: dict) -> list[int]:
    """The training lengths whose test problems are mostly not training problems too."""
    return sorted(int(L) for L, frac in res["data"]["test_in_train"].items() if frac < SEEN)


def paired_runs(res: dict) -> tuple[list[float], list[float], list[int]]:
    """Whole-sum test accuracy of MSE and of cross-entropy on the same (L, hidden, seed) at the
    training length, over the lengths whose test problems are mostly unseen in training."""
    unseen = unseen_lengths(res)
    pairs = [q for q in (res["comparison"] or {}).get("pairs", []) if q["L"] in unseen]
    return [q["sum_acc_mse"] for q in pairs], [q["sum_acc_bce"] for q in pairs], unseen


def claims(p: AdditionParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    mse, bce, unseen = paired_runs(res)
    seen = sorted(int(L) for L in res["data"]["test_in_train"] if int(L) not in unseen)
    criterion = ("On paired runs (same L, hidden size and seed: the same data and initial weights), the mean of MSE's "
                 "minus cross-entropy's whole-sum test accuracy at the training length is above 2 standard errors: "
                 "holds; below -2 SE: does not hold (cross-entropy better); between: within noise. Only lengths whose "
                 f"test problems are mostly unseen in training count (test∩train < {SEEN:.0%}: L = "
                 f"{', '.join(map(str, unseen)) or 'none'}; left out: {', '.join(map(str, seen)) or 'none'}). "
                 "Which loss reaches 99% sooner is a different question, answered in the study's section.")
    claim = "The LSTM trained with MSE performs much better than with cross-entropy."
    result = (paired(mse, bce, "MSE − cross-entropy whole-sum accuracy") if mse
              else Verdict(NOT_COMPARABLE, "no length with mostly unseen test problems, or only one loss trained"))
    return [Claim("addition.mse_beats_cross_entropy", claim, "course report (binary addition)", criterion, result)]
