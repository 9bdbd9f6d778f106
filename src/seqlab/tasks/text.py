"""Text corpora for character-level language models: where the text comes from, how a Project
Gutenberg book is cut out of its licence, and the split into training and held-out text.

Sources, chosen by ``charlm.data.source`` in params.yaml:

    gutenberg:<id>   Project Gutenberg eBook <id>, downloaded once into data/raw/pg<id>.txt
                     (2591 is Grimms' Fairy Tales); needs the network the first time.
    file:<path>      any UTF-8 text file; a Gutenberg file is recognised by its
                     "*** START OF ..." line and stripped the same way.
    pydoc-topics     the offline default: the prose of Python's own help topics, which every
                     CPython ships in the standard library (pydoc_data.topics, ~465,000 characters
                     in 3.11). No download, no extra package; the text differs between Python
                     versions, so the corpus checksum goes into the report.

A worked example of the encoding: with the text "abba" the vocabulary is "ab" (sorted), the ids
are [0, 1, 1, 0], and the model reads "abb" and predicts "bba", one character ahead.
"""

from __future__ import annotations

import hashlib
import platform
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from seqlab.core.errors import DataError

OFFLINE_DEFAULT = "pydoc-topics"
SOURCES = ("gutenberg:<id>", "file:<path>", OFFLINE_DEFAULT)
RAW = Path("data") / "raw"  # downloads, kept between runs; not a stage output, so DVC never deletes it
GUTENBERG_URL = "https://www.gutenberg.org/cache/epub/{id}/pg{id}.txt"
# The licence frames the book between these lines ("THE" since 2020, "THIS" before).
_START = re.compile(r"^\*\*\* ?START OF (?:THE|THIS) PROJECT GUTENBERG EBOOK[^\n]*$", re.MULTILINE | re.IGNORECASE)
_TITLE = re.compile(r"^Title:[ \t]*(\S[^\n]*)$", re.MULTILINE)
_END = re.compile(r"^\*\*\* ?END OF (?:THE|THIS) PROJECT GUTENBERG EBOOK[^\n]*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Corpus:
    """A text and where it came from."""

    text: str
    source: str  # the params value it was read from
    origin: str  # what was read: a file path, a URL, a module
    raw_sha256: str  # of the bytes as read, before stripping: the same file gives the same hash
    gutenberg: bool  # a Project Gutenberg header and licence were stripped
    title: str  # the Gutenberg header's Title line; else the module or file name

    @property
    def sha256(self) -> str:
        """Of the text the model sees (UTF-8, after stripping and newline normalisation)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def decode(data: bytes, source: str, where: object) -> str:
    """UTF-8 bytes -> text with '\\n' line ends and no byte-order mark; an error names the byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"source {source!r}: {where} is not UTF-8 text (byte {exc.start}, line {line}: "
                        f"{data[exc.start:exc.start + 1]!r}); convert it, e.g. iconv -t UTF-8") from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def gutenberg_title(text: str) -> str | None:
    """The "Title:" line of a Project Gutenberg header (before the START line), if any."""
    start = _START.search(text)
    found = _TITLE.search(text, 0, start.start() if start else len(text))
    return found.group(1).strip() if found else None


def strip_gutenberg(text: str, source: str, where: object, required: bool) -> tuple[str, bool]:
    """The book between the licence's START and END lines, and whether there were any.

    A text without a START line is returned whole unless ``required`` (a gutenberg: source);
    a START without an END, or markers with nothing between them, is an error.
    """
    start = _START.search(text)
    if start is None:
        if required:
            raise DataError(f"source {source!r}: {where} has no '*** START OF THE PROJECT GUTENBERG EBOOK' line; "
                            "is it a Project Gutenberg plain-text file?")
        return text, False
    end = _END.search(text, start.end())
    if end is None:
        raise DataError(f"source {source!r}: {where} has a '*** START OF' line (line "
                        f"{text[: start.start()].count(chr(10)) + 1}) but no '*** END OF' line after it")
    body = text[start.end() : end.start()].strip("\n")
    if not body.strip():
        raise DataError(f"source {source!r}: {where} holds nothing between its Project Gutenberg START and END "
                        "lines: stripped to nothing")
    return body + "\n", True


