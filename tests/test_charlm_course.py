"""The char-LSTM by the UvA course's protocol: its model and metric, its temperature convention,
the text measures in closed form, every ledger criterion on synthetic measures for each verdict it
can return, and the two stages on tiny params. Every text here is written by the test; the real
Grimm file is never read."""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from conftest import ROOT, stage_command
from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE
from seqlab.models.charlm import CharLSTMConfig
from seqlab.models.config import count_parameters
from seqlab.studies.charlm import claims as C
from seqlab.studies.charlm.course.measures import (
    CorpusWords,
    accuracy_windows,
    batch_accuracy,
    chunks,
    course_probs,
    course_tau,
    inner_words,
    words,
)
from seqlab.studies.charlm.course.params import COURSE_MODEL, COURSE_TRAIN, parse
from seqlab.studies.charlm.decoding import generate
from seqlab.studies.charlm.params import parse as parse_charlm
from seqlab.studies.charlm.update import CharStep
from seqlab.tasks import text
from seqlab.training.loop import FitConfig



# --- the model, the metric and the temperature ----------------------------------------------------


def test_the_course_model_is_the_courses_and_its_parameters_count_in_closed_form(default_params):
    c = parse(default_params).course
    assert {k: getattr(c.model, k) for k in COURSE_MODEL} == COURSE_MODEL == {"embedding": 64, "hidden": 256, "layers": 2}
    assert {k: getattr(c.train, k) for k in COURSE_TRAIN} == COURSE_TRAIN
    V, E, H = 81, 64, 256  # Grimm's 81 characters
    model = CharLSTMConfig(vocab="x" * V, embedding=E, hidden=H, layers=2).build()
    lstm = (4 * H * (E + H) + 8 * H) + (4 * H * (H + H) + 8 * H)  # two layers, torch's two biases per gate
    assert count_parameters(model) == V * E + lstm + H * V + V == 882_065
    assert isinstance(model.lstm, nn.LSTM) and model.lstm.num_layers == 2


def test_the_training_batch_accuracy_is_the_argmax_at_every_position():
    # B = 2, T = 3, V = 4: argmaxes [[0, 1, 2], [3, 3, 0]] against targets [[0, 1, 1], [3, 0, 0]]: 4 of 6
    logits = torch.full((2, 3, 4), -1.0)
    for (b, t), k in zip([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], [0, 1, 2, 3, 3, 0]):
        logits[b, t, k] = 2.0
    targets = torch.tensor([[0, 1, 1], [3, 0, 0]])
    assert batch_accuracy(logits, targets) == pytest.approx(4 / 6)

    class Fixed(nn.Module):  # returns the hand-made logits, so the update's recorded accuracy is known
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def forward(self, x, y):
            out = logits + self.w
            return out, F.cross_entropy(out.flatten(0, 1), y.flatten())

    model = Fixed()
    cfg = FitConfig(steps=1, batch_size=2, lr=0.1, clip_norm=5.0, eval_every=1)
    scalars = CharStep(model, cfg, decay=1.0, decay_every=1, keep=())(torch.zeros(2, 3, dtype=torch.long), targets)
    assert scalars["acc"].item() == pytest.approx(4 / 6)  # what training records is the course's metric


def test_the_course_update_keeps_its_rate():
    model = nn.Linear(2, 2)
    cfg = FitConfig(steps=5, batch_size=2, lr=0.002, clip_norm=5.0, eval_every=5)
    step = CharStep(_Wrap(model), cfg, decay=1.0, decay_every=5, keep=())
    for _ in range(12):
        step(torch.randn(2, 2), torch.randint(0, 2, (2,)))
    assert step.opt.param_groups[0]["lr"] == 0.002


class _Wrap(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, y):
        out = self.inner(x)
        return out, F.cross_entropy(out, y)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 3.7])
def test_the_courses_temperature_is_the_inverse_of_seqlabs(beta):
    logits = torch.tensor([[2.0, 0.5, -1.0, 0.0]])
    assert torch.allclose(course_probs(logits, beta), F.softmax(logits / course_tau(beta), dim=-1))
    assert course_tau(0.5) == 2.0 and course_tau(2.0) == 0.5  # the course's 0.5 is seqlab's 2


def test_a_large_course_temperature_is_sharper():
    logits = torch.tensor([2.0, 0.5, -1.0, 0.0])
    assert course_probs(logits, 2.0).max() > course_probs(logits, 1.0).max() > course_probs(logits, 0.5).max()


