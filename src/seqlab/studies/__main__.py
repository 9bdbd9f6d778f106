"""List the registered studies and check params.yaml against each one's schema.

    python -m seqlab.studies

DVC runs a stage only when its own params change, so a typo in another study's section would
surface only when that study next runs; this checks every section at once. Exit status 2 when
any section is invalid.
"""

import sys

from seqlab.core.errors import ParamsError
from seqlab.core.params import read_params
from seqlab.studies.registry import STUDIES, study_module


def main() -> int:
    try:
        raw = read_params()
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for name in STUDIES:
        try:
            study_module(name, "params").parse(raw)
            status = "ok"
        except ParamsError as exc:
            status, failed = f"error: {exc}", failed + 1
        print(f"{name:<11} {study_module(name, 'report').CONTENTS:<34} {status}")
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
