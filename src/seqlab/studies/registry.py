"""The registry of studies, in the order the report presents them.

Adding a study adds its name here: one line. The report, the params check
(``python -m seqlab.studies``) and nothing else iterate this list; a study's own stages never
import it, so registering a new study re-runs no other study's stages.

Each registered name is a package ``seqlab.studies.<name>`` whose ``report`` module gives
``parse`` (its params schema), ``CONTENTS`` (its entry in the report's contents line) and
``section(params) -> list[str]`` (its markdown, read from its stage outputs only).
"""

from __future__ import annotations

import importlib
from types import ModuleType

STUDIES = (
    "palindrome",
    "sweep",
    "gradflow",
    "recall",
    "addition",
    "adding",
    "mnist",
)

# What the registry imports by name, for tools that follow imports (tests/test_deps.py).
IMPORTS_BY_NAME = tuple(f"seqlab.studies.{name}.report" for name in STUDIES)


def report_module(name: str) -> ModuleType:
    """A registered study's report module; an unknown name fails with the registered ones."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; registered studies: {', '.join(STUDIES)}")
    return importlib.import_module(f"seqlab.studies.{name}.report")


def parse_all(raw: dict) -> dict[str, object]:
    """Every registered study's params, each validated by its own schema, in registry order."""
    return {name: report_module(name).parse(raw) for name in STUDIES}
