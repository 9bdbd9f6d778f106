"""The README and docs/ cannot drift from dvc.yaml and the committed run's records.

Numbers a run produces are typed into README.md and docs/*.md only in the shapes below, and each
is checked against the file the run wrote. Keep the prose in these shapes (or link the number
instead of typing it):

- **Stage names.** A word that starts with a study's stage prefix (the part of a dvc.yaml stage
  name before its first ``_``: ``palindrome_``, ``mnist_``, ...) and continues as a stage name
  (``[a-z_]+``, optionally ``@item`` or ``@<placeholder>``) must be a stage of dvc.yaml, as DVC
  resolves it (``foreach`` expanded); ``@<model>`` stands for any item of that foreach stage.
  A word glued to a path or file name (``/``, ``.``, ``-`` around it) is not a stage name.
- **The stage list.** The section ``## The stages`` of docs/architecture.md names every stage of
  dvc.yaml (a foreach stage by ``name@<model>`` or by each item), ``claims`` and ``report`` included.
- **The README's first screen.** Its first 40 lines hold a line with ``make repro`` and a line
  with ``make test``, each with a time written ``N min``. The ``make repro`` time is the committed
  run's stage processes: the sum over reports/provenance/*.json of ``seconds`` (a step's wall
  time) plus ``startup_seconds`` (the process's start-up before it). The ``make test`` time is a
  measured range that no record holds, so it is not checked.
- **Times.** A code span followed by a time, "`NAME` N min" (a ``:``, ``|`` or ``(`` may sit
  between), anywhere in README.md or docs/*.md, is checked: NAME a study (a stage prefix) is the
  sum of ``seconds`` over that study's stages, as the report's Speed table counts it; NAME a stage
  is that stage's ``seconds``; NAME ``dvc repro`` or ``make repro`` is the total above. Any other
  NAME fails, except ``make test``.
- **Rounding.** A stated time agrees when it is within half a unit of its last digit (36.6 for
  36.64; 102 for 101.73).
- **The findings** (README, between ``<!-- findings`` and ``<!-- /findings -->``): every number
  there appears in reports/report.md; "N for the vanilla RNN/LSTM/GRU/peephole LSTM" are the
  critical lengths of reports/metrics/sweep.json; "N hold / do not hold / are mixed / is within
  noise / are not comparable" are the counts of the verdicts in reports/metrics/claims.json.
- **Sizes.** "hold N GB" in the README is the size dvc.lock gives the outputs under data/ and models/.
- **Links.** Every relative link resolves to a file, and an anchor into a markdown file to one
  of its headings (GitHub's rule: lower case, punctuation dropped, spaces to hyphens).

Nothing here runs DVC's pipeline: it reads dvc.yaml through DVC's resolver and the committed files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PROVENANCE = ROOT / "reports" / "provenance"
FIRST_SCREEN = 40

MIN = r"(\d+(?:\.\d+)?) min\b"
TIMED_SPAN = re.compile(r"`([^`\n]+)`[\s:|(]*" + MIN)
UNCHECKED_TIMES = {"make test"}
TOTAL_NAMES = {"dvc repro", "make repro"}


def pages() -> list[Path]:
    return [README, *DOCS]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def within_rounding(stated: str, actual: float) -> bool:
    decimals = len(stated.partition(".")[2])
    return abs(float(stated) - actual) <= 0.5 * 10 ** -decimals + 1e-9


@pytest.fixture(scope="module")
def stages() -> list[str]:
    """Every stage of dvc.yaml as DVC resolves it (foreach expanded: ``palindrome_train@lstm``)."""
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return [s.addressing for s in repo.index.stages]


@pytest.fixture(scope="module")
def prefixes(stages) -> set[str]:
    """The studies, as the first word of their stage names."""
    return {s.split("@")[0].split("_")[0] for s in stages if "_" in s.split("@")[0]}


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    """The committed run's provenance: stage -> record."""
    out = {}
    for f in sorted(PROVENANCE.glob("*.json")):
        r = json.loads(f.read_text())
        out[r["stage"]] = r
    assert out, f"no records in {rel(PROVENANCE)}"
    return out


def total_minutes(records: dict[str, dict]) -> float:
    return sum(r["seconds"] + (r.get("startup_seconds") or 0.0) for r in records.values()) / 60


def study_minutes(records: dict[str, dict], study: str) -> float:
    return sum(r["seconds"] for s, r in records.items() if s.split("@")[0].split("_")[0] == study) / 60


def stage_words(text: str, prefixes: set[str]) -> set[str]:
    """The words of ``text`` that look like stage names of these studies."""
    alternatives = "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w./-])((?:{alternatives})_[a-z_]*[a-z](?:@(?:<[a-z]+>|[a-z0-9]+))?)(?![\w./-])")
    return set(pattern.findall(text))


def is_stage(word: str, stages: list[str]) -> bool:
    base, at, item = word.partition("@")
    if at and item.startswith("<"):
        return any(s.startswith(base + "@") for s in stages)
    return word in stages


def test_every_stage_named_in_the_readme_and_docs_is_a_stage_of_dvc_yaml(stages, prefixes):
    bad = [f"{rel(p)}: `{w}`" for p in pages() for w in sorted(stage_words(p.read_text(), prefixes))
           if not is_stage(w, stages)]
    assert not bad, ("named as stages but not stages of dvc.yaml (rename them, or fix the prose):\n  "
                     + "\n  ".join(bad))


