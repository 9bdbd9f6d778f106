"""The UvA report's claims about its char-LSTM (its section 2), judged on the run of the course's
own protocol (stages charlm_course_train and charlm_course_evaluate: the course's model, no
learning-rate decay, accuracy on the training batch). Each row's *corrected* result is the same
criterion on seqlab's own run (stage charlm_train: 2 layers of 128, learning-rate decay), which
charlm_course_evaluate measures the same way.

Two kinds of rows, two comparability rules:

- **accuracy rows** hold a number of the course's curve (its training-batch accuracy at 1,500
  and 5,000 steps) against this run's: comparable only on the course's corpus, Grimms' Fairy
  Tales, at those steps;
- **generation rows** compare the model's texts with each other and with its own training text
  (greedy text early and late; samples at the course's three temperatures), so any corpus serves;
  one other than Grimm is listed as a deviation.

Temperatures are the course's: its "tau" is an inverse temperature, softmax(tau * logits), so
its tau = 0.5 (the flattest) is seqlab's tau = 2 (measures.course_tau). The ids and quotes keep the
course's numbers.
"""

from __future__ import annotations

import math

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import (
    COURSE,
    HOLDS,
    NOT_COMPARABLE,
    Claim,
    Verdict,
    beats,
    both,
    by_seed,
    paired,
    standard_error,
)
from seqlab.studies.charlm.course.params import (
    COURSE_CHECKPOINTS,
    COURSE_GREEDY_LENGTH,
    COURSE_MODEL,
    COURSE_SAMPLE_LENGTH,
    COURSE_STARTS,
    COURSE_TRAIN,
)
from seqlab.studies.charlm.params import COURSE_ACC, COURSE_STEP, CharParams, course_corpus

SOURCE = "uva"
COURSE_RESULTS = "charlm_course"  # reports/charlm_course/results.json
EARLY_STEP = 1500  # the report's run: "not completely converged at 1500 steps"
ABOUT = 0.02  # "approximately 0.65": within this of it
# "Spelling is correct": at least this share of words in the training text's vocabulary. The
# report's own tau = 1 sample, which it calls correctly spelt, has 26 of 28 words in Grimm's
# vocabulary (0.93: "cushied" and "behindful" are not); its tau = 0.5 sample, "nonsensical", 12 of
# 26 (0.46); and its tau = 2 sample 30 of 30 (counted on Grimm's first 90%, as seqlab splits it).
SPELLING = 0.9
MOST = 0.5  # "nonsensical most of the time": fewer than this share of words are real
FLAT, MODEL, SHARP = 0.5, 1.0, 2.0  # the course's temperatures, softmax(tau * logits)

# The report's own words (../shared/seeds/001_77d393676faf26e5.txt, section 2).
NOT_CONVERGED = "Notice that the model has not completely converged at 1500 steps."
ACCURACY = "When the model is run for approximately 5000 steps, it converges to an accuracy of approximately 0.65."
RICHER = ("As the training progresses, longer and more complex dependencies that are frequent in the data become "
          "apparent.")
LOOPS = ("From the sequences, it becomes clear that the model is quite vulnerable for getting stuck in loops of words "
         "that is has seen with high frequency. … When we increase the length of generated sequences, we generally "
         "observe many repetitions of the same few phrases.")
FEW_REPEATS = ("Notice however that the sentences contain few repetitions of phrases, which we observed frequently "
               "when using greedy sampling.")
NONSENSE = "For $\\tau=0.5$, the generated words are nonsensical most of the time."
SPELLING_NO_SYNTAX = "For $\\tau=1.0$, the spelling is correct, but the generated sentences lack syntactic structure."
SOME_SYNTAX = "Finally, when $\\tau=2.0$, some syntactic structure can be observed."


def beta_key(beta: float) -> str:
    return f"{beta:g}"


# --- criteria: each takes one run's measures (the course's or seqlab's) --------------------------


def window(run: dict, step: int) -> dict | None:
    return next((w for w in run["windows"] if w["step"] == step), None)


def accuracy_gap(run: dict, step: int) -> str:
    """Why an accuracy row cannot be read off this run, or '' when it can."""
    w = run["windows"]
    if window(run, step) is None:
        width = w[0]["step"] if w else None
        return (f"no training-batch window ends at step {step:,} (the run has {run['final_step']:,} steps, windows of "
                f"{width})")
    return ""