def test_sampling_at_seqlabs_tau_draws_what_the_course_drew():
    torch.manual_seed(0)
    vocab = text.Vocabulary("abcde")
    model = CharLSTMConfig(vocab=vocab.chars, embedding=3, hidden=5, layers=1).build().eval()
    beta = 2.0
    sample = generate(model, vocab, "a", 12, course_tau(beta), torch.Generator().manual_seed(7))
    # the course's loop: softmax(beta * logits), one draw per character, with the same generator
    gen, out = torch.Generator().manual_seed(7), []
    with torch.no_grad():
        logits, state = model.step(vocab.encode("a").unsqueeze(0))
        logits = logits[:, -1]
        for _ in range(12):
            nxt = torch.multinomial(course_probs(logits, beta), 1, generator=gen)
            out.append(int(nxt))
            step_logits, state = model.step(nxt, state)
            logits = step_logits[:, -1]
    assert sample.text == vocab.decode(out)


# --- text measures, closed form ----------------------------------------------------------------------


def test_words_are_lower_cased_letter_runs_and_edge_words_are_dropped():
    assert words("Now-Devildres 'bacly' don’t 3x") == ["now", "devildres", "bacly", "don", "t", "x"]
    assert inner_words("ut the straw and said, 'I will") == ["the", "straw", "and", "said", "i"]
    assert inner_words("one") == []


def test_vocabulary_and_word_pair_shares_in_closed_form():
    corpus = CorpusWords.of("the king said the queen. the king went.")
    # inner words of "xx the king flew the dog yy": the, king, flew, the, dog -> 3 of 5 in the vocabulary
    assert corpus.in_vocab("xx the king flew the dog yy") == pytest.approx(3 / 5)
    # pairs: (the, king) yes, (king, flew) no, (flew, the) no, (the, dog) no -> 1 of 4
    assert corpus.bigram_share("xx the king flew the dog yy") == pytest.approx(1 / 4)
    assert corpus.in_vocab("ab") is None and corpus.bigram_share("a b c") is None


def test_verbatim_stretches_in_closed_form():
    corpus = CorpusWords.of("abcabd")
    # at each position of "abcx": "abc" (3), "bc" (2), "c" (1), "" (0, x never occurs)
    assert corpus.match_lengths("abcx") == [3, 2, 1, 0]
    assert corpus.match_lengths("abcabdab") == [6, 5, 4, 3, 2, 1, 2, 1]
    assert corpus.match_lengths("abcabd", cap=2) == [2, 2, 2, 2, 2, 1]
    assert corpus.mean_match("abcx") == pytest.approx(1.5)


def test_accuracy_windows_in_closed_form():
    steps, acc = list(range(1, 7)), [0.1, 0.3, 0.5, 0.5, 0.6, 0.7]
    w = accuracy_windows(steps, acc, 3)
    assert [x["step"] for x in w] == [3, 6] and [x["n"] for x in w] == [3, 3]
    assert w[0]["mean"] == pytest.approx(0.3) and w[0]["sd"] == pytest.approx(0.2)
    assert w[0]["se"] == pytest.approx(0.2 / math.sqrt(3), abs=1e-6) and w[1]["mean"] == pytest.approx(0.6)
    assert chunks("abcdefg", 3) == ["abc", "def"]


# --- the criteria, one verdict at a time -------------------------------------------------------------


def win(step, mean, se=0.002, n=250):
    return {"step": step, "mean": mean, "sd": se * math.sqrt(n), "se": se, "n": n}


def run(windows=(), greedy=None, sampled=None, final_step=1500):
    return {"windows": list(windows), "greedy": greedy or [], "sampled": sampled or {}, "final_step": final_step}


@pytest.mark.parametrize("before, at, verdict", [(0.50, 0.52, HOLDS), (0.52, 0.521, NOISE), (0.53, 0.50, FAILS)])
def test_not_converged_at_1500(before, at, verdict):
    assert C.still_rising(run([win(1000, 0.4), win(1250, before), win(1500, at)])).verdict == verdict


def test_not_converged_needs_the_windows_to_1500():
    assert C.still_rising(run([win(250, 0.3)], final_step=250)).verdict == NOT_COMPARABLE
    assert C.still_rising(run([win(1500, 0.5, n=1500)])).verdict == NOT_COMPARABLE  # no window before it


