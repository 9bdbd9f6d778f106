"""Stages charlm_course_<step>: train the char-LSTM by the UvA course's protocol on the corpus
charlm_prepare wrote, then score it, generate from it, and measure it, and seqlab's own run
(models/charlm) the same way.

    python -m seqlab.studies.charlm.course.steps {train,evaluate}
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import DataError
from seqlab.core.files import read_json, write_json
from seqlab.models.charlm import CharLSTMConfig
from seqlab.models.config import count_parameters
from seqlab.studies.charlm.course.measures import CorpusWords, accuracy_windows, chunks, course_tau, inner_words
from seqlab.studies.charlm.course.params import CourseParams
from seqlab.studies.charlm.decoding import generate, score_text
from seqlab.studies.charlm.layout import STUDY as CHARLM
from seqlab.studies.charlm.steps import CHECKPOINTS, HELDOUT_TEXT, TRAIN_TEXT, load_data
from seqlab.studies.charlm.textstats import bits_per_char, find_loop, repeated_ngrams
from seqlab.studies.charlm.update import CharStep
from seqlab.tasks import text
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.runs import HISTORY, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

STUDY = "charlm_course"  # its outputs: models/charlm_course/, reports/charlm_course/, ...
LOG_EVERY = 10  # the course printed (and plotted) one training batch's accuracy every 10 steps (print_every)


def run_dir() -> Path:
    return paths.run_dir(STUDY, "lstm")


def seqlab_run_dir() -> Path:
    """seqlab's own char-LSTM run (stage charlm_train), measured here by the course's measures."""
    return paths.run_dir(CHARLM, "lstm")


def check_starts(starts: tuple[str, ...], vocab: text.Vocabulary) -> None:
    for start in starts:
        unknown = sorted(set(start) - set(vocab.chars))
        if unknown:
            raise DataError(f"params.yaml: 'charlm.course.generate.starts' has {start!r}, whose "
                            f"{', '.join(map(repr, unknown))} is not in the corpus's vocabulary (data/charlm): "
                            f"choose starts from {vocab.chars!r}")


# --- train ------------------------------------------------------------------------------------


def train(p: CourseParams, tracker=None) -> dict:
    """One run of the course's protocol over random windows of the training text: Adam at a
    constant rate, the training batches' accuracy at every step (the course's metric), the whole
    held-out text scored every ``eval_every`` steps, and the weights kept at each checkpoint."""
    c = p.course
    t, m = c.train, c.model
    device = resolve_device(t.device, "charlm.course.train.device")
    meta, vocab, train_ids, heldout_ids = load_data()
    text.check_sizes(meta["source"], len(train_ids), len(heldout_ids), t.seq_len, t.batch_size)
    check_starts(c.generate.starts, vocab)
    x, y = text.windows(train_ids.to(device), t.seq_len)  # (N, seq_len) views
    heldout = heldout_ids.to(device)
    seed_everything(t.seed)
    cfg = CharLSTMConfig(vocab=vocab.chars, embedding=m.embedding, hidden=m.hidden, layers=m.layers)
    model = cfg.build().to(device)
    fit_cfg = FitConfig(steps=t.steps, batch_size=t.batch_size, lr=t.lr, clip_norm=t.clip_norm,
                        eval_every=t.eval_every)
    # decay 1: the course's train.py takes --learning_rate_decay and --learning_rate_step but never
    # builds a scheduler, so its rate stays 2e-3 throughout
    step = CharStep(model, fit_cfg, decay=1.0, decay_every=t.steps, keep=t.kept())
    eval_seconds = 0.0

    def score_heldout(_step: int, net) -> dict[str, float]:
        nonlocal eval_seconds
        start = time.perf_counter()
        s = score_text(net, heldout, t.seq_len)
        eval_seconds += time.perf_counter() - start
        return {"heldout_loss": s.loss, "heldout_acc": s.accuracy}

    hist = fit(model, (x, y), None, fit_cfg, t.seed, name="char-LSTM (course)", step=step, on_eval=score_heldout)
    result = RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))
    params = {"protocol": "course", "source": meta["source"], **m.__dict__, **{k: v for k, v in t.__dict__.items()
                                                                             if k != "checkpoints"},
              "lr_decay": "none", "vocab_size": vocab.size, "corpus_sha256": meta["sha256"]}
    run_id = record_run(run_dir(), cfg, result, tracker, "course", params)
    for k, state in step.snapshots.items():
        path = run_dir() / CHECKPOINTS / f"step{k:06d}.pt"
        path.parent.mkdir(parents=True, exist_ok=True)
        cfg.save(path, state)
    train_seconds = hist.seconds - eval_seconds
    speed = {"train_seconds": round(train_seconds, 3), "eval_seconds": round(eval_seconds, 3),
             "steps_per_second": round(t.steps / train_seconds, 2),
             "chars_per_second": round(t.steps * t.batch_size * t.seq_len / train_seconds, 1),
             "threads": torch.get_num_threads()}
    write_json(run_dir() / "speed.json", speed)
    if tracker and run_id:
        tracker.log_metrics(run_id, {"chars_per_second": speed["chars_per_second"]})
    return speed


# --- evaluate ---------------------------------------------------------------------------------


def checkpoints_of(run: Path) -> dict[int, Path]:
    """A run's kept weights by step, from their file names (step000500.pt)."""
    return {int(f.stem.removeprefix("step")): f for f in sorted((run / CHECKPOINTS).glob("step*.pt"))}