def still_rising(run: dict, step: int = EARLY_STEP) -> Verdict:
    """"Not converged at ``step``": the training-batch accuracy of the window ending there is above
    the window before it by more than 2 SE of the difference (holds), within noise (flat), or below
    (does not hold)."""
    gap = accuracy_gap(run, step)
    if gap:
        return Verdict(NOT_COMPARABLE, gap)
    i = [w["step"] for w in run["windows"]].index(step)
    if i == 0:
        return Verdict(NOT_COMPARABLE, f"no training-batch window before the one ending at step {step:,}")
    a, b = run["windows"][i - 1], run["windows"][i]
    diff, se = b["mean"] - a["mean"], math.hypot(a["se"], b["se"])
    return Verdict(beats(diff, se),
                   f"training-batch accuracy {a['mean']:.3f} over steps {a['step'] - a['n'] + 1:,}–{a['step']:,} and "
                   f"{b['mean']:.3f} over steps {b['step'] - b['n'] + 1:,}–{b['step']:,} ({b['n']} batches each): "
                   f"{diff:+.4f} ± {se:.4f} (SE)",
                   {"before": a["mean"], "at": b["mean"], "diff": round(diff, 6), "se": round(se, 6)})


def about_course_accuracy(run: dict, step: int = COURSE_STEP) -> Verdict:
    """"About 0.65 at ~``step``": the window ending there is within ABOUT of 0.65 by more than 2 SE
    (holds), outside it by more than 2 SE (does not hold), or on its edge (within noise)."""
    gap = accuracy_gap(run, step)
    if gap:
        return Verdict(NOT_COMPARABLE, gap)
    w = window(run, step)
    outside = abs(w["mean"] - COURSE_ACC) - ABOUT
    side = "above" if w["mean"] > COURSE_ACC else "below"
    return Verdict(beats(-outside, w["se"]),
                   f"training-batch accuracy over steps {w['step'] - w['n'] + 1:,}–{w['step']:,}: {w['mean']:.3f} ± "
                   f"{w['se']:.3f} (SE of {w['n']} batches), {abs(w['mean'] - COURSE_ACC):.3f} {side} {COURSE_ACC}",
                   {"train_acc": w["mean"], "se": w["se"]})


def richer_with_training(run: dict) -> Verdict:
    """"Longer and more complex dependencies frequent in the data as training progresses", in two
    parts, each at the last checkpoint against the first, paired over the starts: (a) longer: the
    mean verbatim stretch of the training text per character of greedy text; (b) more complex: the
    distinct words of the greedy text. Each holds if higher by more than 2 SE."""
    g = run["greedy"]
    if len(g) < 2:
        return Verdict(NOT_COMPARABLE, f"one greedy checkpoint only (step {g[0]['step']:,})")
    first, last = g[0], g[-1]
    steps = f"step {last['step']:,} − step {first['step']:,}"
    longer = paired(last["match"], first["match"], f"verbatim stretch of the training text (characters), {steps}",
                    digits=2)
    richer = paired(last["types"], first["types"], f"distinct words, {steps}", digits=1)
    v = both(longer, richer)
    means = "; ".join(f"step {c['step']:,}: {sum(c['match']) / len(c['match']):.1f} characters, "
                      f"{sum(c['types']) / len(c['types']):.1f} words" for c in g)
    return Verdict(v.verdict, f"{v.evidence} (means: {means})", v.numbers)


def greedy_loops(run: dict) -> Verdict:
    """Every start's greedy text at the last checkpoint ends in a loop: holds; none: does not hold."""
    c = run["greedy"][-1]
    looped = [q is not None for q in c["loop_periods"]]
    periods = ", ".join(f"period {q} from character {o}" if q else "no loop"
                        for q, o in zip(c["loop_periods"], c["loop_onsets"]))
    return Verdict(by_seed(looped), f"step {c['step']:,}: {sum(looped)} of {len(looped)} loop ({periods})",
                   {"loops": sum(looped), "starts": len(looped), "periods": c["loop_periods"]})


def per_start(rows: list[dict], key: str, starts: int) -> list[float]:
    """The mean of ``key`` over each start's samples."""
    return [sum(r[key] for r in rows if r["start"] == j) / sum(r["start"] == j for r in rows) for j in range(starts)]


