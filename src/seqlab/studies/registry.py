"""The registry of studies, in the order the report presents them.

Adding a study adds its name here: one line. The pipeline generator (python -m
seqlab.tools.pipeline), the report, the claims ledger and the params check (``python -m
seqlab.studies``) iterate this list; a study's own stages never import it, so registering a new
study re-runs no other study's stages.

Each registered name is a package ``seqlab.studies.<name>`` with a ``stages.yaml`` (its DVC
stages, and what the report and the ledger read of its outputs), a ``params`` module (``parse``:
its schema read whole) and a ``report`` module (``CONTENTS``, its entry in the report's contents
line, and ``section(params) -> list[str]``, its markdown from its stage outputs only); a
``claims`` module (``claims(params) -> list[Claim]``) where the course made claims about it.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

STUDIES = (
    "palindrome",
    "uvapal",
    "sweep",
    "gradflow",
    "recall",
    "addition",
    "adding",
    "add2digits",
    "mnist",
    "masked",
    "gan",
    "charlm",
    "lstmae",
)

# What this module imports by name, for tools that follow imports (tests/test_deps.py).
IMPORTS_BY_NAME = tuple(f"seqlab.studies.{name}.params" for name in STUDIES)


def module_name(name: str, part: str) -> str:
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; registered studies: {', '.join(STUDIES)}")
    return f"seqlab.studies.{name}.{part}"


def study_module(name: str, part: str) -> ModuleType:
    """One module of a registered study (``params``, ``report``, ``claims``); an unknown study
    fails with the registered ones."""
    return importlib.import_module(module_name(name, part))


def has_module(name: str, part: str) -> bool:
    return importlib.util.find_spec(module_name(name, part)) is not None


def parse_all(raw: dict) -> dict[str, object]:
    """Every registered study's params, each validated by its own schema, in registry order."""
    return {name: study_module(name, "params").parse(raw) for name in STUDIES}