def _read_file(path: Path, source: str) -> bytes:
    if not path.is_file():
        raise DataError(f"source {source!r}: {path} is not a file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"source {source!r}: cannot read {path} ({exc.strerror})") from exc


def download_gutenberg(book: int, raw: Path = RAW, timeout: float = 60.0) -> Path:
    """eBook ``book`` as data/raw/pg<book>.txt, downloaded once (written whole or not at all)."""
    path = raw / f"pg{book}.txt"
    if path.is_file():
        return path
    url = GUTENBERG_URL.format(id=book)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a fixed https URL)
            data = response.read()
    except OSError as exc:  # URLError, HTTPError and timeouts are all OSErrors
        raise DataError(f"source 'gutenberg:{book}': downloading {url} failed ({exc}); offline, download it by hand "
                        f"and use file:<path>, or the offline default {OFFLINE_DEFAULT!r}") from exc
    raw.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a failed run never leaves half a book that looks complete
    return path


def pydoc_topics() -> str:
    """The help topics' text, in sorted topic order so the corpus does not depend on dict order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip("\n") for name in sorted(topics)) + "\n"


def load_source(source: str, raw: Path = RAW) -> Corpus:
    """Read ``source`` (see the module docstring); every failure is a DataError naming it."""
    if source == OFFLINE_DEFAULT:
        text = pydoc_topics()
        data = text.encode("utf-8")
        corpus = Corpus(text, source, "pydoc_data.topics", hashlib.sha256(data).hexdigest(), False,
                        f"Python {platform.python_version()} help topics (pydoc_data.topics)")
    elif source.startswith("gutenberg:"):
        book = source.removeprefix("gutenberg:")
        if not book.isdigit():
            raise DataError(f"source {source!r}: expected gutenberg:<id> with a numeric eBook id, e.g. gutenberg:2591")
        path = download_gutenberg(int(book), raw)
        data = _read_file(path, source)
        whole = decode(data, source, path)
        text, stripped = strip_gutenberg(whole, source, path, required=True)
        corpus = Corpus(text, source, GUTENBERG_URL.format(id=int(book)), hashlib.sha256(data).hexdigest(), stripped,
                        gutenberg_title(whole) or f"Project Gutenberg eBook #{book}")
    elif source.startswith("file:") and source != "file:":
        path = Path(source.removeprefix("file:")).expanduser()
        data = _read_file(path, source)
        whole = decode(data, source, path)
        text, stripped = strip_gutenberg(whole, source, path, required=False)
        title = (gutenberg_title(whole) if stripped else None) or path.name
        corpus = Corpus(text, source, str(path), hashlib.sha256(data).hexdigest(), stripped, title)
    else:
        raise DataError(f"unknown text source {source!r}: expected one of {', '.join(SOURCES)}")
    if not corpus.text.strip():
        raise DataError(f"source {source!r}: {corpus.origin} holds no text (empty or only whitespace)")
    return corpus


# --- the encoding and the split ---------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The corpus's distinct characters in sorted order; a character's id is its position."""

    chars: str

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str, what: str = "text") -> torch.Tensor:
        """(len(text),) int64 ids; a character outside the vocabulary is an error naming it."""
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise ValueError(f"{what} has characters outside the model's vocabulary: "
                             f"{', '.join(map(repr, unknown[:10]))}; the vocabulary is {self.chars!r}")
        return torch.tensor([index[c] for c in text], dtype=torch.int64)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split_point(n_chars: int, heldout: float) -> int:
    """Where the held-out text starts: the last ``heldout`` fraction of the corpus, never sampled
    for training (a contiguous tail, so no training window overlaps a held-out character)."""
    return n_chars - int(round(n_chars * heldout))


def check_sizes(source: str, n_train: int, n_heldout: int, seq_len: int, batch_size: int) -> None:
    """Training needs at least one batch of distinct windows of seq_len + 1 characters; the
    held-out text at least one character to predict."""
    windows = n_train - seq_len
    if windows < batch_size:
        raise DataError(f"source {source!r}: the training text has {n_train:,} characters, {max(windows, 0):,} "
                        f"windows of {seq_len} + 1; one batch needs {batch_size} ('charlm.train.batch_size', "
                        "'charlm.train.seq_len'): use a longer text")
    if n_heldout < 2:
        raise DataError(f"source {source!r}: the held-out text has {n_heldout} characters, fewer than 2 "
                        "('charlm.data.heldout'): use a longer text or a larger held-out fraction")


def windows(ids: torch.Tensor, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of the text as (inputs, targets), each (N, seq_len) with N = len(ids) - seq_len,
    targets one character ahead. Both are strided views of ``ids``: indexing a batch copies only
    the batch, so a window may start at any character without storing N copies."""
    return ids[:-1].unfold(0, seq_len, 1), ids[1:].unfold(0, seq_len, 1)