def fewer_repeats(run: dict) -> Verdict:
    """At each of the course's temperatures: no sample ends in a loop, and the share of repeated
    n-grams, per start, is below greedy text's of the same length by more than 2 SE (paired over the
    starts). Holds if every temperature passes, does not hold if none does, mixed otherwise."""
    s = run["sampled"]
    greedy = s["greedy_prefix"]["rep"]
    passed, notes = [], []
    for key, b in s["betas"].items():
        rows = b["samples"]
        loops = sum(r["loop"] for r in rows)
        less = paired(greedy, per_start(rows, "rep", len(greedy)), "greedy − sampled")
        passed.append(loops == 0 and less.verdict == HOLDS)
        notes.append(f"τ = {key} (course): {loops} of {len(rows)} samples loop; repeated n-grams "
                     f"{sum(r['rep'] for r in rows) / len(rows):.3f}, {less.evidence}")
    return Verdict(by_seed(passed), f"greedy text's repeated n-grams {sum(greedy) / len(greedy):.3f} at the samples' "
                   f"length, {sum(s['greedy_prefix']['loops'])} of {len(greedy)} looping; " + "; ".join(notes),
                   {"passed": passed})


def _values(run: dict, beta: float, key: str) -> list[float | None]:
    return [r[key] for r in run["sampled"]["betas"][beta_key(beta)]["samples"]]


def _pairs(a: list, b: list) -> tuple[list[float], list[float]]:
    kept = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    return [x for x, _ in kept], [y for _, y in kept]


def _mean_se(values: list) -> tuple[float, float, int]:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals), standard_error(vals), len(vals)


def missing_betas(run: dict, *betas: float) -> str:
    absent = [b for b in betas if beta_key(b) not in run["sampled"]["betas"]]
    return f"no samples at the course's τ = {', '.join(map(beta_key, absent))} (charlm.course.generate.betas)" if absent else ""


def nonsense(run: dict) -> Verdict:
    """The course's tau = 0.5: (a) fewer words in the vocabulary than at its tau = 1 by more than 2 SE
    (paired samples), and (b) most words not in it: the share below MOST by more than 2 SE."""
    gap = missing_betas(run, FLAT, MODEL)
    if gap:
        return Verdict(NOT_COMPARABLE, gap)
    ref, flat = _pairs(_values(run, MODEL, "in_vocab"), _values(run, FLAT, "in_vocab"))
    fewer = paired(ref, flat, "words in the vocabulary, τ = 1 − τ = 0.5 (course)", digits=3)
    mean, se, n = _mean_se(_values(run, FLAT, "in_vocab"))
    most = Verdict(beats(MOST - mean, se), f"τ = 0.5 (course): {mean:.3f} ± {se:.3f} of words in the vocabulary "
                   f"({n} samples) against {MOST}", {"in_vocab": round(mean, 6), "se": round(se, 6)})
    return both(fewer, most)


def spelling_without_syntax(run: dict, heldout: dict) -> Verdict:
    """The course's tau = 1: (a) spelling: the share of words in the vocabulary above SPELLING by
    more than 2 SE; (b) no syntax: the share of word pairs found in the training text below the
    held-out text's (chunks of the samples' length) by more than 2 SE of the difference."""
    gap = missing_betas(run, MODEL)
    if gap:
        return Verdict(NOT_COMPARABLE, gap)
    mean, se, n = _mean_se(_values(run, MODEL, "in_vocab"))
    spelt = Verdict(beats(mean - SPELLING, se), f"τ = 1 (course): {mean:.3f} ± {se:.3f} of words in the vocabulary "
                    f"({n} samples) against {SPELLING}", {"in_vocab": round(mean, 6), "se": round(se, 6)})
    b, b_se, _ = _mean_se(_values(run, MODEL, "bigram"))
    h, h_se, hn = _mean_se(heldout["bigram"])
    diff, se2 = h - b, math.hypot(b_se, h_se)
    lacks = Verdict(beats(diff, se2), f"word pairs found in the training text: τ = 1 (course) {b:.3f}, held-out text "
                    f"{h:.3f} ({hn} chunks), {diff:+.3f} ± {se2:.3f} (SE) short of it",
                    {"bigram": round(b, 6), "heldout_bigram": round(h, 6), "se": round(se2, 6)})
    return both(spelt, lacks)


def some_syntax(run: dict) -> Verdict:
    """The course's tau = 2: more word pairs found in the training text than at its tau = 1, by more
    than 2 SE (paired samples)."""
    gap = missing_betas(run, SHARP, MODEL)
    if gap:
        return Verdict(NOT_COMPARABLE, gap)
    sharp, ref = _pairs(_values(run, SHARP, "bigram"), _values(run, MODEL, "bigram"))
    return paired(sharp, ref, "word pairs found in the training text, τ = 2 − τ = 1 (course)", digits=3)


# --- the rows -----------------------------------------------------------------------------------


