"""Reading and writing the small JSON files stages hand each other.

Keys are sorted and the layout fixed, so the same content gives the same bytes: DVC's cache
and `dvc metrics diff` see a change only when a number changed.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_json(path: Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: Path):
    return json.loads(Path(path).read_text())