@pytest.mark.parametrize("mean, se, verdict", [(0.65, 0.002, HOLDS), (0.64, 0.002, HOLDS), (0.60, 0.002, FAILS),
                                               (0.70, 0.002, FAILS), (0.671, 0.002, NOISE)])
def test_about_the_courses_accuracy_at_5000(mean, se, verdict):
    assert C.about_course_accuracy(run([win(5000, mean, se)], final_step=5000)).verdict == verdict


def test_the_accuracy_at_5000_needs_a_window_there():
    v = C.about_course_accuracy(run([win(1500, 0.6)]))
    assert v.verdict == NOT_COMPARABLE and "no training-batch window ends at step 5,000" in v.evidence


def greedy(step, match, periods=(None,) * 3, types=(5, 5, 5)):
    return {"step": step, "match": list(match), "types": list(types), "loop_periods": list(periods),
            "loop_onsets": [0 if q else None for q in periods]}


RICH, POOR = (14, 15, 16), (4, 5, 5)


@pytest.mark.parametrize("early, late, verdict", [
    (greedy(500, [3.0, 3.2, 2.9], types=POOR), greedy(1500, [5.0, 5.4, 5.1], types=RICH), HOLDS),
    (greedy(500, [3.0, 3.2, 2.9], types=POOR), greedy(1500, [3.5, 2.7, 3.0], types=RICH), MIXED),  # not longer
    (greedy(500, [3.0, 3.2, 2.9], types=POOR), greedy(1500, [5.0, 5.4, 5.1], types=(5, 4, 5)), MIXED),  # as poor
    (greedy(500, [5.0, 5.4, 5.1], types=RICH), greedy(1500, [3.0, 3.2, 2.9], types=POOR), FAILS),
])
def test_greedy_text_grows_richer(early, late, verdict):
    assert C.richer_with_training(run(greedy=[early, late])).verdict == verdict


def test_richer_needs_two_checkpoints():
    assert C.richer_with_training(run(greedy=[greedy(1500, [3.0, 4.0])])).verdict == NOT_COMPARABLE


@pytest.mark.parametrize("periods, verdict", [((17, 45, 23), HOLDS), ((None, None, None), FAILS), ((17, None, 9), MIXED)])
def test_greedy_loops(periods, verdict):
    v = C.greedy_loops(run(greedy=[greedy(500, [1, 1, 1]), greedy(1500, [1, 1, 1], periods)]))
    assert v.verdict == verdict and v.numbers["loops"] == sum(q is not None for q in periods)


def samples(values: dict[str, list], starts=3):
    """Sample rows, ``starts`` starts round-robin; ``values`` key -> one value per sample."""
    n = len(next(iter(values.values())))
    return [{"start": i % starts, **{k: v[i] for k, v in values.items()}} for i in range(n)]


def sampled(betas: dict[str, dict], greedy_rep=(0.8, 0.7, 0.9), greedy_loops=(True, True, True)):
    return {"greedy_prefix": {"rep": list(greedy_rep), "loops": list(greedy_loops)},
            "betas": {k: {"samples": samples(v)} for k, v in betas.items()}}


def reps(values, loops=None):
    return {"rep": values, "loop": loops or [False] * len(values)}


@pytest.mark.parametrize("betas, verdict", [
    ({"0.5": reps([0.0, 0.01, 0.02]), "1": reps([0.05, 0.04, 0.06]), "2": reps([0.2, 0.1, 0.15])}, HOLDS),
    ({"0.5": reps([0.0, 0.01, 0.02]), "2": reps([0.2, 0.1, 0.15], [False, True, False])}, MIXED),  # a sample loops
    ({"0.5": reps([0.8, 0.7, 0.9]), "2": reps([0.85, 0.75, 0.85], [True, True, False])}, FAILS),
])
def test_samples_repeat_less_than_greedy_text(betas, verdict):
    assert C.fewer_repeats(run(sampled=sampled(betas))).verdict == verdict


def words_at(in_vocab=None, bigram=None):
    n = len(in_vocab or bigram)
    return {"in_vocab": in_vocab or [0.9] * n, "bigram": bigram or [0.5] * n}


FLAT_BAD = [0.30, 0.35, 0.40, 0.32, 0.38, 0.36]
MODEL_OK = [0.93, 0.95, 0.92, 0.96, 0.94, 0.95]