def deviations(res: dict) -> list[str]:
    """How the course-protocol run departs from the course's own, for every row."""
    meta, t, cfg = res["meta"], res["params"]["train"], res["course"]["config"]
    out = []
    if not course_corpus(meta):
        out.append(f"corpus: {meta['title']}, source `{meta['source']}`; the course's Grimms' Fairy Tales")
    out.append(f"training text: the first {meta['n_train']:,} characters ({1 - meta['heldout']:.0%}), the rest held out "
               "for held-out accuracy and bits per character; the course trained on the whole text")
    out.append("windows: every offset once per epoch, in a fresh random order; the course drew each offset uniformly, "
               "with replacement")
    model = {k: cfg[k] for k in COURSE_MODEL}
    if model != COURSE_MODEL:
        out.append(f"model: embedding {cfg['embedding']}, {cfg['layers']} layers of {cfg['hidden']}; the course's 64, "
                   "2 of 256")
    train = {k: t[k] for k in COURSE_TRAIN}
    if train != COURSE_TRAIN:
        out.append(f"training: windows of {t['seq_len']}, batch {t['batch_size']}, Adam at {t['lr']:g}, clipping at "
                   f"{t['clip_norm']:g}; the course's 30, 64, 0.002, 5")
    return out


def accuracy_deviations(res: dict) -> list[str]:
    width = res["params"]["train"]["acc_window"]
    return [*deviations(res), f"metric read as the mean training-batch accuracy over the {width} steps ending at a step; "
                              f"the report read its curve, one batch every {res['log_every']} steps"]


def greedy_deviations(res: dict) -> list[str]:
    g, ckpts = res["params"]["generate"], [c["step"] for c in res["course"]["greedy"]]
    out = [*deviations(res), f"greedy text: {g['measure_length']} characters from each start measured; the report "
                             f"shows {COURSE_GREEDY_LENGTH}"]
    if tuple(ckpts) != COURSE_CHECKPOINTS:
        out.append(f"greedy text at steps {ckpts}; the report's at {list(COURSE_CHECKPOINTS)}")
    if tuple(g["starts"]) != COURSE_STARTS:
        out.append(f"starts {g['starts']}; the report's {list(COURSE_STARTS)}")
    return out


def sample_deviations(res: dict) -> list[str]:
    g, final = res["params"]["generate"], res["course"]["final_step"]
    out = deviations(res)
    if final != COURSE_STEP:
        out.append(f"samples from the model after {final:,} steps; the report sampled its ~{COURSE_STEP:,}-step model "
                   f"(\"trained to 0.65 accuracy\")")
    out.append(f"{len(g['starts'])} starts × {g['samples']} samples of {g['sample_length']} characters per temperature, "
               f"measured; the report shows one sample of about {COURSE_SAMPLE_LENGTH} per temperature, from 'g', read "
               "by eye")
    return out


def seqlab_protocol(p: CharParams) -> str:
    m, t = p.model, p.train
    return (f"seqlab's protocol ({m.layers} layers of {m.hidden}, Adam at {t.lr:g} ×{t.lr_decay:g} every "
            f"{t.decay_every:,} steps, {t.steps:,} steps, the same corpus)")


def corrected(p: CharParams, v: Verdict) -> str:
    return f"{seqlab_protocol(p)}: {v.verdict}; {v.evidence}"


def accuracy_row(p: CharParams, res: dict, cid: str, quote: str, rule, what: str, criterion: str) -> Claim:
    """An accuracy row: judged only on Grimm; elsewhere its numbers are shown, not judged."""
    grimm = course_corpus(res["meta"])
    full = (f"{criterion} The course's metric: accuracy at every position of the training batch. Comparable only on "
            f"the course's corpus, Grimms' Fairy Tales (the claim is a number about it), with the run reaching {what}.")
    course, seqlab = rule(res["course"]), rule(res["seqlab"])
    if not grimm:
        meta = res["meta"]
        course = Verdict(NOT_COMPARABLE, f"the corpus is {meta['title']}, source `{meta['source']}`, not Grimms' Fairy "
                                         f"Tales; measured: {course.evidence}", course.numbers)
        seqlab = Verdict(NOT_COMPARABLE, seqlab.evidence, seqlab.numbers)
    return Claim(cid, quote, SOURCE, full, course, COURSE, tuple(accuracy_deviations(res)), corrected(p, seqlab))


