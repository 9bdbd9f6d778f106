"""Every quote in the ledger is the report's own words: each fragment of each claim row (the
quote split at QUOTE_CUT) appears verbatim in its source report in ../shared/seeds/.

The rows are built the way the ledger builds them, by each registered study's claims module on the
committed run's outputs in reports/, so a study that gains a claims module is covered without an
edit here. Both sides are normalised alike: runs of whitespace to one space, typographic quotes
and dashes to their ASCII forms.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
import yaml

from conftest import ROOT
from seqlab.judging.verdicts import QUOTE_CUT, SOURCES, quote_fragments
from seqlab.studies.registry import STUDIES, has_module, study_module

SEEDS = ROOT.parent / "shared" / "seeds"
WITH_CLAIMS = [name for name in STUDIES if has_module(name, "claims")]
_ASCII = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
                        "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-"})


def normalise(text: str) -> str:
    """Compatibility forms (non-breaking spaces and the like), ASCII quotes and dashes, single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).translate(_ASCII)).strip()


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip(f"the course reports' folder {SEEDS} is absent (CI has it beside the repository; a clone may not)")
    return {key: normalise((SEEDS / source.file).read_text(encoding="utf-8")) for key, source in SOURCES.items()}


def test_the_normalisation_treats_both_sides_alike():
    assert normalise("doesn’t  fully\n“understand” – x") == normalise("doesn't fully \"understand\" - x") == \
        "doesn't fully \"understand\" - x"
    assert quote_fragments(QUOTE_CUT.join(("a b", "c"))) == ["a b", "c"]


def test_every_source_names_a_report_in_the_seeds_folder(seeds):
    assert set(seeds) == set(SOURCES) and all(seeds.values())


@pytest.mark.parametrize("study", WITH_CLAIMS)
def test_every_quote_is_in_its_report(study, seeds, monkeypatch):
    monkeypatch.chdir(ROOT)  # the claims modules read the committed run's reports/
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    try:
        rows = study_module(study, "claims").claims(study_module(study, "params").parse(raw))
    except FileNotFoundError as e:
        pytest.skip(f"{study}: the committed run has no outputs for it yet ({e.filename})")
    assert rows, f"{study}: its claims module returned no rows"
    for row in rows:
        fragments = quote_fragments(row.claim)
        assert fragments, f"{row.id}: an empty quote"
        for fragment in fragments:
            assert normalise(fragment) in seeds[row.source], (
                f"{row.id}: {fragment!r} is not in {SOURCES[row.source].file} ({SOURCES[row.source].name})")
