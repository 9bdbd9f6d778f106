"""The EE6132 report's claim about binary addition's losses, and what this run says instead.

The report: "MSE performs much better than Cross Entropy", and it says why: "we cannot use a
'clean' version of cross entropy", so it used "a hackish method". That method (the latest commit
of its q3.py) treats the L+1 per-step sigmoid outputs as class scores over *time positions* and
applies CrossEntropyLoss against the position of the sum's lowest set bit: a model trained on it
cannot represent a binary number, so MSE wins by construction.

Protocol: OTHER_TASK, not SEQLAB with the loss as one more deviation. The study compares MSE with a
per-bit binary cross-entropy, which is the "clean" cross-entropy the report says it could not use:
the very cause the report gives for its result is removed, so a verdict on the study's comparison
would be a verdict on a question the report never asked. The row therefore says "not comparable"
and carries the study's own answer, judged with the paired criterion below, as its *corrected*
protocol.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.addition.params import AdditionParams
from seqlab.judging.verdicts import NOT_COMPARABLE, OTHER_TASK, Claim, Verdict, paired

STUDY = "addition"
SEEN = 0.5  # a length whose test problems are mostly also training problems tests memory, not addition

# The report's own words (../shared/seeds/; tests/test_ledger_quotes.py checks them against it).
MSE_BETTER = "We also note that MSE performs much better than Cross Entropy."


def unseen_lengths(res: dict) -> list[int]:
    """The training lengths whose test problems are mostly not training problems too."""
    return sorted(int(L) for L, frac in res["data"]["test_in_train"].items() if frac < SEEN)


def paired_runs(res: dict) -> tuple[list[float], list[float], list[int]]:
    """Whole-sum test accuracy of MSE and of cross-entropy on the same (L, hidden, seed) at the
    training length, over the lengths whose test problems are mostly unseen in training."""
    unseen = unseen_lengths(res)
    pairs = [q for q in (res["comparison"] or {}).get("pairs", []) if q["L"] in unseen]
    return [q["sum_acc_mse"] for q in pairs], [q["sum_acc_bce"] for q in pairs], unseen


def per_bit_comparison(res: dict) -> Verdict:
    """MSE against per-bit cross-entropy on paired runs: the study's own question."""
    mse, bce, _ = paired_runs(res)
    if not mse:
        return Verdict(NOT_COMPARABLE, "no length with mostly unseen test problems, or only one loss trained")
    return paired(mse, bce, "MSE − per-bit cross-entropy whole-sum accuracy")


def deviations(p: AdditionParams) -> tuple[str, ...]:
    """Every way the study's comparison departs from the course's (COURSES.md §3, q3.py)."""
    d, t = p.data, p.train
    return (
        "loss: the compared cross-entropy is a per-bit binary cross-entropy on each step's logit; the course's "
        "\"hackish\" cross-entropy scored the L+1 sigmoid outputs as classes over time positions against the "
        "position of the sum's lowest set bit (an earlier commit: NLLLoss on the same scores)",
        "data: two independent uniform L-bit operands, whose sum can carry into bit L+1; the course drew "
        "c ~ U[0, 2^L), a ~ U[0, c], b = c − a, so its sums never carry out",
        f"training: a fixed set of {d.n_train:,} problems per length, {t.steps:,} steps of batch {t.batch_size}, "
        f"Adam at lr {t.lr:g}, clipping at {t.clip_norm:g}, forget-gate bias {t.forget_bias:g}, seeds {list(t.seeds)}; "
        "the course: a fresh batch of 32 every step, 10 × 1,000 steps, Adam at lr 0.01, one run",
        f"models: hidden {', '.join(map(str, t.hidden))} at L = {', '.join(map(str, d.lengths))}; the course's "
        "hidden 5 at L = 5",
        f"metric: whole-sum accuracy at the training length on {d.n_test:,} test problems, lengths whose test "
        f"problems are mostly training problems left out; the course's on 100 fresh problems per length",
    )


def claims(p: AdditionParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    _, _, unseen = paired_runs(res)
    seen = sorted(int(L) for L in res["data"]["test_in_train"] if int(L) not in unseen)
    criterion = ("Not judged: the claim is about the course's \"hackish\" time-position cross-entropy, and this study "
                 "compares MSE with a per-bit cross-entropy, the clean version the report says it could not use. The "
                 "corrected protocol's rule: on paired runs (same L, hidden size and seed: the same data and initial "
                 "weights), the mean of MSE's minus cross-entropy's whole-sum test accuracy at the training length "
                 "above 2 standard errors: MSE better; below -2 SE: cross-entropy better; between: within noise. "
                 f"Only lengths whose test problems are mostly unseen in training count (test∩train < {SEEN:.0%}: "
                 f"L = {', '.join(map(str, unseen)) or 'none'}; left out: {', '.join(map(str, seen)) or 'none'}).")
    corrected = per_bit_comparison(res)
    return [Claim("addition.mse_beats_cross_entropy", MSE_BETTER, "ee6132", criterion,
                  Verdict(NOT_COMPARABLE, f"this run compares MSE with a per-bit cross-entropy: {corrected.evidence}",
                          {"corrected": corrected.verdict, **corrected.numbers}),
                  OTHER_TASK, deviations(p),
                  corrected=f"MSE against a per-bit cross-entropy, by the rule above: **{corrected.verdict}**")]
