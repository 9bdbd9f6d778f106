"""Two reports' claims about sequential MNIST, judged on this run's outputs.

The EE6132 report compares RNN, LSTM and GRU classifiers reading rows (its q1.py): its two claims
are judged on the course's protocol (seqlab.studies.mnist.course: the nine models q1.py trained,
every one compared, none chosen), with seqlab's 12-epoch grid in the ``corrected`` field. The
LSTM-AE report's 99.04% is the validation accuracy of its Keras classifier, which the MNIST
study's LSTM autoencoder (a classifier on its latent) is set beside.
"""

from __future__ import annotations

import math

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.studies.mnist.course.params import (
    COURSE_LAYOUTS,
    COURSE_RUN,
    COURSE_TEST_IMAGES,
    COURSE_TRAIN_IMAGES,
    KINDS,
    REPORT_VS_CODE,
    layout_label,
)
from seqlab.studies.mnist.course.params import STUDY as COURSE_STUDY
from seqlab.studies.mnist.params import MnistParams
from seqlab.judging.verdicts import (
    COURSE,
    FAILS,
    HOLDS,
    MIXED,
    NOISE,
    NOT_COMPARABLE,
    SEQLAB,
    Claim,
    Verdict,
    accuracy_se,
    beats,
    binomial_se,
    by_seed,
    every_step,
    two_proportions,
)

STUDY = "mnist"
COURSE_VIEW = "row"  # the EE6132 course read images row by row only

# The reports' own words (../shared/seeds/; tests/test_ledger_quotes.py checks each against its report).
COMPARABLE = "We find comparable performance across all models (except vanilla RNNs)"  # EE6132
LAYERS_AND_LSTM = "with more accuracy with more layers and with a LSTM"  # EE6132, the same sentence


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


# --- the EE6132 claims on the course's protocol ---------------------------------------------------

Scores = dict[str, dict[str, tuple[float, float]]]  # layout label -> kind -> (test accuracy, its standard error)


def _against(a: tuple[float, float], b: tuple[float, float]) -> tuple[str, float, float]:
    """Accuracy a against b: (beats(a - b), the difference, its SE: the two SEs in quadrature)."""
    diff, se = a[0] - b[0], math.hypot(a[1], b[1])
    return beats(diff, se), diff, se


def _gaps(acc: Scores, layouts) -> list[str]:
    """The layouts, and the kinds at each layout, that a criterion needs and the run lacks."""
    return [lay if lay not in acc else f"{lay} {k}" for lay in layouts for k in KINDS
            if lay not in acc or k not in acc[lay]]


def comparable_except_rnn_rule(acc: Scores) -> Verdict:
    """"Comparable performance across all models (except vanilla RNNs)", per layout: (a) the
    LSTM's and the GRU's test accuracies differ by no more than 2 standard errors of the
    difference; (b) the RNN's is below the lower of the two by more than 2 SE. Holds if every
    layout passes both, does not hold if none does, mixed otherwise; not comparable without an
    RNN, an LSTM and a GRU at every layout."""
    gaps = sorted(set(_gaps(acc, acc)))
    if not acc or gaps:
        return Verdict(NOT_COMPARABLE, "needs an RNN, an LSTM and a GRU at every layout" +
                       (f"; missing: {', '.join(gaps)}" if gaps else ""))
    passes, notes, numbers = [], [], {}
    for lay, m in acc.items():
        same, d_lg, se_lg = _against(m["lstm"], m["gru"])
        low = min(("lstm", "gru"), key=lambda k: m[k][0])
        below, d_r, se_r = _against(m[low], m["rnn"])
        ok = same == NOISE and below == HOLDS
        passes.append(ok)
        notes.append(f"{lay}: LSTM {m['lstm'][0]:.3f}, GRU {m['gru'][0]:.3f}, difference {d_lg:+.3f} ± {se_lg:.3f} "
                     f"({same}); RNN {m['rnn'][0]:.3f}, {d_r:+.3f} ± {se_r:.3f} below the lower ({below}): "
                     f"{'passes' if ok else 'fails'}")
        numbers[lay] = {"lstm": m["lstm"][0], "gru": m["gru"][0], "rnn": m["rnn"][0], "passes": ok}
    return Verdict(by_seed(passes), "; ".join(notes) + f" ({sum(passes)} of {len(passes)} layouts pass)", numbers)


