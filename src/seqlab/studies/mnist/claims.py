"""The course's claims about sequential MNIST, judged on this run's outputs."""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.mnist.params import MnistParams
from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE, Claim, Verdict, binomial_se, two_proportions

STUDY = "mnist"
COURSE = "course report (sequential MNIST)"
FULL_TRAIN = 60_000  # the course's autoencoder trained on all of MNIST's training images
AE_VAL_ACC = 0.9904  # "99.04% validation accuracy"


def comparable_except_rnn(p: MnistParams, res: dict) -> Claim:
    n = res["data"]["sizes"]["test"]
    criterion = ("Per view, each cell's model is its best on validation accuracy (ties: fewer parameters). (a) The "
                 "LSTM's and the GRU's test accuracies differ by no more than 2 standard errors of the difference "
                 f"(binomial, {n:,} test images); (b) the RNN's is below the lower of the two by more than 2 SE. Holds "
                 "if both parts hold on every view, does not hold if both fail on every view, mixed otherwise.")
    claim = "The recurrent cells perform comparably, except the vanilla RNN."
    kinds = {r["kind"] for r in res["runs"]}
    if not {"rnn", "lstm", "gru"} <= kinds:
        return Claim("mnist.comparable_except_rnn", claim, COURSE, criterion,
                     Verdict(NOT_COMPARABLE, "mnist.classifiers.kinds lacks rnn, lstm or gru"))
    per_view, notes, numbers = [], [], {}
    for view in p.classifiers.views:
        by_name = {r["name"]: r for r in res["runs"]}
        rnn, lstm, gru = (by_name[res["chosen"][view][k]] for k in ("rnn", "lstm", "gru"))
        same, se_lg = two_proportions(lstm["test_acc"], gru["test_acc"], n)
        low = min(lstm, gru, key=lambda r: r["test_acc"])
        worse, se_r = two_proportions(low["test_acc"], rnn["test_acc"], n)
        parts = (same == NOISE, worse == HOLDS)
        per_view.append(HOLDS if all(parts) else FAILS if not any(parts) else MIXED)
        notes.append(f"{view}: LSTM {lstm['test_acc']:.3f} ({lstm['name']}), GRU {gru['test_acc']:.3f} ({gru['name']}), "
                     f"difference {lstm['test_acc'] - gru['test_acc']:+.3f} ± {se_lg:.3f}; RNN {rnn['test_acc']:.3f} "
                     f"({rnn['name']}), {low['test_acc'] - rnn['test_acc']:+.3f} ± {se_r:.3f} below the lower")
        numbers[view] = {"lstm": lstm["test_acc"], "gru": gru["test_acc"], "rnn": rnn["test_acc"], "verdict": per_view[-1]}
    verdict = per_view[0] if len(set(per_view)) == 1 else MIXED
    return Claim("mnist.comparable_except_rnn", claim, COURSE, criterion, Verdict(verdict, "; ".join(notes), numbers))


def autoencoder_accuracy(p: MnistParams, res: dict) -> Claim:
    ae = next(r for r in res["runs"] if r["kind"] == "autoencoder")
    n_train, n_val = res["data"]["sizes"]["train"], res["data"]["sizes"]["val"]
    criterion = (f"Comparable only when the autoencoder trained on a full MNIST training split ({FULL_TRAIN:,} images); "
                 f"then holds if its validation accuracy is within 2 standard errors of {AE_VAL_ACC:.2%} or above "
                 "(binomial, this run's validation images), does not hold otherwise.")
    claim = f"The LSTM autoencoder's latent classifier reaches {AE_VAL_ACC:.2%} validation accuracy (full MNIST)."
    evidence = (f"this run: validation accuracy {ae['val_acc']:.3f}, test {ae['test_acc']:.3f}, after {ae['epochs']} "
                f"epochs on {n_train:,} `{res['data']['source']}` training images")
    if n_train < FULL_TRAIN:
        result = Verdict(NOT_COMPARABLE, f"{evidence}: {n_train / FULL_TRAIN:.0%} of the course's training set "
                                         "(mnist.data.full: true trains on all of it)")
    else:
        se = binomial_se(AE_VAL_ACC, n_val)
        result = Verdict(HOLDS if ae["val_acc"] >= AE_VAL_ACC - 2 * se else FAILS, f"{evidence}; 2 SE = {2 * se:.4f}")
    return Claim("mnist.autoencoder_9904", claim, COURSE, criterion, result)


def claims(p: MnistParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    return [comparable_except_rnn(p, res), autoencoder_accuracy(p, res)]
