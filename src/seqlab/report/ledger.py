"""Stage claims: the ledger of the course's claims, each with its criterion and this run's verdict.

    python -m seqlab.report.ledger

Every registered study with a ``claims`` module contributes its rows (seqlab.studies.<name>.claims,
built with the criteria of seqlab.judging.verdicts). The stage writes

    reports/metrics/claims.json   claim id -> verdict and its code (1 holds, 0 mixed or within
                                  noise, -1 does not hold, null not comparable), so that
                                  `dvc metrics diff` shows a verdict that flips
    reports/claims/results.json   every row in full: claim, source, criterion, evidence, verdict

and the report opens with the ledger.
"""

from __future__ import annotations

from seqlab.core import paths
from seqlab.core.cli import run_stage
from seqlab.core.files import write_json
from seqlab.studies.registry import STUDIES, has_module, parse_all, study_module
from seqlab.judging.verdicts import CODES, Claim

STUDY = "claims"
WITH_CLAIMS = tuple(name for name in STUDIES if has_module(name, "claims"))
# What this module imports by name, for tools that follow imports (tests/test_deps.py).
IMPORTS_BY_NAME = tuple(f"seqlab.studies.{name}.claims" for name in WITH_CLAIMS)


def collect(params: dict[str, object]) -> list[Claim]:
    rows = [c for name in WITH_CLAIMS for c in study_module(name, "claims").claims(params[name])]
    ids = [c.id for c in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"claim ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return rows


def write_ledger(params: dict[str, object], tracker=None) -> dict:
    rows = collect(params)
    metrics = {c.id: {"verdict": c.result.verdict, "code": CODES[c.result.verdict]} for c in rows}
    write_json(paths.study_metrics(STUDY), metrics)
    write_json(paths.study_results(STUDY), {"claims": [c.row() for c in rows]})
    for c in rows:
        print(f"{c.result.verdict:>14}  {c.id}")
    return metrics


if __name__ == "__main__":
    run_stage(__doc__, parse_all, {"claims": write_ledger})