def layers_and_lstm_rule(acc: Scores, deep: str, shallow: str) -> Verdict:
    """"With more accuracy with more layers and with a LSTM": (a) more layers: per kind, the
    ``deep`` layout's test accuracy above the ``shallow`` one's by more than 2 standard errors of
    the difference; (b) with a LSTM: per layout, the LSTM's above the RNN's and above the GRU's
    by more than 2 SE. Holds if every comparison rises beyond 2 SE, within noise if every one is
    within 2 SE, does not hold if none rises beyond 2 SE (and some fall), mixed otherwise; not
    comparable without both layouts and the three kinds at every layout."""
    gaps = sorted(set(_gaps(acc, (*acc, deep, shallow))))
    if gaps:
        return Verdict(NOT_COMPARABLE, f"needs {deep} and {shallow}, each with an RNN, an LSTM and a GRU, and the "
                       f"three kinds at every layout; missing: {', '.join(gaps)}")
    layers = {k: _against(acc[deep][k], acc[shallow][k]) for k in KINDS}
    lstm = {(lay, other): _against(m["lstm"], m[other]) for lay, m in acc.items() for other in ("rnn", "gru")}
    steps = [v[0] for v in (*layers.values(), *lstm.values())]
    verdict = every_step(steps)

    def say(v: tuple[str, float, float]) -> str:
        return f"{v[1]:+.3f} ± {v[2]:.3f} ({v[0]})"

    evidence = (f"more layers ({deep} against {shallow}): "
                + ", ".join(f"{k.upper()} {say(v)}" for k, v in layers.items())
                + "; with a LSTM: "
                + "; ".join(f"{lay} against the {o.upper()} {say(v)}" for (lay, o), v in lstm.items())
                + f" ({steps.count(HOLDS)} of {len(steps)} comparisons rise beyond 2 SE)")
    numbers = {"layers": {k: {"diff": round(v[1], 6), "se": round(v[2], 6), "verdict": v[0]}
                          for k, v in layers.items()},
               "lstm": {f"{lay} vs {o}": {"diff": round(v[1], 6), "se": round(v[2], 6), "verdict": v[0]}
                        for (lay, o), v in lstm.items()},
               "rising": steps.count(HOLDS), "comparisons": len(steps)}
    return Verdict(verdict, evidence, numbers)


def course_scores(course: dict) -> Scores:
    """The course protocol's models (reports/mnist_course/results.json): each one's test accuracy,
    the mean over its seeds, and its standard error (the seeds' spread and the test set's)."""
    out: Scores = {}
    for m in course["models"]:
        out.setdefault(m["label"], {})[m["kind"]] = (m["test_acc"], accuracy_se(m["test_acc_seeds"], course["n_test"]))
    return out


def grid_scores(res: dict) -> Scores:
    """seqlab's unidirectional row models (reports/mnist/results.json), the course's view, none
    chosen: each one's test accuracy and its binomial standard error. Hidden 64x64 is two stacked
    trainable layers there."""
    n = res["data"]["sizes"]["test"]
    out: Scores = {}
    for r in res["runs"]:
        if r["kind"] in KINDS and r["view"] == COURSE_VIEW and r["direction"] == "uni":
            out.setdefault(r["hidden"], {})[r["kind"]] = (r["test_acc"], binomial_se(r["test_acc"], n))
    return out


def course_deviations(course: dict) -> tuple[str, ...]:
    """Every way the course-protocol run departs from what q1.py@54d1096 ran (COURSES.md §3)."""
    d, prm, n_test = course["data"], course["params"], course["n_test"]
    n_train = d["sizes"]["train"]
    course_last = max(range(1, COURSE_RUN["steps"] + 1, COURSE_RUN["eval_every"]))
    out = [f"data: {n_train:,} training images of `{d['source']}` (the course: the {COURSE_TRAIN_IMAGES:,} MNIST "
           f"training images), so {prm['steps']:,} updates of batch {prm['batch_size']} are "
           f"{prm['steps'] * prm['batch_size'] / n_train:.1f} passes over them where the course made one",
           f"test: the final models' accuracy on the {n_test:,} images of the study's test split; the course scored "
           f"the first {COURSE_TEST_IMAGES:,} MNIST test images, last after update {course_last:,}",
           f"seeds {', '.join(map(str, prm['seeds']))}: each seeds a run's initialisation (the frozen map's too) and "
           "batch order; the course ran each model once, unseeded"]
    changed = [f"{k} {prm[k]:g} (the course's {v:g})" for k, v in COURSE_RUN.items() if prm[k] != v]
    if changed:
        out.append("schedule: " + ", ".join(changed))
    layouts = tuple(tuple(lay) for lay in prm["layouts"])
    if set(prm["kinds"]) != set(KINDS) or set(layouts) != set(COURSE_LAYOUTS):
        out.append(f"models: {', '.join(prm['kinds'])} at {', '.join(map(layout_label, layouts))}; the course's: "
                   f"{', '.join(KINDS)} at {', '.join(map(layout_label, COURSE_LAYOUTS))}")
    out.append("metric: accuracies compared within 2 standard errors; the course compared its curves by eye")
    out.append("the report's protocol, where its code (what ran, and what this run reproduces) says otherwise: "
               + "; ".join(f'"{quote}" — {code}' for quote, code in REPORT_VS_CODE))
    return tuple(out)


