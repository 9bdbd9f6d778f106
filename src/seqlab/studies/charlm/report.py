"""The report's char-LSTM section, read from the study's stage outputs only."""

from __future__ import annotations

import pandas as pd

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.present.markdown import fig, table
from seqlab.studies.charlm.params import COURSE_ACC, COURSE_STEP, CharParams, course_corpus

STUDY = "charlm"
CONTENTS = "Char-LSTM"
IMPL_LABEL = {"fused": "torch's fused `nn.LSTM`", "cell": "the hand-written `LSTMCell`, one per layer"}


def inline(text: str) -> str:
    """Generated text inside a table cell: line breaks shown as ↵, pipes escaped."""
    return "`" + text.replace("\n", "↵").replace("`", "'").replace("|", "\\|") + "`"


def block(text: str) -> list[str]:
    return ["```text", text.replace("```", "'''"), "```"]


def mode_label(mode: str) -> str:
    return "greedy" if mode == "greedy" else f"τ = {mode[1:]}"


def loops(m: dict) -> str:
    periods = [str(p) for p in m["loop_periods"] if p is not None]
    return f"{m['loops']} of {len(m['loop_periods'])}" + (f" (period {', '.join(periods)})" if periods else "")


SHARED = "longest passage two texts share: mean (max), chars"


def shared(m: dict) -> str:
    return "" if m["shared_mean"] is None else f"{m['shared_mean']:.1f} ({m['shared_max']})"


def course_anchor(p: CharParams, res: dict, curves: pd.DataFrame) -> list[str]:
    m, meta = res["metrics"], res["meta"]
    at = curves.loc[curves["step"] == COURSE_STEP]
    at_text = (f"At step {COURSE_STEP:,} this run's held-out accuracy is **{at['heldout_acc'].iloc[0]:.3f}** "
               f"(training batches {at['train_acc'].iloc[0]:.3f})" if len(at) else
               f"This run has no evaluation at step {COURSE_STEP:,} (steps {p.train.steps:,}, evaluated every "
               f"{p.train.eval_every:,})")
    reached = "; ".join(
        f"the {what} accuracy first reaches {COURSE_ACC} at step {m[key]:,}" if m[key] is not None else
        f"the {what} accuracy never reaches {COURSE_ACC} in {p.train.steps:,} steps (final {m[final]:.3f})"
        for what, key, final in (("held-out", "steps_to_course_acc", "heldout_acc"),
                                 ("training-batch", "steps_to_course_acc_train", "train_acc")))
    gap = m["heldout_bpc"] - m["heldout_bpc_lowest"]
    fit = (f"The held-out loss is lowest at step {m['heldout_bpc_lowest_step']:,} ({m['heldout_bpc_lowest']:.3f} "
           f"bits per character) and ends {gap:.3f} bits above it, while the training batches reach "
           f"{m['train_bpc']:.3f}: past that step the model learns the training text rather than the language. "
           "(Described, not used: the checkpoints are fixed fractions of training, and nothing is chosen on the "
           "held-out text.)" if gap > 0.005 else
           f"The held-out loss is still at its lowest at the end ({m['heldout_bpc']:.3f} bits per character; the "
           f"training batches {m['train_bpc']:.3f}).")
    corpus = ("This run is on the course's corpus" if course_corpus(meta) else
              f"This run is on {meta['title']}, not the course's Grimms' Fairy Tales, so the course's number is "
              "not comparable in absolute terms; run `dvc exp run -S charlm.data.source=gutenberg:2591` (or "
              "`file:<path>` to a copy) for the course's corpus")
    return [
        f"The course reports a next-character accuracy of about {COURSE_ACC} after roughly {COURSE_STEP:,} steps "
        "(quoted). Other public numbers for the same set-up, "
        "all quoted, not measured here: a run of the same defaults on another 19th-century book reached a "
        "training-batch accuracy of 0.54 at 5,000 steps and 0.60 at 15,000; the King James Bible 0.63 at 5,000; and a "
        "small model's best held-out loss on tiny-Shakespeare is about 1.47 nats (2.12 bits) per character.",
        "",
        f"{corpus}. {at_text}; {reached}.",
        "",
        fit,
    ]