def claims(p: CharParams) -> list[Claim]:
    res = read_json(paths.study_results(COURSE_RESULTS))
    g = res["params"]["generate"]
    every = ("Judged on any corpus, since it compares the model's texts with each other and with its own training "
             "text; a corpus other than Grimm is a deviation.")
    rows = [
        accuracy_row(p, res, "charlm.not_converged_at_1500", NOT_CONVERGED, still_rising, f"step {EARLY_STEP:,}",
                     f"The training-batch accuracy over the last {res['params']['train']['acc_window']} steps to "
                     f"{EARLY_STEP:,} is above that over the steps before them by more than 2 standard errors of the "
                     "difference (still rising: holds); within 2 SE is within noise (levelled off); below by more, "
                     "does not hold."),
        accuracy_row(p, res, "charlm.accuracy_at_5000", ACCURACY, about_course_accuracy, f"step {COURSE_STEP:,}",
                     f"The training-batch accuracy over the last {res['params']['train']['acc_window']} steps to "
                     f"{COURSE_STEP:,} is within {ABOUT} of {COURSE_ACC} (\"approximately\") by more than 2 standard "
                     "errors: holds; outside it by more than 2 SE: does not hold; on its edge: within noise."),
    ]
    judged = [
        ("charlm.greedy_richer_with_training", RICHER, richer_with_training, greedy_deviations,
         f"On each start's greedy text ({g['measure_length']} characters), at the last checkpoint against the first, "
         "paired over the starts: (a) longer dependencies from the data: at each character, the longest stretch "
         "starting there that occurs verbatim in the training text (at most 100 characters), averaged over the text, "
         "is longer by more than 2 standard errors; (b) more complex: the text has more distinct words by more than "
         "2 SE. Holds if both hold, does not hold if neither does, mixed otherwise."),
        ("charlm.greedy_loops", LOOPS, greedy_loops, greedy_deviations,
         f"At the last checkpoint, the greedy text from each start ({g['measure_length']} characters) ends in a loop: "
         "a periodic tail of at least two full cycles and 20 characters. Holds if every start's does, does not hold "
         "if none does, mixed otherwise."),
        ("charlm.temperature_fixes_loops", FEW_REPEATS, fewer_repeats, sample_deviations,
         "At each of the course's temperatures (softmax(τ · logits), the final model): no sample ends in a loop, and "
         f"the share of repeated {g['ngram']}-grams, averaged per start, is below the greedy text's at the samples' "
         "length by more than 2 standard errors, paired over the starts. Holds if every temperature passes both, "
         "does not hold if none does, mixed otherwise."),
        ("charlm.course_tau05_nonsense", NONSENSE, nonsense, sample_deviations,
         "The course's τ = 0.5 is seqlab's τ = 2 (the flattest). Proxy for a nonsense word: one not in the training "
         "text's vocabulary (words are runs of letters, lower-cased; a sample's first and last word are not judged). "
         "(a) Its samples have fewer words in the vocabulary than the course's τ = 1 samples, by more than 2 "
         f"standard errors over paired samples; (b) \"most of the time\": fewer than {MOST} of its words are in it, "
         "by more than 2 SE. Holds if both hold, does not hold if neither does, mixed otherwise."),
        ("charlm.course_tau1_spelling_no_syntax", SPELLING_NO_SYNTAX, lambda run: spelling_without_syntax(
            run, res["heldout_words"]), sample_deviations,
         "The course's τ = 1 is seqlab's τ = 1. (a) Spelling: more than "
         f"{SPELLING} of its words are in the training text's vocabulary, by more than 2 standard errors (the report's "
         "own τ = 1 sample, called correctly spelt, has 0.93; its τ = 0.5 sample 0.46). (b) No syntax, proxied by word "
         "pairs: the share of its adjacent word pairs found in the training text is below the held-out text's own (in "
         f"chunks of {g['sample_length']} characters) by more than 2 SE of the difference. Holds if both hold, does "
         "not hold if neither does, mixed otherwise."),
        ("charlm.course_tau2_some_syntax", SOME_SYNTAX, some_syntax, sample_deviations,
         "The course's τ = 2 is seqlab's τ = 0.5 (the sharpest). Syntax proxied by word pairs: the share of its "
         "adjacent word pairs found in the training text is above the course's τ = 1 samples' by more than 2 standard "
         "errors over paired samples (holds); within noise inside 2 SE; does not hold if below."),
    ]
    for cid, quote, rule, devs, criterion in judged:
        rows.append(Claim(cid, quote, SOURCE, f"{criterion} {every}", rule(res["course"]), COURSE, tuple(devs(res)),
                          corrected(p, rule(res["seqlab"]))))
    return rows