@pytest.mark.parametrize("flat, model, verdict", [
    (FLAT_BAD, MODEL_OK, HOLDS),
    ([0.70, 0.72, 0.69, 0.71, 0.73, 0.70], MODEL_OK, MIXED),  # fewer than at tau = 1, but most words are real
    ([0.93, 0.95, 0.92, 0.96, 0.94, 0.95], MODEL_OK, FAILS),
])
def test_the_courses_tau_05_is_nonsense(flat, model, verdict):
    s = sampled({"0.5": words_at(flat), "1": words_at(model)})
    assert C.nonsense(run(sampled=s)).verdict == verdict


HELDOUT = {"in_vocab": [0.97] * 40, "bigram": [0.68, 0.72] * 20}


@pytest.mark.parametrize("in_vocab, bigram, verdict", [
    (MODEL_OK, [0.50, 0.55, 0.52, 0.48, 0.53, 0.51], HOLDS),
    ([0.70, 0.75, 0.72, 0.74, 0.71, 0.73], [0.50, 0.55, 0.52, 0.48, 0.53, 0.51], MIXED),  # misspelt
    (MODEL_OK, [0.70, 0.72, 0.69, 0.71, 0.70, 0.72], MIXED),  # as syntactic as real text
    ([0.70, 0.75, 0.72, 0.74, 0.71, 0.73], [0.80, 0.82, 0.79, 0.81, 0.80, 0.83], FAILS),
])
def test_the_courses_tau_1_spells_without_syntax(in_vocab, bigram, verdict):
    s = sampled({"1": words_at(in_vocab, bigram)})
    assert C.spelling_without_syntax(run(sampled=s), HELDOUT).verdict == verdict


@pytest.mark.parametrize("sharp, verdict", [
    ([0.80, 0.85, 0.82, 0.84, 0.81, 0.83], HOLDS),
    ([0.52, 0.50, 0.53, 0.49, 0.51, 0.52], NOISE),
    ([0.30, 0.35, 0.32, 0.34, 0.31, 0.33], FAILS),
])
def test_the_courses_tau_2_shows_some_syntax(sharp, verdict):
    s = sampled({"1": words_at(bigram=[0.50, 0.55, 0.52, 0.48, 0.53, 0.51]), "2": words_at(bigram=sharp)})
    assert C.some_syntax(run(sampled=s)).verdict == verdict


def test_a_temperature_the_run_did_not_sample_is_not_comparable():
    s = sampled({"1": words_at(MODEL_OK)})
    assert C.nonsense(run(sampled=s)).verdict == NOT_COMPARABLE
    assert C.some_syntax(run(sampled=s)).verdict == NOT_COMPARABLE
    assert C.spelling_without_syntax(run(sampled=sampled({"2": words_at(MODEL_OK)})), HELDOUT).verdict == NOT_COMPARABLE


# --- the ledger rows ------------------------------------------------------------------------------------


def results(title="Grimms’ Fairy Tales", final_step=5000, hidden=256):
    windows = [win(1250, 0.55), win(1500, 0.58), win(4750, 0.649), win(5000, 0.651)]
    betas = {"0.5": {**words_at(FLAT_BAD, [0.1] * 6), **reps([0.0] * 6)},
             "1": {**words_at(MODEL_OK, [0.50, 0.55, 0.52, 0.48, 0.53, 0.51]), **reps([0.02] * 6)},
             "2": {**words_at([1.0] * 6, [0.80, 0.85, 0.82, 0.84, 0.81, 0.83]), **reps([0.1] * 6)}}
    one = run(windows, [greedy(500, [3, 3, 3], (9, None, 9), POOR), greedy(1500, [6, 6.5, 7], (17, 45, 23), RICH)],
              sampled(betas), final_step)
    one["config"] = {"embedding": 64, "hidden": hidden, "layers": 2}
    return {"meta": {"title": title, "source": "file:x.txt", "n_train": 900, "heldout": 0.1},
            "params": {"train": {**COURSE_TRAIN, "acc_window": 250},
                       "generate": {"starts": ["t", "a", "u", "v", "g"], "samples": 4, "sample_length": 150,
                                    "measure_length": 500, "ngram": 4}},
            "log_every": 10, "heldout_words": HELDOUT, "course": one, "seqlab": json.loads(json.dumps(one))}


