"""The only reader of params.yaml, and the typed readers every study's schema is built from.

Every stage reads params.yaml through its study's schema (seqlab.core.schema, built from the
readers below) before doing any work, so a bad value stops the stage with a message naming the
key and the allowed values, and nothing is written. Each reader takes the mapping that holds the
key and the key's full dotted name, which every error repeats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from seqlab.core import paths
from seqlab.core.errors import ParamsError

P = TypeVar("P")

DEVICES = ("cpu", "cuda", "auto")


def read_params(path: Path | str = paths.PARAMS) -> dict:
    """params.yaml as a plain mapping, failing clearly when it is missing or not YAML."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path} not found: run the stage from the repository root")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: the top level must be a mapping")
    return raw


def load_params(parse: Callable[[dict], P], path: Path | str = paths.PARAMS) -> P:
    """Read params.yaml and validate it with a study's ``parse``."""
    return parse(read_params(path))


# --- typed readers: each names the full key in its error -------------------------------------


def section(raw: dict, key: str) -> dict:
    value = raw.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, dict):
        raise ParamsError(f"params.yaml: '{key}' must be a mapping, got {value!r}")
    return value


def get(mapping: dict, key: str) -> Any:
    name = key.rsplit(".", 1)[-1]
    if name not in mapping:
        raise ParamsError(f"params.yaml: '{key}' is missing")
    return mapping[name]


def integer(mapping: dict, key: str, minimum: int | None = None) -> int:
    value = get(mapping, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"params.yaml: '{key}' must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParamsError(f"params.yaml: '{key}' must be >= {minimum}, got {value}")
    return value


def number(mapping: dict, key: str) -> float:
    value = get(mapping, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"params.yaml: '{key}' must be a number, got {value!r}")
    return float(value)


def positive_number(mapping: dict, key: str) -> float:
    value = get(mapping, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ParamsError(f"params.yaml: '{key}' must be a positive number, got {value!r}")
    return float(value)


def non_negative(mapping: dict, key: str) -> float:
    value = number(mapping, key)
    if value < 0:
        raise ParamsError(f"params.yaml: '{key}' must be >= 0, got {value}")
    return value


def fraction(mapping: dict, key: str) -> float:
    """A number in [0, 1]: a probability, an accuracy target, a dropout rate."""
    value = number(mapping, key)
    if not 0.0 <= value <= 1.0:
        raise ParamsError(f"params.yaml: '{key}' must be between 0 and 1, got {value}")
    return value


def boolean(mapping: dict, key: str) -> bool:
    value = get(mapping, key)
    if not isinstance(value, bool):
        raise ParamsError(f"params.yaml: '{key}' must be true or false, got {value!r}")
    return value


def choice(mapping: dict, key: str, allowed) -> str:
    value = get(mapping, key)
    if value not in allowed:
        raise ParamsError(
            f"params.yaml: '{key}' is {value!r}; allowed values: {', '.join(sorted(allowed))}"
        )
    return value


def int_list(mapping: dict, key: str, minimum: int, what: str) -> tuple[int, ...]:
    """An integer or a list of integers (so `dvc exp run -S lstm.T=20` works as typed)."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ParamsError(f"params.yaml: '{key}' is empty; give {what}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            raise ParamsError(
                f"params.yaml: '{key}' has {item!r}; {what}: each an integer >= {minimum}"
            )
    if len(set(items)) != len(items):
        raise ParamsError(f"params.yaml: '{key}' repeats a value: {items}")
    return tuple(items)


def choice_list(mapping: dict, key: str, allowed) -> tuple[str, ...]:
    """A name or a list of names, each one of ``allowed``, without repeats."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ParamsError(f"params.yaml: '{key}' is empty; allowed values: {', '.join(sorted(allowed))}")
    for item in items:
        if item not in allowed:
            raise ParamsError(
                f"params.yaml: '{key}' has {item!r}; allowed values: {', '.join(sorted(allowed))}"
            )
    if len(set(items)) != len(items):
        raise ParamsError(f"params.yaml: '{key}' repeats a value: {items}")
    return tuple(items)


def stop_at(train: dict, key: str) -> float | None:
    """An early-stopping accuracy in [0, 1], or null for none."""
    if get(train, key) is None:
        return None
    return fraction(train, key)
