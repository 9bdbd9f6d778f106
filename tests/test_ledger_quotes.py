"""The quote check (seqlab.tools.quotes) on reports and rows made here: it finds each fragment
whatever the typography, and names a row that misquotes. .ci/run runs it on the real reports
beside the repository and the committed run's rows."""

from __future__ import annotations

import pytest

from seqlab.judging.verdicts import HOLDS, QUOTE_CUT, SEQLAB, SOURCES, Claim, Verdict
from seqlab.tools import quotes


def test_the_normalisation_treats_both_sides_alike():
    assert quotes.normalise("doesn’t  fully\n“understand” – x") == quotes.normalise(
        "doesn't fully \"understand\" - x") == "doesn't fully \"understand\" - x"


def _reports(tmp_path, text: str):
    for source in SOURCES.values():
        (tmp_path / source.file).write_text(text, encoding="utf-8")
    return quotes.read_reports(tmp_path)


def _row(quote: str) -> Claim:
    return Claim("x.row", quote, "uva", "rule", Verdict(HOLDS, "e"), SEQLAB, ("hidden 64",))


def test_a_row_quoting_its_report_passes_and_a_misquote_is_named(tmp_path):
    reports = _reports(tmp_path, "The model’s   accuracy is “stable” – mostly.\nIt loops often.")
    assert quotes.misquoted([_row("The model's accuracy is \"stable\" - mostly." + QUOTE_CUT + "It loops")], reports) == []
    bad = quotes.misquoted([_row("The model is perfect." + QUOTE_CUT + "It loops")], reports)
    assert len(bad) == 1 and bad[0].startswith("x.row: 'The model is perfect.' is not in " + SOURCES["uva"].file)
    assert quotes.misquoted([_row("")], reports) == ["x.row: an empty quote"]


def test_a_missing_report_fails_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=SOURCES["uva"].file):
        quotes.read_reports(tmp_path)
    assert quotes.main(["--seeds", str(tmp_path / "nowhere")]) == 2
