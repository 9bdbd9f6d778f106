"""Stages charlm_<step>: read the corpus and split it, train the character-level LSTM, then
score it on the held-out text, generate from every checkpoint and measure what it generates.

    python -m seqlab.studies.charlm.steps {prepare,train,evaluate}
"""

from __future__ import annotations

import platform
import time

import numpy as np
import pandas as pd
import torch

from seqlab.core import paths
from seqlab.core.cli import Step, run_stage
from seqlab.core.errors import DataError
from seqlab.core.files import read_json, write_json
from seqlab.studies.charlm.decoding import Sample, generate, score_text
from seqlab.models.charlm import CharLSTMConfig
from seqlab.models.config import count_parameters
from seqlab.studies.charlm.layout import GREEDY, STUDY
from seqlab.studies.charlm.params import COURSE_ACC, CharParams
from seqlab.studies.charlm.update import CharStep
from seqlab.tasks import text
from seqlab.studies.charlm.textstats import (
    bigram_accuracy,
    bigram_nll,
    bits_per_char,
    chunk_repetition,
    find_loop,
    repeated_ngrams,
    shared_passages,
    unigram_accuracy,
    unigram_nll,
)
from seqlab.training.loop import FitConfig, fit, resolve_device
from seqlab.training.runs import HISTORY, RUN, RunResult, record_run
from seqlab.training.seeding import seed_everything

TRAIN_TEXT, HELDOUT_TEXT, META = "train.txt", "heldout.txt", "meta.json"
CHECKPOINTS = "checkpoints"


def run_dir():
    return paths.run_dir(STUDY, "lstm")


def checkpoint_path(step: int):
    return run_dir() / CHECKPOINTS / f"step{step:06d}.pt"


def check_starts(p: CharParams, vocab: text.Vocabulary, where: str) -> None:
    for start in p.generate.starts:
        unknown = sorted(set(start) - set(vocab.chars))
        if unknown:
            what = "which is" if start == unknown[0] else f"whose {', '.join(map(repr, unknown))} " + (
                "is" if len(unknown) == 1 else "are")
            raise DataError(f"params.yaml: 'charlm.generate.starts' has {start!r}, {what} not in the vocabulary of "
                            f"{where}: choose starts from {vocab.chars!r}")


# --- prepare ----------------------------------------------------------------------------------


def prepare(p: CharParams, tracker=None) -> dict:
    """Read the source, check it can train and generate, then write the training text, the
    held-out text (the last ``heldout`` fraction) and meta.json to data/charlm/."""
    d, t = p.data, p.train
    corpus = text.load_source(d.source)
    vocab = text.Vocabulary.of(corpus.text)
    cut = text.split_point(len(corpus.text), d.heldout)
    train_text, heldout_text = corpus.text[:cut], corpus.text[cut:]
    text.check_sizes(d.source, len(train_text), len(heldout_text), t.seq_len, t.batch_size)
    check_starts(p, vocab, f"source {d.source!r}")
    meta = {"source": d.source, "origin": corpus.origin, "title": corpus.title, "gutenberg_stripped": corpus.gutenberg,
            "raw_sha256": corpus.raw_sha256, "sha256": corpus.sha256, "n_chars": len(corpus.text),
            "n_train": len(train_text), "n_heldout": len(heldout_text), "heldout": d.heldout,
            "vocab": vocab.chars, "vocab_size": vocab.size}
    if d.source == text.OFFLINE_DEFAULT:
        meta["python"] = platform.python_version()  # the help topics change between Python versions
    out = paths.study_data(STUDY)
    out.mkdir(parents=True, exist_ok=True)
    (out / TRAIN_TEXT).write_text(train_text, encoding="utf-8")
    (out / HELDOUT_TEXT).write_text(heldout_text, encoding="utf-8")
    write_json(out / META, meta)
    return meta


def load_data() -> tuple[dict, text.Vocabulary, torch.Tensor, torch.Tensor]:
    """meta.json, the vocabulary, and the training and held-out texts as ids."""
    data = paths.study_data(STUDY)
    if not (data / META).is_file():
        raise DataError(f"{data}: no corpus; prepare it with `dvc repro charlm_prepare`")
    meta = read_json(data / META)
    vocab = text.Vocabulary(meta["vocab"])
    read = (lambda name: vocab.encode((data / name).read_text(encoding="utf-8"), str(data / name)))
    return meta, vocab, read(TRAIN_TEXT), read(HELDOUT_TEXT)