def test_the_stage_list_names_every_stage(stages):
    text = (ROOT / "docs" / "architecture.md").read_text()
    found = re.search(r"^## The stages\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert found, "docs/architecture.md has no section '## The stages'"
    section = found.group(1)

    def named(stage: str) -> bool:
        base, at, _ = stage.partition("@")
        words = [re.escape(stage)] + ([rf"{re.escape(base)}@<[a-z]+>"] if at else [])
        return any(re.search(rf"(?<![\w@-]){w}(?![\w@-])", section) for w in words)

    missing = [s for s in stages if not named(s)]
    assert not missing, f"docs/architecture.md's stage list misses these stages of dvc.yaml: {missing}"


def test_every_stage_but_the_report_has_a_record_and_every_record_a_stage(stages, records):
    """The times below sum the records: a stage without one would make them too short."""
    missing = [s for s in stages if s != "report" and s not in records]
    stale = [s for s in records if s not in stages]
    assert not missing, f"stages of dvc.yaml with no reports/provenance record: {missing}"
    assert not stale, f"reports/provenance records of stages dvc.yaml no longer has: {stale}"


def test_the_first_screen_gives_both_commands_with_a_time(records):
    head = README.read_text().splitlines()[:FIRST_SCREEN]
    for command in ("make repro", "make test"):
        lines = [line for line in head if command in line and re.search(MIN, line)]
        assert lines, f"README's first {FIRST_SCREEN} lines have no line with `{command}` and a time (N min)"
    repro = next(line for line in head if "make repro" in line and re.search(MIN, line))
    stated = re.search(MIN, repro).group(1)
    actual = total_minutes(records)
    assert within_rounding(stated, actual), (
        f"README says `make repro` takes {stated} min; reports/provenance sums to {actual:.2f} min "
        "(seconds + startup_seconds of every stage)")


def test_every_stated_time_matches_the_committed_records(stages, prefixes, records):
    checked, bad = 0, []
    for page in pages():
        for name, stated in TIMED_SPAN.findall(page.read_text()):
            if name in UNCHECKED_TIMES:
                continue
            if name in TOTAL_NAMES:
                actual = total_minutes(records)
            elif name in prefixes:
                actual = study_minutes(records, name)
            elif name in stages:
                actual = records[name]["seconds"] / 60 if name in records else float("nan")
            else:
                bad.append(f"{rel(page)}: `{name}` {stated} min: no record backs a time for `{name}`")
                continue
            checked += 1
            if not within_rounding(stated, actual):
                bad.append(f"{rel(page)}: `{name}` {stated} min, but reports/provenance gives {actual:.2f} min")
    assert not bad, "times that disagree with the committed run:\n  " + "\n  ".join(bad)
    assert checked, "no time in the README or docs/ was checked: has the phrasing changed?"


def findings() -> str:
    found = re.search(r"<!-- findings.*?-->(.*?)<!-- /findings -->", README.read_text(), re.S)
    assert found, "README has no <!-- findings ... --> ... <!-- /findings --> block"
    text = re.sub(r"\]\([^)]*\)", "]", found.group(1))  # link targets are not findings
    return re.sub(r"\s+", " ", text)


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?:e-?\d+)?", text)}


def test_every_number_of_the_findings_is_in_the_committed_report():
    report = (ROOT / "reports" / "report.md").read_text().replace(",", "")
    absent = [n for n in sorted(numbers(findings()))
              if not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", report)]
    assert not absent, f"numbers in the README's findings that reports/report.md does not state: {absent}"


def test_the_findings_critical_lengths_are_the_sweeps():
    names = {"vanilla RNN": "rnn", "LSTM": "lstm", "GRU": "gru", "peephole LSTM": "peephole"}
    stated = {names[m]: int(n) for n, m in
              re.findall(r"(?<![\d.])(\d+) for the (vanilla RNN|peephole LSTM|LSTM|GRU)\b", findings())}
    assert stated, "the findings state no critical length (\"N for the LSTM\")"
    actual = json.loads((ROOT / "reports" / "metrics" / "sweep.json").read_text())["critical_length"]
    assert stated == {m: actual[m] for m in stated}, f"README: {stated}; reports/metrics/sweep.json: {actual}"


def test_the_findings_verdict_counts_are_the_ledgers():
    canonical = {"hold": "holds", "holds": "holds", "do not hold": "does not hold", "does not hold": "does not hold",
                 "mixed": "mixed", "within noise": "within noise", "not comparable": "not comparable"}
    pattern = r"(?<![\d.])(\d+) (?:are |is )?(do not hold|does not hold|holds|hold|mixed|within noise|not comparable)\b"
    stated = {canonical[v]: int(n) for n, v in re.findall(pattern, findings())}
    assert stated, "the findings state no verdict counts (\"5 hold, 4 do not hold, ...\")"
    claims = json.loads((ROOT / "reports" / "metrics" / "claims.json").read_text())
    actual = dict(Counter(c["verdict"] for c in claims.values()))
    assert stated == actual, f"README: {stated}; reports/metrics/claims.json: {actual}"


def test_the_stated_output_size_is_dvc_locks():
    sizes = re.findall(r"hold (\d+(?:\.\d+)?) GB", README.read_text())
    assert sizes, "README states no output size (\"`data/` and `models/` hold N GB\")"
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())
    actual = sum(o.get("size", 0) for st in lock["stages"].values() for o in st.get("outs", [])
                 if o["path"].split("/")[0] in ("data", "models")) / 1e9
    for stated in sizes:
        assert within_rounding(stated, actual), f"README: {stated} GB; dvc.lock's data/ and models/: {actual:.3f} GB"


def slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    text = re.sub(r"`", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", path.read_text(), re.M)}


def test_every_relative_link_resolves():
    bad = []
    for page in pages():
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (page.parent / file).resolve() if file else page
            if not path.exists():
                bad.append(f"{rel(page)}: {target} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                bad.append(f"{rel(page)}: {target} (no such heading)")
    assert not bad, "broken links:\n  " + "\n  ".join(bad)