def ledger(tmp_path, monkeypatch, default_params, res) -> dict:
    out = tmp_path / "reports" / "charlm_course"
    out.mkdir(parents=True)
    (out / "results.json").write_text(json.dumps(res))
    monkeypatch.chdir(tmp_path)
    return {c.id: c for c in C.claims(parse_charlm(default_params))}


def test_every_row_is_the_uva_reports_judged_on_the_courses_protocol(tmp_path, monkeypatch, default_params):
    rows = ledger(tmp_path, monkeypatch, default_params, results())
    assert set(rows) == {"charlm.not_converged_at_1500", "charlm.accuracy_at_5000", "charlm.greedy_richer_with_training",
                         "charlm.greedy_loops", "charlm.temperature_fixes_loops", "charlm.course_tau05_nonsense",
                         "charlm.course_tau1_spelling_no_syntax", "charlm.course_tau2_some_syntax"}
    assert all(c.source == "uva" and c.protocol == COURSE and c.deviations for c in rows.values())
    assert all(c.corrected.startswith("seqlab's protocol (2 layers of 128") for c in rows.values())
    # on Grimm, at 5,000 steps, with these measures every row is judged and holds
    assert {k: c.result.verdict for k, c in rows.items()} == dict.fromkeys(rows, HOLDS)
    assert not any(d.startswith("corpus:") for c in rows.values() for d in c.deviations)


def test_on_another_corpus_the_accuracy_rows_are_not_comparable_and_the_generation_rows_judged(
        tmp_path, monkeypatch, default_params):
    rows = ledger(tmp_path, monkeypatch, default_params, results(title="Python help topics", final_step=1500))
    for k in ("charlm.not_converged_at_1500", "charlm.accuracy_at_5000"):
        assert rows[k].result.verdict == NOT_COMPARABLE and "not Grimms' Fairy Tales" in rows[k].result.evidence
        assert rows[k].corrected.startswith("seqlab's protocol") and ": not comparable;" in rows[k].corrected
    assert rows["charlm.greedy_loops"].result.verdict == HOLDS
    assert all(any(d.startswith("corpus: Python help topics") for d in c.deviations) for c in rows.values())
    assert any("after 1,500 steps" in d for d in rows["charlm.course_tau05_nonsense"].deviations)


def test_a_smaller_model_is_a_deviation(tmp_path, monkeypatch, default_params):
    rows = ledger(tmp_path, monkeypatch, default_params, results(hidden=128))
    assert any(d.startswith("model: embedding 64, 2 layers of 128") for d in rows["charlm.greedy_loops"].deviations)


# --- params and the stages ------------------------------------------------------------------------------


@pytest.mark.parametrize("edit, message", [
    (lambda k: k["train"].update(checkpoints=[500, 2000]), r"'charlm\.course\.train\.checkpoints' has \[2000\], beyond"),
    (lambda k: k["train"].update(checkpoints=[1000, 500]), "must be in increasing order"),
    (lambda k: k["train"].update(acc_window=2000), r"'charlm\.course\.train\.acc_window' \(2000\) exceeds"),
    (lambda k: k["generate"].update(betas=[0.5, 0]), r"'charlm\.course\.generate\.betas' must be a list of numbers > 0"),
    (lambda k: k["generate"].update(sample_length=600), r"'charlm\.course\.generate\.sample_length' \(600\) must not"),
    (lambda k: k["model"].update(hidden=0), r"'charlm\.course\.model\.hidden' must be >= 1"),
])
def test_a_bad_course_param_names_its_key(default_params, edit, message):
    edit(default_params["charlm"]["course"])
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


TALE = ("Once upon a time there lived a king and a queen who had no children. 'I will go,' said the king, "
        "and he went into the forest, where he met a little old woman with a basket of apples. ") * 30


def _tiny(tmp_path: Path, default_params: dict) -> dict:
    (tmp_path / "tale.txt").write_text(TALE, encoding="utf-8")
    p = default_params
    c = p["charlm"]
    c["data"]["source"] = f"file:{tmp_path / 'tale.txt'}"
    c["model"].update(embedding=4, hidden=8)
    c["train"].update(steps=6, batch_size=8, eval_every=3, decay_every=3)
    c["generate"].update(starts=["O", "a"], length=10, measure_length=40)
    k = c["course"]
    k["model"].update(embedding=4, hidden=8)
    k["train"].update(steps=8, batch_size=8, eval_every=4, checkpoints=[2, 4], acc_window=4)
    k["generate"].update(starts=["t", "a"], measure_length=40, sample_length=20, samples=2)
    p["mlflow"]["tracking_uri"] = f"sqlite:///{tmp_path}/mlflow.db"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    return p


