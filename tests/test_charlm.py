"""The char-LSTM study: corpus sources and their errors, the split, the model, scoring,
decoding, the text measures in closed form, the update rule, the params and the generate CLI.
Every text here is written by the test; the real Grimm file is never read."""

import math
import os
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml

from conftest import ROOT, stage_command
from seqlab.core.errors import DataError, ParamsError
from seqlab.studies.charlm.decoding import generate, score_text
from seqlab.models.charlm import CellLSTM, CharLSTMConfig, cells_from_fused
from seqlab.models.config import count_parameters
from seqlab.studies.charlm.params import parse
from seqlab.studies.charlm.update import CharStep
from seqlab.tasks import text
from seqlab.studies.charlm.textstats import (
    bigram_accuracy,
    bigram_nll,
    bits_per_char,
    chunk_repetition,
    find_loop,
    longest_shared,
    repeated_ngrams,
    shared_passages,
    unigram_accuracy,
    unigram_nll,
)
from seqlab.training.loop import FitConfig, fit

STORY = ("Once upon a time there lived a king and a queen who had no children. 'I will go,' said the king, "
         "and he went into the forest, where he met a little old woman with a basket of apples.\n") * 40
GUTENBERG = ("\ufeffThe Project Gutenberg eBook of Tiny Tales\r\n\r\nTitle: Tiny Tales\r\n\r\n"
             "*** START OF THE PROJECT GUTENBERG EBOOK TINY TALES ***\r\n\r\n{body}\r\n"
             "*** END OF THE PROJECT GUTENBERG EBOOK TINY TALES ***\r\n\r\nThe licence, at length.\r\n")


# --- sources ---------------------------------------------------------------------------------------


def test_a_gutenberg_file_is_recognised_and_stripped_to_the_book(tmp_path):
    path = tmp_path / "book.txt"
    path.write_bytes(GUTENBERG.format(body="Once upon a time.\r\nThe end.").encode("utf-8"))
    corpus = text.load_source(f"file:{path}")
    assert corpus.text == "Once upon a time.\nThe end.\n"  # no header, no licence, no \r, no BOM
    assert corpus.gutenberg and corpus.title == "Tiny Tales"
    assert corpus.raw_sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    assert corpus.sha256 != corpus.raw_sha256