def greedy_measures(model, vocab, corpus: CorpusWords, g, step: int) -> dict:
    """Greedy text from each start: the course's ``greedy_length`` shown, and ``measure_length``
    characters measured (loop, repeated n-grams, verbatim stretches of the training text, distinct
    words)."""
    texts = [s + generate(model, vocab, s, g.measure_length).text for s in g.starts]
    loops = [find_loop(tx) for tx in texts]
    return {"step": step, "shown": [tx[: len(s) + g.greedy_length] for s, tx in zip(g.starts, texts)],
            "texts": texts, "loop_periods": [lp.period if lp else None for lp in loops],
            "loop_onsets": [lp.onset if lp else None for lp in loops],
            "rep": [round(repeated_ngrams(tx, g.ngram), 6) for tx in texts],
            "match": [round(corpus.mean_match(tx), 4) for tx in texts],
            "types": [len(set(inner_words(tx))) for tx in texts]}


def _share(v: float | None) -> float | None:
    return None if v is None else round(v, 6)


def sampled_measures(model, vocab, corpus: CorpusWords, g, greedy_texts: list[str]) -> dict:
    """``samples`` texts of ``sample_length`` characters per start at each of the course's betas
    (drawn at seqlab's tau = 1 / beta, the same distribution), each measured; and the greedy
    text's first ``sample_length`` characters per start, for comparison at the same length. Every
    draw has its own CPU generator, seeded per (beta, start, sample)."""
    prefix = [tx[: len(s) + g.sample_length] for s, tx in zip(g.starts, greedy_texts)]
    out = {"greedy_prefix": {"rep": [round(repeated_ngrams(tx, g.ngram), 6) for tx in prefix],
                             "loops": [find_loop(tx) is not None for tx in prefix]}, "betas": {}}
    for b, beta in enumerate(g.betas):
        rows = []
        for j, s in enumerate(g.starts):
            for k in range(g.samples):
                gen = torch.Generator().manual_seed(g.seed + 100_000 * b + 1000 * j + k)
                tx = s + generate(model, vocab, s, g.sample_length, course_tau(beta), gen).text
                rows.append({"start": j, "text": tx, "in_vocab": _share(corpus.in_vocab(tx)),
                             "bigram": _share(corpus.bigram_share(tx)),
                             "rep": round(repeated_ngrams(tx, g.ngram), 6), "loop": find_loop(tx) is not None})
        out["betas"][f"{beta:g}"] = {"beta": beta, "tau": course_tau(beta), "samples": rows}
    return out


def heldout_words(heldout_text: str, corpus: CorpusWords, length: int) -> dict:
    """The held-out text's own word measures, on chunks of a sample's length: real prose's level."""
    parts = chunks(heldout_text, length)
    inv = [v for v in (corpus.in_vocab(c) for c in parts) if v is not None]
    big = [v for v in (corpus.bigram_share(c) for c in parts) if v is not None]
    return {"chunks": len(parts), "in_vocab": [round(v, 6) for v in inv], "bigram": [round(v, 6) for v in big]}


def run_curves(run: Path, width: int) -> tuple[list[dict], list[dict], pd.DataFrame]:
    """From a run's per-step history: the training-batch accuracy in windows of ``width``, the
    held-out scores at each evaluation, and the course's log (one batch every LOG_EVERY steps)."""
    h = pd.read_csv(run / HISTORY)
    windows = accuracy_windows(h["step"].tolist(), h["train_acc"].tolist(), width)
    ev = h.dropna(subset=["heldout_loss"])
    heldout = [{"step": int(s), "acc": round(float(a), 6), "bpc": round(bits_per_char(float(loss)), 6)}
               for s, a, loss in zip(ev["step"], ev["heldout_acc"], ev["heldout_loss"])]
    log = h.loc[h["step"] % LOG_EVERY == 0, ["step", "train_acc"]].round(6)
    return windows, heldout, log