def test_the_course_stages_train_measure_and_feed_the_ledger(tmp_path, default_params, monkeypatch):
    """The four steps in this process (no tracking), on a tiny text and tiny models."""
    from seqlab.studies.charlm import steps as seqlab_steps
    from seqlab.studies.charlm.course import steps as course_steps

    p = _tiny(tmp_path, default_params)
    monkeypatch.chdir(tmp_path)
    charlm, course_p = parse_charlm(p), parse(p)
    seqlab_steps.prepare(charlm)
    seqlab_steps.train(charlm)
    speed = course_steps.train(course_p)
    assert speed["steps_per_second"] > 0 and speed["threads"] >= 1
    metrics = course_steps.evaluate_study(course_p)
    run = tmp_path / "models" / "charlm_course" / "lstm"
    assert sorted(f.name for f in (run / "checkpoints").iterdir()) == ["step000002.pt", "step000004.pt", "step000008.pt"]
    assert CharLSTMConfig.read(run / "model.pt")[0].hidden == 8
    res = json.loads((tmp_path / "reports" / "charlm_course" / "results.json").read_text())
    course = res["course"]
    assert [w["step"] for w in course["windows"]] == [4, 8] and [h["step"] for h in course["heldout"]] == [4, 8]
    assert [g["step"] for g in course["greedy"]] == [2, 4] and course["final_step"] == 8
    assert all(len(g["types"]) == 2 for g in course["greedy"])
    assert all(len(t) == 41 for g in course["greedy"] for t in g["texts"])  # the start and 40 characters
    assert set(course["sampled"]["betas"]) == {"0.5", "1", "2"}
    assert all(len(b["samples"]) == 4 and len(b["samples"][0]["text"]) == 21 for b in course["sampled"]["betas"].values())
    assert res["seqlab"]["final_step"] == 6 and [g["step"] for g in res["seqlab"]["greedy"]] == [2, 4, 6]
    log = (tmp_path / "reports" / "plots" / "charlm_course" / "train_acc.csv").read_text().splitlines()
    assert log == ["step,train_acc"]  # the course logged every 10 steps: none in 8
    assert metrics["train_acc_1500"] is None and 0 <= metrics["heldout_acc"] <= 1
    assert json.loads((tmp_path / "reports" / "metrics" / "charlm_course.json").read_text()) == metrics
    rows = C.claims(charlm)
    assert len(rows) == 8 and rows[0].result.verdict == NOT_COMPARABLE  # tale.txt is not Grimm


def test_a_bad_course_param_stops_the_stage_before_anything_is_written(tmp_path, default_params):
    p = _tiny(tmp_path, default_params)
    p["charlm"]["course"]["train"]["acc_window"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(p))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(stage_command("charlm_course_train"), cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert "'charlm.course.train.acc_window' must be >= 1" in proc.stderr, proc.stderr
    assert not (tmp_path / "models").exists() and not (tmp_path / "mlflow.db").exists()


def test_the_course_figure_reads_what_the_course_steps_write(tmp_path, monkeypatch):
    import pandas as pd

    from seqlab.studies.charlm import course_figures as figures
    from seqlab.studies.charlm.course import steps

    assert figures.STUDY == steps.STUDY
    monkeypatch.chdir(tmp_path)
    out = figures.plot_protocols(pd.DataFrame({"step": [10, 20, 30], "train_acc": [0.1, 0.2, 0.3]}),
                                 pd.DataFrame({"step": [20], "acc": [0.25], "bpc": [3.0]}),
                                 pd.DataFrame({"step": [10, 20], "train_acc": [0.2, 0.3], "heldout_acc": [0.2, 0.25]}),
                                 20, tmp_path / "f.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
    one = figures.plot_protocols(pd.DataFrame({"step": [10], "train_acc": [0.1]}), pd.DataFrame({"step": [10], "acc": [0.2], "bpc": [3.0]}),
                                 pd.DataFrame({"step": [10], "train_acc": [0.2], "heldout_acc": [0.2]}), 250, tmp_path / "g.png")
    assert one.read_bytes()[:4] == b"\x89PNG"  # a run shorter than one logging interval still draws