def _seqlab_protocol(p: MnistParams) -> str:
    s = p.train.schedule[COURSE_VIEW]
    return (f"seqlab's protocol ({s.epochs} epochs of batch {s.batch_size}, Adam at lr {p.train.lr:g}, clipping at "
            f"{p.train.clip_norm:g}, LSTM forget bias {s.forget_bias})")


def course_comparable_except_rnn(p: MnistParams, res: dict, course: dict) -> Claim:
    criterion = (f"On the course's protocol (q1.py as it ran: mnist_course_*), its {len(course['models'])} models, "
                 "every one compared, none chosen: per layout, (a) the LSTM's and the GRU's final test accuracies "
                 f"({course['n_test']:,} test images; the mean over seeds where there are several) differ by no more "
                 "than 2 standard errors of the difference; (b) the RNN's is below the lower of the two by more than "
                 "2 SE. Holds if every layout passes both, does not hold if none does, mixed otherwise.")
    verdict = comparable_except_rnn_rule(course_scores(course))
    chosen = comparable_except_rnn(p, res).result
    grid = comparable_except_rnn_rule(grid_scores(res))
    corrected = (f"{_seqlab_protocol(p)}, each kind's model chosen on validation among its row models, bidirectional "
                 f"included: **{chosen.verdict}**: {chosen.evidence}. The same rule on seqlab's unidirectional row "
                 f"models, none chosen: **{grid.verdict}**: {grid.evidence}")
    numbers = {**verdict.numbers, "corrected": chosen.verdict, "corrected_unidirectional": grid.verdict}
    return Claim("mnist.comparable_except_rnn", COMPARABLE, "ee6132", criterion,
                 Verdict(verdict.verdict, verdict.evidence, numbers), COURSE, course_deviations(course), corrected)


def deeper_pair(layouts) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """"More layers" in a grid: its first layout of several widths against the one-width layout of
    its last width (the course's (64, 64) against 64; seqlab's 64x64 against 64). The course's
    pair where the grid has none, so the criterion names what it misses."""
    return next(((tuple(lay), (lay[-1],)) for lay in layouts if len(lay) > 1 and [lay[-1]] in map(list, layouts)),
                ((64, 64), (64,)))


def layers_and_lstm_help(p: MnistParams, res: dict, course: dict) -> Claim:
    deep, shallow = (layout_label(lay) for lay in deeper_pair(course["params"]["layouts"]))
    criterion = (f"On the course's protocol (q1.py as it ran: mnist_course_*), its {len(course['models'])} models, "
                 "none chosen, final test accuracy against 2 standard errors of each difference: (a) more layers: "
                 f"per kind, the course's {deep} above its {shallow}; (b) with a LSTM: per layout, the LSTM above the "
                 "RNN and above the GRU. Holds if every comparison rises beyond 2 SE, within noise if every one is "
                 "within 2 SE, does not hold if none rises (some fall), mixed otherwise.")
    verdict = layers_and_lstm_rule(course_scores(course), deep, shallow)
    note = (f". The course's {deep} adds no trainable layer: its first width is a linear map that q1.py never "
            "registered, so it stays random and frozen before one recurrent layer (the same functions as "
            f"{shallow}, reparametrised)")
    g_deep, g_shallow = ("x".join(map(str, lay)) for lay in deeper_pair([list(h) for h in p.classifiers.hidden]))
    grid = layers_and_lstm_rule(grid_scores(res), g_deep, g_shallow)
    corrected = (f"{_seqlab_protocol(p)}, its unidirectional row models, none chosen, where {g_deep} is "
                 f"{len(g_deep.split('x'))} stacked trainable layers: **{grid.verdict}**: {grid.evidence}")
    numbers = {**verdict.numbers, "corrected": grid.verdict}
    return Claim("mnist.layers_and_lstm_help", LAYERS_AND_LSTM, "ee6132", criterion,
                 Verdict(verdict.verdict, verdict.evidence + note, numbers), COURSE, course_deviations(course),
                 corrected)


def claims(p: MnistParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    course = read_json(paths.study_results(COURSE_STUDY))
    # The LSTM-AE report's 99.04% is judged on its own classifier (lstmae.course_mnist_9904), with this
    # study's autoencoder as the corrected answer.
    return [course_comparable_except_rnn(p, res, course), layers_and_lstm_help(p, res, course)]
