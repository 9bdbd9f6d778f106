"""Check that every quote in the claims ledger is its report's own words.

    python -m seqlab.tools.quotes [--seeds ../shared/seeds]

Builds every row the way the ledger does (each registered study's claims module on the committed
run's outputs in reports/) and looks for each fragment of its quote (split at QUOTE_CUT) in its
source report. Both sides are normalised alike: compatibility forms, typographic quotes and dashes
to ASCII, runs of whitespace to one space. The course reports live beside the repository
(../shared/seeds/), where CI has them (.ci/run runs this after the tests); exits 1 naming each
fragment not found, 2 when the folder or a study's outputs are missing.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

from seqlab.core.params import read_params
from seqlab.judging.verdicts import SOURCES, Claim, quote_fragments
from seqlab.studies.registry import STUDIES, has_module, study_module

SEEDS = Path("..") / "shared" / "seeds"
_ASCII = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
                        "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-"})


def normalise(text: str) -> str:
    """Compatibility forms (non-breaking spaces and the like), ASCII quotes and dashes, single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).translate(_ASCII)).strip()


def read_reports(folder: Path) -> dict[str, str]:
    """Each source's report text, normalised; a missing folder or report fails naming it."""
    missing = [str(folder / s.file) for s in SOURCES.values() if not (folder / s.file).is_file()]
    if missing:
        raise FileNotFoundError(f"course reports not found: {', '.join(missing)}")
    return {key: normalise((folder / s.file).read_text(encoding="utf-8")) for key, s in SOURCES.items()}


def misquoted(rows: list[Claim], reports: dict[str, str]) -> list[str]:
    """Every fragment of every row's quote that its report does not contain, named by row."""
    out = []
    for row in rows:
        fragments = quote_fragments(row.claim)
        if not fragments:
            out.append(f"{row.id}: an empty quote")
        out += [f"{row.id}: {f!r} is not in {SOURCES[row.source].file} ({SOURCES[row.source].name})"
                for f in fragments if normalise(f) not in reports[row.source]]
    return out


def ledger_rows(raw: dict) -> list[Claim]:
    """Every row the ledger builds, study by study, from the committed run's outputs."""
    return [row for name in STUDIES if has_module(name, "claims")
            for row in study_module(name, "claims").claims(study_module(name, "params").parse(raw))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqlab.tools.quotes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="the course reports' folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        reports, rows = read_reports(args.seeds), ledger_rows(read_params())
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bad = misquoted(rows, reports)
    for line in bad:
        print(line, file=sys.stderr)
    print(f"{len(rows) - len({b.split(':')[0] for b in bad})} of {len(rows)} rows quote their report exactly")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
