"""Two reports' claims about sequential MNIST, judged on this run's outputs.

The EE6132 report compares RNN, LSTM and GRU classifiers reading rows (its q1.py); the LSTM-AE
report's 99.04% is the validation accuracy of its Keras classifier, which the MNIST study's LSTM
autoencoder (a classifier on its latent) is set beside.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.mnist.params import MnistParams
from seqlab.judging.verdicts import (
    FAILS,
    HOLDS,
    MIXED,
    NOISE,
    NOT_COMPARABLE,
    QUOTE_CUT,
    SEQLAB,
    Claim,
    Verdict,
    two_proportions,
)

STUDY = "mnist"
COURSE_VIEW = "row"  # the EE6132 course read images row by row only
FULL_TRAIN = 60_000  # MNIST's training images, all of which both courses trained on
AE_VAL_ACC = 0.9904  # "Validation Accuracy: 99.04%"
OUTPUTS = 10  # the course's classifier: one sigmoid output per digit

# The reports' own words (../shared/seeds/; tests/test_ledger_quotes.py checks each against its report).
COMPARABLE = "We find comparable performance across all models (except vanilla RNNs)"  # EE6132
AE_CLAIM = QUOTE_CUT.join(("the accuracy on the validation set is greater than 99%",
                           "Validation Accuracy: 99.04%"))  # LSTM-AE report


def cells_deviations(p: MnistParams, res: dict) -> tuple[str, ...]:
    """Every way the study's row classifiers depart from the EE6132 course's (COURSES.md §3, q1.py)."""
    sizes, t, s = res["data"]["sizes"], p.train, p.train.schedule[COURSE_VIEW]
    return (
        f"data: {sizes['train']:,} training images of `{res['data']['source']}` "
        f"({f'{s.n_train:,}' if s.n_train else 'all'} per epoch), "
        f"{sizes['val']:,} for validation, {sizes['test']:,} for test; the course: the 60,000 MNIST training images, "
        "test accuracy on the first 2,000 test images (the report says 10,000)",
        f"schedule: {s.epochs} epochs of batch {s.batch_size}, Adam at lr {t.lr:g}, weight decay {t.weight_decay:g}, "
        f"clipping at {t.clip_norm:g}, forget-gate bias {s.forget_bias}; the course's code: 1 epoch of batch 64, Adam "
        "at lr 0.01, no L2 penalty, torch's default initialisation (the report says lr 1e-3 and L2 0.01)",
        f"models: hidden {', '.join(str(list(h)) for h in p.classifiers.hidden)} (a list of two: stacked recurrent "
        "layers), "
        f"bidirectional {list(p.classifiers.bidirectional)}, each kind's best on validation; the course's \"(64, 64)\" "
        "was a Linear(28, 64) kept in a plain dict (never registered, so never trained) before one recurrent layer "
        "of 64, and its output layer takes H features where a bidirectional layer gives 2H: the report's "
        "bidirectional figures are the unidirectional runs' files",
        "metric: each kind's chosen model's test accuracy, compared within 2 binomial standard errors; the course "
        "compared accuracy curves by eye",
    )


def comparable_except_rnn(p: MnistParams, res: dict) -> Claim:
    n = res["data"]["sizes"]["test"]
    criterion = (f"On the course's view ({COURSE_VIEW} by row), each cell's model is its best on validation accuracy "
                 "(ties: fewer parameters). (a) The LSTM's and the GRU's test accuracies differ by no more than 2 "
                 f"standard errors of the difference (binomial, {n:,} test images); (b) the RNN's is below the lower "
                 "of the two by more than 2 SE. Holds if both hold, does not hold if neither, mixed otherwise. Other "
                 "views are shown, not judged. A ranking of cells trained alike is judged at this run's scale (the "
                 "deviations list it), unlike the autoencoder's absolute 99.04%, which needs the course's data and "
                 "metric. Not comparable without the row view or one of the three cells.")
    deviations = cells_deviations(p, res)
    kinds = {r["kind"] for r in res["runs"]}
    if not {"rnn", "lstm", "gru"} <= kinds or COURSE_VIEW not in p.classifiers.views:
        return Claim("mnist.comparable_except_rnn", COMPARABLE, "ee6132", criterion,
                     Verdict(NOT_COMPARABLE, "mnist.classifiers lacks the row view, or one of rnn, lstm and gru"),
                     SEQLAB, deviations)
    by_name = {r["name"]: r for r in res["runs"]}
    verdicts, notes, numbers = {}, [], {}
    for view in (COURSE_VIEW, *(v for v in p.classifiers.views if v != COURSE_VIEW)):
        rnn, lstm, gru = (by_name[res["chosen"][view][k]] for k in ("rnn", "lstm", "gru"))
        same, se_lg = two_proportions(lstm["test_acc"], gru["test_acc"], n)
        low = min(lstm, gru, key=lambda r: r["test_acc"])
        worse, se_r = two_proportions(low["test_acc"], rnn["test_acc"], n)
        parts = (same == NOISE, worse == HOLDS)
        verdicts[view] = HOLDS if all(parts) else FAILS if not any(parts) else MIXED
        notes.append(f"{view}{'' if view == COURSE_VIEW else ' (not judged)'}: LSTM {lstm['test_acc']:.3f} "
                     f"({lstm['name']}), GRU {gru['test_acc']:.3f} ({gru['name']}), difference "
                     f"{lstm['test_acc'] - gru['test_acc']:+.3f} ± {se_lg:.3f}; RNN {rnn['test_acc']:.3f} "
                     f"({rnn['name']}), "
                     f"{low['test_acc'] - rnn['test_acc']:+.3f} ± {se_r:.3f} below the lower"
                     + ("" if view == COURSE_VIEW else f"; by the same rule: {verdicts[view]}"))
        numbers[view] = {"lstm": lstm["test_acc"], "gru": gru["test_acc"], "rnn": rnn["test_acc"],
                         "verdict": verdicts[view]}
    return Claim("mnist.comparable_except_rnn", COMPARABLE, "ee6132", criterion,
                 Verdict(verdicts[COURSE_VIEW], "; ".join(notes), numbers), SEQLAB, deviations)


def autoencoder_accuracy(p: MnistParams, res: dict) -> Claim:
    ae = next(r for r in res["runs"] if r["kind"] == "autoencoder")
    a, sizes = p.autoencoder, res["data"]["sizes"]
    floor = 1 - OUTPUTS * (1 - AE_VAL_ACC)
    criterion = ("Not comparable, whatever the scale: the report's network was trained with binary cross-entropy on "
                 f"one-hot labels through {OUTPUTS} sigmoids, for which Keras's \"accuracy\" is the binary accuracy, "
                 f"the share of the {OUTPUTS} outputs on the right side of 0.5 (all {OUTPUTS} at 0 score 90%); this "
                 "run's is the share of images whose most likely digit is right. The report's figure bounds its own "
                 "10-way accuracy only from below: an image read wrong has at least one wrong output, so it was at "
                 f"least 1 − {OUTPUTS} × (1 − {AE_VAL_ACC}) = {floor:.1%}.")
    deviations = (
        "metric: 10-way accuracy (argmax); the course's Keras binary accuracy over 10 sigmoid outputs",
        f"model: an LSTM autoencoder (hidden {a.hidden}, latent {a.latent}) whose decoder rebuilds the rows, with a "
        f"classifier (dropout {a.dropout}) on the latent; the course's classification-only network: LSTM (recurrent "
        "dropout 0.2) → RepeatVector(28) → LSTM → Dense(10, sigmoid)",
        f"loss: {a.recon_weight:g} × reconstruction MSE + cross-entropy; the course's binary cross-entropy on one-hot "
        "labels",
        f"data: {sizes['train']:,} training and {sizes['val']:,} validation images of `{res['data']['source']}`; "
        f"the course's {FULL_TRAIN:,} MNIST training images, validated on half of the 10,000 test images",
        f"schedule: {a.epochs} epochs of batch {a.batch_size}, Adam at lr {a.lr:g}; the report: hidden 64, lr 0.005, "
        "batch 64 (its code's classification run sets no learning rate: Keras's Adam default)",
    )
    evidence = (f"this run: 10-way validation accuracy {ae['val_acc']:.3f}, test {ae['test_acc']:.3f}, after "
                f"{ae['epochs']} epochs on {sizes['train']:,} `{res['data']['source']}` training images "
                f"({sizes['train'] / FULL_TRAIN:.0%} of the course's); the report's 99.04% is a binary accuracy")
    return Claim("mnist.autoencoder_9904", AE_CLAIM, "lstmae", criterion,
                 Verdict(NOT_COMPARABLE, evidence, {"val_acc": ae["val_acc"], "quoted_binary_acc": AE_VAL_ACC,
                                                    "quoted_implies_at_least": round(floor, 4)}),
                 SEQLAB, deviations)


def claims(p: MnistParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    return [comparable_except_rnn(p, res), autoencoder_accuracy(p, res)]