def section(p: CharParams) -> list[str]:
    res = read_json(paths.study_results(STUDY))
    curves = pd.read_csv(paths.study_plots(STUDY) / "curves.csv")
    m, meta, run, speed, t, g = res["metrics"], res["meta"], res["run"], res["speed"], p.train, p.generate
    mo = p.model
    final = res["checkpoints"][-1]
    base = res["baselines"]
    n = g.ngram
    rows = [{"model": name, "held-out accuracy": f"{b['acc']:.3f}", "nats / char": f"{b['loss']:.3f}",
             "bits / char": f"{b['bpc']:.3f}", "state carried: accuracy": "", "state carried: bits / char": ""}
            for name, b in (("unigram (add-one)", base["unigram"]), ("bigram (add-one)", base["bigram"]))]
    rows += [{"model": f"LSTM, step {c['step']:,}", "held-out accuracy": f"{c['heldout_acc']:.3f}",
              "nats / char": f"{c['heldout_loss']:.3f}", "bits / char": f"{c['heldout_bpc']:.3f}",
              "state carried: accuracy": f"{c['carried_acc']:.3f}",
              "state carried: bits / char": f"{c['carried_bpc']:.3f}"} for c in res["checkpoints"]]
    rows.append({"model": f"LSTM, training batches (last {t.eval_every:,} steps)", "held-out accuracy":
                 f"{m['train_acc']:.3f} (train)", "nats / char": f"{m['train_loss']:.3f}",
                 "bits / char": f"{m['train_bpc']:.3f}", "state carried: accuracy": "",
                 "state carried: bits / char": ""})
    greedy = [{"start": inline(s), **{f"step {c['step']:,}": inline(s + c["greedy_shown"][s])
                                      for c in res["checkpoints"]}} for s in g.starts]
    measures = [{"text": mode_label(mode), f"repeated {n}-grams": f"{md['rep']:.3f}",
                 "ends in a loop": loops(md), SHARED: shared(md),
                 "mean log p (nats / char)": f"{md['log_likelihood']:.3f}"}
                for mode, md in final["modes"].items()]
    corpus = res["corpus"]
    measures.append({"text": f"held-out text ({corpus['chunks']} chunks of {g.measure_length})",
                     f"repeated {n}-grams": f"{corpus['rep']:.3f}",
                     "ends in a loop": f"{corpus['loops']} of {corpus['chunks']}", SHARED: shared(corpus),
                     "mean log p (nats / char)": f"{m['loglik_heldout']:.3f} (state carried)"})
    samples = []
    for mode, md in final["modes"].items():
        samples += [f"**{mode_label(mode)}**, from {g.starts[0]!r}:", "", *block(g.starts[0] + md["texts"][0]), ""]
    vocab = meta["vocab"].replace("\n", "↵")
    return [
        "## Char-LSTM: generating text, and measuring what the course eyeballed",
        "",
        f"The course's character-level language model: an embedding of {mo.embedding}, a {mo.layers}-layer LSTM of "
        f"{mo.hidden} units ({IMPL_LABEL[mo.impl]}) and a linear head over the {meta['vocab_size']} characters; "
        f"{run['n_params']:,} parameters. It reads random windows of {t.seq_len} characters of the training text "
        f"(any start, a fresh permutation each epoch) in batches of {t.batch_size}, and predicts each next character: "
        f"Adam at lr {t.lr:g}, ×{t.lr_decay:g} every {t.decay_every:,} steps, gradient norm clipped at "
        f"{t.clip_norm:g}, {t.steps:,} steps.",
        "",
        "### Corpus",
        "",
        table([
            {"": "source", "value": f"`{meta['source']}`: {meta['title']}"},
            {"": "SHA-256 of the text trained on", "value": f"`{meta['sha256']}`"},
            {"": "SHA-256 of the source as read", "value": f"`{meta['raw_sha256']}`"
                                                          + (" (Gutenberg header and licence stripped)"
                                                             if meta["gutenberg_stripped"] else "")},
            {"": "characters", "value": f"{meta['n_chars']:,}"},
            {"": "vocabulary", "value": f"{meta['vocab_size']} characters: {inline(vocab)}"},
            {"": "training text", "value": f"the first {meta['n_train']:,} characters"},
            {"": "held-out text", "value": f"the last {meta['n_heldout']:,} ({meta['heldout']:.0%}); scored, never "
                                            "sampled for training"},
        ]),
        "",
        ("The offline default is the prose of Python's own help topics, which CPython ships in its standard "
         f"library (`pydoc_data.topics`, Python {meta['python']}): real English, no download and no extra "
         "package, but technical and full of code, so its numbers are not the course's. "
         if "python" in meta else "")
        + "The corpus comes from `charlm.data.source`: `gutenberg:<id>` downloads a Project Gutenberg book once "
          "into `data/raw/`, `file:<path>` reads any UTF-8 file; both strip a Gutenberg header and licence.",
        "",
        "### Learning",
        "",
        fig(STUDY, "curves.png", "Loss, accuracy and bits per character on training batches and held-out text"),
        "",
        f"Held-out scores read the whole held-out text in consecutive windows of {t.seq_len}, each from a zero state "
        "exactly as training reads its windows; *state carried* reads it in one pass, every character seeing all "
        "the text before it, as generation does. The baselines are counted on the training text and add-one "
        "smoothed; their accuracy always guesses the most frequent (next) character.",
        "",
        table(rows),
        "",
        *course_anchor(p, res, curves),
        "",
        f"Training ran at **{speed['chars_per_second']:,.0f} characters per second** ({speed['threads']} threads; "
        f"{speed['train_seconds']:.0f} s of training, {speed['eval_seconds']:.0f} s scoring the held-out text "
        f"every {t.eval_every:,} steps).",
        "",
        "### Generation",
        "",
        "Temperature here is the standard convention, p = softmax(logits / τ): τ < 1 sharpens the model's "
        "distribution, τ = 1 samples it as it is, τ > 1 flattens it, and τ → 0 is greedy decoding. The course "
        "wrote the inverse, softmax(logits · β), where a *large* β meant *sharper*; its \"high temperature\" "
        "samples are low-τ samples here.",
        "",
        f"Greedy decoding, {g.length} characters from each start at each checkpoint (↵ is a line break):",
        "",
        table(greedy),
        "",
        f"What the course judged by eye, measured at the final checkpoint on {g.measure_length} characters from each "
        f"of the {len(g.starts)} starts: the share of repeated {n}-grams (1 − distinct / total; Welleck et al. "
        "2020's rep-n), how many texts end in a loop (a periodic tail of at least two full cycles and 20 "
        "characters), the longest passage that the texts of two different starts share (texts that converge on "
        "one passage loop across samples, which no single text's repetition shows; the held-out chunks are "
        f"paired in groups of {len(g.starts)} alike), and the text's mean log-likelihood under the model. The "
        "held-out text is cut into chunks of the same length, since repetition grows with length.",
        "",
        table(measures),
        "",
        fig(STUDY, "decoding.png", "Repetition and likelihood of generated text at each checkpoint"),
        "",
        *samples,
        "Every sample of every checkpoint is in `reports/charlm/samples/` and in MLflow (experiment `charlm`). "
        "To generate from any checkpoint: `python -m seqlab.studies.charlm.generate --checkpoint models/charlm/lstm/model.pt "
        "--start \"Once\" --temperature 0.8 --length 200`.",
        "",
    ]