def test_a_plain_file_is_read_whole(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("Plain text, no markers.\n", encoding="utf-8")
    corpus = text.load_source(f"file:{path}")
    assert corpus.text == "Plain text, no markers.\n" and not corpus.gutenberg and corpus.title == "plain.txt"


def test_the_offline_default_is_the_same_text_every_time():
    a, b = text.load_source(text.OFFLINE_DEFAULT), text.load_source(text.OFFLINE_DEFAULT)
    assert a.sha256 == b.sha256 and len(a.text) > 100_000 and a.origin == "pydoc_data.topics"


@pytest.mark.parametrize("content, match", [
    (b"", "holds no text"),
    (b"  \n\n\t\n", "holds no text"),
    (b"caf\xe9 au lait\n", r"is not UTF-8 text \(byte 3, line 1"),
    (GUTENBERG.format(body="\r\n\r\n").encode(), "stripped to nothing"),
    (b"Header\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nbody, no end\n", "no '\\*\\*\\* END OF' line"),
])
def test_a_bad_file_is_named_before_any_work(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"source 'file:{path}': .*{match}"):
        text.load_source(f"file:{path}")


def test_an_unreadable_or_missing_file_is_named(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="is not a file"):
        text.load_source(f"file:{tmp_path / 'missing.txt'}")
    with pytest.raises(DataError, match="is not a file"):
        text.load_source(f"file:{tmp_path}")  # a directory
    locked = tmp_path / "locked.txt"
    locked.write_text("secret")

    def denied(self):  # what a file without read permission gives (root, as in CI, reads any file)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(locked), "read_bytes", denied)
    with pytest.raises(DataError, match=f"source 'file:{locked}': cannot read {locked} \\(Permission denied\\)"):
        text.load_source(f"file:{locked}")


def test_an_unknown_source_lists_the_allowed_ones():
    with pytest.raises(DataError, match="unknown text source 'grimm'.*gutenberg:<id>, file:<path>, pydoc-topics"):
        text.load_source("grimm")


def test_gutenberg_downloads_once_then_reads_the_stripped_book(tmp_path, monkeypatch):
    calls = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return GUTENBERG.format(body="A short tale.").encode("utf-8")

    def fake_urlopen(url, timeout):
        calls.append(url)
        return Response()

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    for _ in range(2):
        corpus = text.load_source("gutenberg:2591", raw=tmp_path)
    assert calls == ["https://www.gutenberg.org/cache/epub/2591/pg2591.txt"]  # once
    assert corpus.text == "A short tale.\n" and (tmp_path / "pg2591.txt").is_file()
    assert not list(tmp_path.glob("*.part"))


def test_gutenberg_offline_fails_clearly_and_writes_nothing(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="gutenberg:2591.*downloading .*pg2591.txt failed.*file:<path>"):
        text.load_source("gutenberg:2591", raw=tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_a_gutenberg_download_without_markers_is_an_error(tmp_path):
    (tmp_path / "pg7.txt").write_text("Not a Gutenberg text at all.\n")
    with pytest.raises(DataError, match="has no '\\*\\*\\* START OF"):
        text.load_source("gutenberg:7", raw=tmp_path)


# --- encoding and the split --------------------------------------------------------------------------


def test_the_vocabulary_round_trips_and_names_unknown_characters():
    vocab = text.Vocabulary.of("abba")
    assert vocab.chars == "ab" and vocab.encode("abba").tolist() == [0, 1, 1, 0]
    assert vocab.decode(vocab.encode("baab")) == "baab"
    with pytest.raises(ValueError, match="the start text has characters outside the model's vocabulary: 'z'"):
        vocab.encode("az", "the start text")


def test_windows_predict_one_character_ahead_and_never_reach_the_held_out_text():
    ids = torch.arange(100)
    cut = text.split_point(100, 0.1)
    assert cut == 90
    x, y = text.windows(ids[:cut], 7)
    assert x.shape == y.shape == (90 - 7, 7)
    assert torch.equal(y, x + 1)  # each target is the next character
    assert int(torch.cat([x, y]).max()) == cut - 1  # no window touches the held-out tail
    assert x.storage_offset() == 0 and x.untyped_storage().data_ptr() == ids.untyped_storage().data_ptr()  # views


def test_a_text_shorter_than_one_batch_is_an_error():
    text.check_sizes("file:x", n_train=30 + 64, n_heldout=10, seq_len=30, batch_size=64)
    with pytest.raises(DataError, match="source 'file:x': the training text has 93 characters, 63 windows.*needs 64"):
        text.check_sizes("file:x", n_train=30 + 63, n_heldout=10, seq_len=30, batch_size=64)
    with pytest.raises(DataError, match="held-out text has 1 characters"):
        text.check_sizes("file:x", n_train=1000, n_heldout=1, seq_len=30, batch_size=64)


# --- text measures, closed form ------------------------------------------------------------------------


def test_bits_per_character_is_nats_over_ln2_on_a_known_distribution():
    probs = torch.full((5, 8), 1 / 8)  # uniform over 8 characters: exactly 3 bits
    nats = F.cross_entropy(probs.log(), torch.arange(5)).item()
    assert nats == pytest.approx(math.log(8)) and bits_per_char(nats) == pytest.approx(3.0)
    p = torch.tensor([[0.5, 0.25, 0.25]])  # the target has p = 1/4: 2 bits
    assert bits_per_char(F.cross_entropy(p.log(), torch.tensor([1])).item()) == pytest.approx(2.0)


def test_repeated_ngrams_in_closed_form():
    assert repeated_ngrams("abcabc", 3) == pytest.approx(1 - 3 / 4)  # abc bca cab abc
    assert repeated_ngrams("abcdef", 3) == 0.0
    assert repeated_ngrams("aaaaaa", 2) == pytest.approx(1 - 1 / 5)
    assert math.isnan(repeated_ngrams("ab", 3))
    assert chunk_repetition("abcabc" + "abcdef", 3, 6) == pytest.approx((0.25 + 0.0) / 2)


def test_the_longest_shared_passage_in_closed_form():
    assert longest_shared("abcdef", "xxcdeyy") == 3  # "cde"
    assert longest_shared("abc", "xyz") == 0
    # over 200 characters difflib's autojunk would call "a" and "b" junk and find nothing long
    a, b = "ab" * 150 + "xyz", "q" + "ab" * 150
    assert longest_shared(a, b) == 300
    assert shared_passages(["hello world", "a world away", "hello"]) == [6, 5, 1]  # pairs (0,1), (0,2), (1,2)
    assert shared_passages(["only one"]) == []


def test_a_loop_is_found_with_its_period_and_onset():
    assert find_loop("xyz" + "ab" * 15) == text_loop(2, 3)
    assert find_loop("and said, 'I will go.' " * 3).period == 23  # the period of the cycle, not a multiple
    assert find_loop("a" * 25) == text_loop(1, 0)
    assert find_loop("Once upon a time there lived a king who had a daughter.") is None
    assert find_loop("hello" + "ab" * 5) is None  # 10 periodic characters: under min_chars


def text_loop(period, onset):
    from seqlab.studies.charlm.textstats import Loop

    return Loop(period, onset)


def test_ngram_baselines_in_closed_form():
    a_ab = np.array([0, 0, 1])  # "aab": unigram counts 2, 1 -> add-one 3/5, 2/5
    assert unigram_nll(a_ab, np.array([0, 1]), 2) == pytest.approx(-math.log(2 / 5))  # scores test[1:] = "b"
    abab = np.array([0, 1, 0, 1])  # bigrams ab x2, ba x1 -> add-one: p(b|a) = 3/4, p(a|b) = 2/3
    assert bigram_nll(abab, np.array([0, 1, 0]), 2) == pytest.approx(-(math.log(3 / 4) + math.log(2 / 3)) / 2)
    assert unigram_accuracy(a_ab, np.array([1, 0, 0, 1]), 2) == pytest.approx(2 / 3)  # guesses "a"
    assert bigram_accuracy(abab, np.array([0, 1, 0, 0]), 2) == pytest.approx(2 / 3)  # a->b right, b->a right, a->a not


# --- the model, scoring and decoding ------------------------------------------------------------------


def tiny(vocab="abc .\n", seed=0, **kw):
    torch.manual_seed(seed)
    cfg = CharLSTMConfig(vocab=vocab, embedding=kw.get("embedding", 5), hidden=kw.get("hidden", 7),
                         layers=kw.get("layers", 2))
    return cfg.build()


def test_parameter_count_in_closed_form_and_every_parameter_gets_a_gradient():
    V, E, H = 6, 5, 7
    model = tiny()
    lstm = 4 * H * (E + H) + 8 * H + 4 * H * (H + H) + 8 * H  # two layers, torch's two biases per gate
    assert count_parameters(model) == V * E + lstm + H * V + V
    x = torch.randint(0, V, (3, 4))
    logits, loss = model(x, torch.randint(0, V, (3, 4)))
    assert logits.shape == (3, 4, V) and loss.ndim == 0
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_the_default_model_is_the_course_size(default_params):
    p = parse(default_params)
    m = p.model
    model = CharLSTMConfig(vocab="x" * 87, embedding=m.embedding, hidden=m.hidden, layers=m.layers).build()
    assert (m.embedding, m.hidden, m.layers) == (64, 128, 2) and isinstance(model.lstm, torch.nn.LSTM)
    assert (p.train.seq_len, p.train.batch_size, p.train.lr, p.train.lr_decay, p.train.decay_every,
            p.train.clip_norm) == (30, 64, 0.002, 0.96, 5000, 5.0)


def test_the_hand_written_cells_compute_what_the_fused_lstm_does():
    fused = tiny()
    cells = cells_from_fused(fused)
    assert cells.cfg.impl == "cell" and isinstance(cells.lstm, CellLSTM)
    # one bias per gate instead of torch's two: 4H fewer parameters per layer
    assert count_parameters(fused) - count_parameters(cells) == 2 * 4 * 7
    x, y = torch.randint(0, 6, (3, 9)), torch.randint(0, 6, (3, 9))
    a, state_a = fused.step(x[:, :4])
    b, state_b = cells.step(x[:, :4])
    torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)
    for sa, sb in zip(state_a, state_b):  # (layers, B, H) both
        torch.testing.assert_close(sb, sa, atol=1e-5, rtol=1e-5)
    # carried on from that state, and the gradients of every weight
    (_, loss_a), (_, loss_b) = fused(x[:, 4:], y[:, 4:], state_a), cells(x[:, 4:], y[:, 4:], state_b)
    torch.testing.assert_close(loss_b, loss_a, atol=1e-5, rtol=1e-5)
    loss_a.backward()
    loss_b.backward()
    for k, cell in enumerate(cells.lstm.cells):
        torch.testing.assert_close(cell.weight_x.grad, getattr(fused.lstm, f"weight_ih_l{k}").grad, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(cell.weight_h.grad, getattr(fused.lstm, f"weight_hh_l{k}").grad, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(cell.bias.grad, getattr(fused.lstm, f"bias_ih_l{k}").grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(cells.embed.weight.grad, fused.embed.weight.grad, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown impl 'cudnn'; valid impls: fused, cell"):
        CharLSTMConfig(vocab="ab", impl="cudnn").build()


def test_carrying_the_state_equals_one_long_forward():
    model = tiny().eval()
    x = torch.randint(0, 6, (2, 12))
    whole, _ = model.step(x)
    a, state = model.step(x[:, :5])
    b, _ = model.step(x[:, 5:], state)
    torch.testing.assert_close(torch.cat([a, b], 1), whole)


def test_score_text_counts_every_character_but_the_first():
    model = tiny()
    ids = torch.randint(0, 6, (53,))
    windowed = score_text(model, ids, seq_len=10)
    assert windowed.n == 52
    # by hand: windows of 10 from a zero state, then the 2-character remainder
    nll = 0.0
    for i in range(0, 52, 10):
        logits, _ = model(ids[i : min(i + 10, 52)].unsqueeze(0))
        nll += F.cross_entropy(logits[0], ids[i + 1 : min(i + 11, 53)], reduction="sum").item()
    assert windowed.nll == pytest.approx(nll, rel=1e-5)
    carried = score_text(model, ids, seq_len=10, carry=True, chunk=7)
    logits, _ = model(ids[:-1].unsqueeze(0))
    assert carried.nll == pytest.approx(F.cross_entropy(logits[0], ids[1:], reduction="sum").item(), rel=1e-5)
    assert carried.correct == int((logits[0].argmax(-1) == ids[1:]).sum())


def trained(seed=0):
    """A tiny model fitted briefly on STORY's start: deterministic for a seed."""
    vocab = text.Vocabulary.of(STORY)
    ids = vocab.encode(STORY[:2000])
    model = tiny(vocab.chars, seed=seed, embedding=8, hidden=16)
    cfg = FitConfig(steps=40, batch_size=16, lr=0.01, clip_norm=5.0, eval_every=20)
    fit(model, text.windows(ids, 12), None, cfg, seed, progress=False,
        step=CharStep(model, cfg, 0.96, 10, (20, 40)))
    return model, vocab


def test_greedy_decoding_is_identical_across_reruns_and_sampling_is_seeded():
    (m1, vocab), (m2, _) = trained(), trained()
    g1, g2 = generate(m1, vocab, "Once", 60), generate(m2, vocab, "Once", 60)
    assert g1 == g2 and len(g1.text) == 60
    s1 = generate(m1, vocab, "O", 60, 1.0, torch.Generator().manual_seed(3))
    s2 = generate(m2, vocab, "O", 60, 1.0, torch.Generator().manual_seed(3))
    assert s1 == s2


def test_sampling_approaches_greedy_as_the_temperature_goes_to_zero():
    model, vocab = trained()
    greedy = generate(model, vocab, "a", 80).text

    def agreement(tau):
        texts = [generate(model, vocab, "a", 80, tau, torch.Generator().manual_seed(s)).text for s in range(5)]
        return np.mean([sum(a == b for a, b in zip(t, greedy)) / len(greedy) for t in texts])

    assert agreement(1e-4) == 1.0
    assert agreement(1e-4) >= agreement(0.5) >= agreement(5.0) and agreement(5.0) < 1.0


def test_greedy_text_is_at_least_as_likely_under_the_model_as_a_sample():
    model, vocab = trained()
    greedy = generate(model, vocab, "a", 100)
    flat = generate(model, vocab, "a", 100, 2.0, torch.Generator().manual_seed(0))
    assert greedy.log_likelihood > flat.log_likelihood and greedy.log_likelihood <= 0


def test_a_start_outside_the_vocabulary_is_an_error():
    model, vocab = trained()
    with pytest.raises(ValueError, match="'Z'"):
        generate(model, vocab, "Zebra", 10)
    with pytest.raises(ValueError, match="empty"):
        generate(model, vocab, "", 10)


def test_the_update_decays_the_learning_rate_and_keeps_the_checkpoints():
    model = tiny()
    cfg = FitConfig(steps=7, batch_size=2, lr=0.1, clip_norm=5.0, eval_every=7)
    step = CharStep(model, cfg, decay=0.5, decay_every=3, keep=(2, 7))
    x = torch.randint(0, 6, (2, 4))
    lrs = []
    for _ in range(7):
        step(x, x)
        lrs.append(step.opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    assert sorted(step.snapshots) == [2, 7]
    assert all(torch.equal(step.snapshots[7][k], v) for k, v in model.state_dict().items())
    assert not torch.equal(step.snapshots[2]["head.weight"], step.snapshots[7]["head.weight"])


# --- params ----------------------------------------------------------------------------------------------


def test_the_defaults_parse_offline_with_checkpoints_at_thirds(default_params):
    p = parse(default_params)
    assert p.data.source == "pydoc-topics" and p.data.heldout == 0.1
    assert p.train.checkpoint_steps() == (p.train.steps // 3, 2 * p.train.steps // 3, p.train.steps)
    assert p.generate.temperatures == (0.5, 1.0, 2.0) and len(p.generate.starts) == 5


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["data"].update(source="grimm"), "'charlm.data.source' is 'grimm'; allowed values: gutenberg:<id>"),
    (lambda c: c["data"].update(source="gutenberg:abc"), "'charlm.data.source' is 'gutenberg:abc'"),
    (lambda c: c["model"].update(impl="cudnn"), "'charlm.model.impl' is 'cudnn'; allowed values: cell, fused"),
    (lambda c: c["data"].update(heldout=1.0), "'charlm.data.heldout' must be strictly between 0 and 1"),
    (lambda c: c["train"].update(checkpoints=5, steps=4), "'charlm.train.checkpoints' \\(5\\) exceeds"),
    (lambda c: c["train"].update(lr_decay=0), "'charlm.train.lr_decay' must be in \\(0, 1\\]"),
    (lambda c: c["generate"].update(temperatures=[0.5, 0]), "'charlm.generate.temperatures' must be a list"),
    (lambda c: c["generate"].update(starts=["T", ""]), "'charlm.generate.starts' must be a list of non-empty"),
    (lambda c: c["generate"].update(ngram=40, measure_length=40), "'charlm.generate.ngram' \\(40\\) must be shorter"),
])
def test_a_bad_param_names_its_key(default_params, edit, message):
    edit(default_params["charlm"])
    with pytest.raises(ParamsError, match=message):
        parse(default_params)


# --- the stage and the CLI ------------------------------------------------------------------------------------


def _stage(tmp_path, params: dict, *args) -> subprocess.CompletedProcess:
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db"}
    return subprocess.run([*stage_command("charlm_prepare")[:-1], *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True)


@pytest.mark.parametrize("content, match", [
    (b"\xff\xfe bad bytes", "is not UTF-8 text"),
    (b"Too short for a batch.\n", "the training text has .* one batch needs 64"),
    (STORY.encode().replace(b"T", b"t"), "'charlm.generate.starts' has 'T'.*not in the vocabulary"),
])
def test_the_prepare_stage_rejects_a_bad_source_before_writing_anything(tmp_path, default_params, content, match):
    (tmp_path / "corpus.txt").write_bytes(content)
    default_params["charlm"]["data"]["source"] = f"file:{tmp_path / 'corpus.txt'}"
    proc = _stage(tmp_path, default_params, "prepare")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1
    assert __import__("re").search(match, proc.stderr), proc.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "mlflow.db").exists()


def test_the_generate_cli_writes_text_and_names_a_bad_start(tmp_path):
    model, vocab = trained()
    ckpt = tmp_path / "model.pt"
    model.cfg.save(ckpt, model.state_dict())
    run = (lambda *a: subprocess.run([sys.executable, "-m", "seqlab.studies.charlm.generate", "--checkpoint", str(ckpt), *a],
                                     capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}))
    ok = run("--start", "Once", "--temperature", "0", "--length", "40")
    assert ok.returncode == 0 and ok.stdout == "Once" + generate(model, vocab, "Once", 40).text + "\n"
    sampled = run("--start", "Once", "--temperature", "0.8", "--length", "40", "--seed", "1")
    assert sampled.returncode == 0 and len(sampled.stdout) == 45
    bad = run("--start", "Zebra", "--length", "10")
    assert bad.returncode == 2 and "'Z'" in bad.stderr and "vocabulary" in bad.stderr and not bad.stdout
    missing = subprocess.run([sys.executable, "-m", "seqlab.studies.charlm.generate", "--checkpoint", str(tmp_path / "no.pt"),
                              "--start", "a"], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert missing.returncode == 2 and "no such checkpoint" in missing.stderr


def test_claims_read_the_course_corpus_by_its_title():
    from seqlab.studies.charlm.params import course_corpus

    assert course_corpus({"title": "Grimms’ Fairy Tales"}) and course_corpus({"title": "Grimms' Fairy Tales"})
    assert not course_corpus({"title": "Python 3.11.7 help topics (pydoc_data.topics)"})