def measure_run(run: Path, greedy_steps: list[int], vocab, corpus: CorpusWords, g, width: int,
                device) -> tuple[dict, pd.DataFrame]:
    """Everything the ledger reads of one run: its curves, its greedy text at ``greedy_steps``,
    and samples from its final weights; and its course-style log."""
    windows, heldout, log = run_curves(run, width)
    kept = checkpoints_of(run)
    missing = [k for k in greedy_steps if k not in kept]
    if missing:
        raise DataError(f"{run}: no checkpoint at steps {missing}; re-run its training stage")
    config, _ = CharLSTMConfig.read(run / paths.CHECKPOINT)
    if config.vocab != vocab.chars:
        raise DataError(f"{run} was trained on another corpus than data/charlm: re-run its training stage")
    greedy = [greedy_measures(CharLSTMConfig.load(kept[k], device), vocab, corpus, g, k) for k in greedy_steps]
    final = CharLSTMConfig.load(run / paths.CHECKPOINT, device)
    last = read_json(run / RUN)["steps_run"]
    final_greedy = greedy[-1] if greedy_steps[-1] == last else greedy_measures(final, vocab, corpus, g, last)
    return {"config": {"embedding": config.embedding, "hidden": config.hidden, "layers": config.layers,
                       "n_params": count_parameters(final), "steps": last},
            "windows": windows, "heldout": heldout, "greedy": greedy, "final_step": last,
            "sampled": sampled_measures(final, vocab, corpus, g, final_greedy["texts"])}, log


def evaluate_study(p: CourseParams, tracker=None) -> dict:
    """Measure the course's run and seqlab's the same way: training-batch accuracy windows,
    held-out scores, greedy text at the course's checkpoints (seqlab's at its own), and samples at
    the course's betas from each final model; and the held-out text's own word measures."""
    c = p.course
    t, g = c.train, c.generate
    device = resolve_device(t.device, "charlm.course.train.device")
    meta, vocab, _, _ = load_data()
    check_starts(g.starts, vocab)
    data = paths.study_data(CHARLM)
    corpus = CorpusWords.of((data / TRAIN_TEXT).read_text(encoding="utf-8"))
    course, log = measure_run(run_dir(), list(t.checkpoints), vocab, corpus, g, t.acc_window, device)
    seqlab_steps = sorted(checkpoints_of(seqlab_run_dir()))
    seqlab, _ = measure_run(seqlab_run_dir(), seqlab_steps, vocab, corpus, g, t.acc_window, device)
    corpus_words = heldout_words((data / HELDOUT_TEXT).read_text(encoding="utf-8"), corpus, g.sample_length)
    speed = read_json(run_dir() / "speed.json")

    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    log.to_csv(plots / "train_acc.csv", index=False)
    pd.DataFrame(course["heldout"]).to_csv(plots / "heldout.csv", index=False)

    def window_at(run: dict, step: int) -> float | None:
        return next((w["mean"] for w in run["windows"] if w["step"] == step), None)

    final_h = course["heldout"][-1]
    sampled = course["sampled"]["betas"]
    metrics = {
        **{f"train_acc_{s}": window_at(course, s) for s in (1500, 5000)},
        "train_acc_final": course["windows"][-1]["mean"] if course["windows"] else None,
        "heldout_acc": final_h["acc"], "heldout_bpc": final_h["bpc"],
        "greedy_loops": sum(q is not None for q in course["greedy"][-1]["loop_periods"]),
        **{f"greedy_match_{gr['step']}": round(float(np.mean(gr["match"])), 4) for gr in course["greedy"]},
        **{f"greedy_words_{gr['step']}": round(float(np.mean(gr["types"])), 2) for gr in course["greedy"]},
        **{f"{key}_beta{b}": _mean([r[key] for r in v["samples"]]) for b, v in sampled.items()
           for key in ("in_vocab", "bigram", "rep")},
        "heldout_in_vocab": _mean(corpus_words["in_vocab"]), "heldout_bigram": _mean(corpus_words["bigram"]),
        "train_seconds": speed["train_seconds"], "steps_per_second": speed["steps_per_second"],
    }
    write_json(paths.study_metrics(STUDY), metrics)
    params = {"train": {**t.__dict__, "checkpoints": list(t.checkpoints)},  # the model: course["config"]
              "generate": {**g.__dict__, "starts": list(g.starts), "betas": list(g.betas)}}
    run = read_json(run_dir() / RUN)
    results = {"metrics": metrics, "meta": meta, "params": params, "speed": speed, "run": run,
               "log_every": LOG_EVERY, "heldout_words": corpus_words, "course": course, "seqlab": seqlab}
    write_json(paths.study_results(STUDY), results)
    if tracker and run["run_id"]:
        tracker.log_metrics(run["run_id"], {f"final_{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
    return metrics


def _mean(values: list) -> float | None:
    vals = [v for v in values if v is not None]
    return round(float(np.mean(vals)), 6) if vals else None


STEPS = {
    "train": Step(train, reads=("charlm.course.model", "charlm.course.train", "charlm.course.generate.starts")),
    "evaluate": Step(evaluate_study, reads=("charlm.course.train", "charlm.course.generate")),
}

if __name__ == "__main__":
    run_stage(__doc__, CourseParams, STEPS, experiment=CHARLM)