# --- train ------------------------------------------------------------------------------------


def config(p: CharParams, vocab: text.Vocabulary) -> CharLSTMConfig:
    m = p.model
    return CharLSTMConfig(vocab=vocab.chars, embedding=m.embedding, hidden=m.hidden, layers=m.layers, impl=m.impl)


def train(p: CharParams, tracker=None) -> dict:
    """One run of the loop over random windows of the training text (any start character, a
    fresh permutation each epoch), scoring the whole held-out text at every evaluation point
    and keeping a checkpoint at each of ``checkpoint_steps``."""
    device = resolve_device(p.train.device, "charlm.train.device")
    meta, vocab, train_ids, heldout_ids = load_data()
    t = p.train
    text.check_sizes(p.data.source, len(train_ids), len(heldout_ids), t.seq_len, t.batch_size)
    check_starts(p, vocab, "data/charlm")
    x, y = text.windows(train_ids.to(device), t.seq_len)  # (N, seq_len) views
    heldout = heldout_ids.to(device)
    seed_everything(t.seed)
    model = config(p, vocab).build().to(device)
    cfg = FitConfig(steps=t.steps, batch_size=t.batch_size, lr=t.lr, clip_norm=t.clip_norm, eval_every=t.eval_every)
    step = CharStep(model, cfg, t.lr_decay, t.decay_every, t.checkpoint_steps())
    eval_seconds = 0.0

    def score_heldout(_step: int, m) -> dict[str, float]:
        nonlocal eval_seconds
        start = time.perf_counter()
        s = score_text(m, heldout, t.seq_len)
        eval_seconds += time.perf_counter() - start
        return {"heldout_loss": s.loss, "heldout_acc": s.accuracy}

    hist = fit(model, (x, y), None, cfg, t.seed, name="char-LSTM", step=step, on_eval=score_heldout)
    result = RunResult(hist, {k: v.cpu() for k, v in model.state_dict().items()}, count_parameters(model))
    mo = p.model
    params = {"source": p.data.source, "embedding": mo.embedding, "hidden": mo.hidden, "layers": mo.layers,
              "impl": mo.impl, "steps": t.steps, "seq_len": t.seq_len, "batch_size": t.batch_size, "lr": t.lr,
              "lr_decay": t.lr_decay, "decay_every": t.decay_every, "clip_norm": t.clip_norm, "seed": t.seed,
              "n_train_chars": len(train_ids), "vocab_size": vocab.size, "corpus_sha256": meta["sha256"]}
    run_id = record_run(run_dir(), config(p, vocab), result, tracker, "lstm", params)
    for k, state in step.snapshots.items():
        path = checkpoint_path(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        config(p, vocab).save(path, state)
    train_seconds = hist.seconds - eval_seconds
    speed = {"train_seconds": round(train_seconds, 3), "eval_seconds": round(eval_seconds, 3),
             "chars_per_second": round(t.steps * t.batch_size * t.seq_len / train_seconds, 1),
             "threads": torch.get_num_threads()}
    write_json(run_dir() / "speed.json", speed)
    if tracker and run_id:
        tracker.log_metrics(run_id, {"chars_per_second": speed["chars_per_second"]})
    return speed


# --- evaluate ---------------------------------------------------------------------------------


def measure(samples: list[Sample], n: int) -> dict:
    """Repetition, loops and likelihood of one decoding mode's samples (one per start)."""
    loops = [find_loop(s.text) for s in samples]
    reps = [repeated_ngrams(s.text, n) for s in samples]
    shared = shared_passages([s.text for s in samples])
    return {"rep": round(float(np.mean(reps)), 6), "rep_per_start": [round(r, 6) for r in reps],
            "shared_mean": round(float(np.mean(shared)), 3) if shared else None,
            "shared_max": max(shared, default=None),
            "loops": sum(lp is not None for lp in loops),
            "loop_periods": [lp.period if lp else None for lp in loops],
            "loop_onsets": [lp.onset if lp else None for lp in loops],
            "log_likelihood": round(float(np.mean([s.log_likelihood for s in samples])), 6),
            "texts": [s.text for s in samples]}


def mode_name(temperature: float) -> str:
    return GREEDY if temperature == 0 else f"t{temperature:g}"


def decode_checkpoint(p: CharParams, model, vocab: text.Vocabulary) -> dict:
    """Greedy text from each start (the course's ``length``, shown), and for the measures
    ``measure_length`` characters per start greedily and at every temperature. Sampling draws
    from a CPU generator seeded per (temperature, start), the same on every run."""
    g = p.generate
    shown = {s: generate(model, vocab, s, g.length).text for s in g.starts}
    modes = {}
    for i, tau in enumerate((0.0, *g.temperatures)):
        samples = [generate(model, vocab, s, g.measure_length, tau,
                            torch.Generator().manual_seed(g.seed + 1000 * i + j)) for j, s in enumerate(g.starts)]
        modes[mode_name(tau)] = measure(samples, g.ngram)
    return {"greedy_shown": shown, "modes": modes}


def curves(history: pd.DataFrame) -> pd.DataFrame:
    """One row per evaluation point: the training batches' loss and accuracy averaged over the
    interval that ends there, and the held-out text's; each loss also in bits per character."""
    evals = history.dropna(subset=["heldout_loss"])
    interval = np.searchsorted(evals["step"].to_numpy(), history["step"].to_numpy())
    train = history.groupby(interval)[["train_loss", "train_acc"]].mean().to_numpy()
    out = pd.DataFrame({"step": evals["step"].to_numpy(), "train_loss": train[:, 0], "train_acc": train[:, 1],
                        "heldout_loss": evals["heldout_loss"].to_numpy(), "heldout_acc": evals["heldout_acc"].to_numpy()})
    out["train_bpc"] = bits_per_char(out["train_loss"])
    out["heldout_bpc"] = bits_per_char(out["heldout_loss"])
    return out.round(6)


def evaluate_study(p: CharParams, tracker=None) -> dict:
    """Score every checkpoint on the held-out text (windows as in training, and one pass with
    the state carried), against the unigram and bigram baselines; decode from each checkpoint
    and measure repetition and loops, against the held-out text's own repetition."""
    device = resolve_device(p.train.device, "charlm.train.device")
    meta, vocab, train_ids, heldout_ids = load_data()
    g, t = p.generate, p.train
    heldout = heldout_ids.to(device)
    tr, ho = train_ids.numpy(), heldout_ids.numpy()
    baselines = {"unigram": {"loss": unigram_nll(tr, ho, vocab.size), "acc": unigram_accuracy(tr, ho, vocab.size)},
                 "bigram": {"loss": bigram_nll(tr, ho, vocab.size), "acc": bigram_accuracy(tr, ho, vocab.size)}}
    for b in baselines.values():
        b["bpc"] = bits_per_char(b["loss"])
    checkpoints = []
    for step in t.checkpoint_steps():
        model = CharLSTMConfig.load(checkpoint_path(step), device)
        windowed, carried = score_text(model, heldout, t.seq_len), score_text(model, heldout, t.seq_len, carry=True)
        checkpoints.append({"step": step, "heldout_loss": windowed.loss, "heldout_acc": windowed.accuracy,
                            "heldout_bpc": bits_per_char(windowed.loss), "carried_loss": carried.loss,
                            "carried_acc": carried.accuracy, "carried_bpc": bits_per_char(carried.loss),
                            **decode_checkpoint(p, model, vocab)})
    heldout_text = vocab.decode(heldout_ids)
    chunks = [heldout_text[i : i + g.measure_length]
              for i in range(0, len(heldout_text) - g.measure_length + 1, g.measure_length)]
    corpus_loops = [find_loop(c) for c in chunks]
    # pairs of chunks within consecutive groups of as many chunks as there are starts, as the
    # samples are paired within a decoding mode
    group = len(g.starts)
    shared = [x for i in range(0, len(chunks) - group + 1, group) for x in shared_passages(chunks[i : i + group])]
    corpus = {"rep": chunk_repetition(heldout_text, g.ngram, g.measure_length),
              "chunks": len(corpus_loops), "loops": sum(lp is not None for lp in corpus_loops),
              "shared_mean": round(float(np.mean(shared)), 3) if shared else None,
              "shared_max": max(shared, default=None)}

    history = pd.read_csv(run_dir() / HISTORY)
    table = curves(history)
    plots = paths.study_plots(STUDY)
    plots.mkdir(parents=True, exist_ok=True)
    table.to_csv(plots / "curves.csv", index=False)
    run, speed = read_json(run_dir() / RUN), read_json(run_dir() / "speed.json")
    final, last = checkpoints[-1], table.iloc[-1]
    reached = {k: table.loc[table[f"{k}_acc"] >= COURSE_ACC, "step"] for k in ("heldout", "train")}
    lowest = table.loc[table["heldout_loss"].idxmin()]  # described, never used to pick a checkpoint
    r6 = (lambda v: round(float(v), 6))
    metrics = {
        "heldout_acc": r6(final["heldout_acc"]), "heldout_loss": r6(final["heldout_loss"]),
        "heldout_bpc": r6(final["heldout_bpc"]), "heldout_carried_acc": r6(final["carried_acc"]),
        "heldout_carried_bpc": r6(final["carried_bpc"]),
        "train_acc": r6(last["train_acc"]), "train_loss": r6(last["train_loss"]), "train_bpc": r6(last["train_bpc"]),
        "unigram_bpc": r6(baselines["unigram"]["bpc"]), "bigram_bpc": r6(baselines["bigram"]["bpc"]),
        "unigram_acc": r6(baselines["unigram"]["acc"]), "bigram_acc": r6(baselines["bigram"]["acc"]),
        "steps_to_course_acc": int(reached["heldout"].iloc[0]) if len(reached["heldout"]) else None,
        "steps_to_course_acc_train": int(reached["train"].iloc[0]) if len(reached["train"]) else None,
        "heldout_bpc_lowest": r6(lowest["heldout_bpc"]), "heldout_bpc_lowest_step": int(lowest["step"]),
        "chars_per_second": speed["chars_per_second"], "train_seconds": speed["train_seconds"],
        f"rep{g.ngram}_corpus": r6(corpus["rep"]),
        **{f"rep{g.ngram}_{mode}": m["rep"] for mode, m in final["modes"].items()},
        **{f"loops_{mode}": m["loops"] for mode, m in final["modes"].items()},
        **{f"shared_{mode}": m["shared_mean"] for mode, m in final["modes"].items()},
        "shared_corpus": corpus["shared_mean"],
        **{f"loglik_{mode}": m["log_likelihood"] for mode, m in final["modes"].items()},
        "loglik_heldout": r6(-final["carried_loss"]),
        "n_heldout": meta["n_heldout"] - 1,  # characters predicted
    }
    write_json(paths.study_metrics(STUDY), metrics)
    results = {"metrics": metrics, "meta": meta, "baselines": baselines, "corpus": corpus, "run": run,
               "speed": speed, "checkpoints": checkpoints}
    write_json(paths.study_results(STUDY), results)
    samples = write_samples(p, checkpoints)
    if tracker and run["run_id"]:
        for path in samples:
            tracker.log_artifact(run["run_id"], path)
        # "final_": the training curves already hold heldout_acc, train_loss, ... per step
        tracker.log_metrics(run["run_id"], {f"final_{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
    return metrics


def write_samples(p: CharParams, checkpoints: list[dict]) -> list:
    """The generated text of every checkpoint as reports/charlm/samples/step<N>.txt."""
    out = paths.study_results(STUDY).parent / "samples"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for c in checkpoints:
        lines = [f"# step {c['step']:,}: greedy, {p.generate.length} characters per start", ""]
        lines += [f"{s!r} -> {s + text_!r}" for s, text_ in c["greedy_shown"].items()]
        for mode, m in c["modes"].items():
            label = "greedy" if mode == GREEDY else f"temperature {mode[1:]} (softmax(logits / tau))"
            lines += ["", f"# step {c['step']:,}: {label}, {p.generate.measure_length} characters per start", ""]
            lines += [f"--- start {s!r}\n{s}{sample}" for s, sample in zip(p.generate.starts, m["texts"])]
        path = out / f"step{c['step']:06d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


# prepare and train check the starts against the corpus's vocabulary, so a start no model could
# decode fails before any training; evaluate reads the text and the model from disk.
STEPS = {
    "prepare": Step(prepare, reads=("charlm.data", "charlm.train.seq_len", "charlm.train.batch_size",
                                    "charlm.generate.starts")),
    "train": Step(train, reads=("charlm.data.source", "charlm.model", "charlm.train", "charlm.generate.starts")),
    "evaluate": Step(evaluate_study, reads=("charlm.train.steps", "charlm.train.seq_len", "charlm.train.device",
                                            "charlm.train.checkpoints", "charlm.generate")),
}

if __name__ == "__main__":
    run_stage(__doc__, CharParams, STEPS, experiment=STUDY)
