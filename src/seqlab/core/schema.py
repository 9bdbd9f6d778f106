"""Params schemas declared once: a dataclass field is a params.yaml key.

A study's schema is a tree of frozen dataclasses that mirrors params.yaml. Each leaf field says
how its key is read, in one place::

    @dataclass(frozen=True)
    class Data:
        min_len: int = param(integer, 1)        # recall.data.min_len, an integer >= 1
        max_len: int = param(integer, 1)

        def check(self, key: str) -> None:      # rules across fields, with the section's key
            if self.max_len < self.min_len: ...

    @dataclass(frozen=True)
    class Recall:
        data: Data = part(Data)                 # recall.data, a mapping

:func:`read` walks the tree, so the field's name is the YAML key and the dotted key in every
error is built from the path, never typed. Leaf readers are the typed readers of
seqlab.core.params (``reader(mapping, full_key, *args)``), so errors keep naming the full key
and the allowed values.

**A step reads only what it declares.** ``read(schema, raw, only=("recall.data", "recall.train.hidden"))``
reads those keys and leaves every other field :class:`Unread`: a placeholder that fails,
naming the key, as soon as a step uses it. The declared keys are also the stage's params deps
in dvc.yaml, so a stage reads exactly what DVC watches: changing any other key cannot change
what it computes. :func:`recording` lists the leaf keys a read touched; tests/test_deps.py
compares them with the declarations both ways.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterator

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, get, int_list, integer, number, positive_number, section

_READ, _PART, _SETTING = "seqlab.read", "seqlab.part", "seqlab.setting"
_recorders: list[set[str]] = []


def param(reader: Callable[..., Any], *args: Any) -> Any:
    """A leaf key read by ``reader(mapping, full_key, *args)``."""
    return field(metadata={_READ: (reader, args)})


def part(schema: type) -> Any:
    """A nested section, read with its own schema."""
    return field(metadata={_PART: schema})


def custom(reader: Callable[[dict, str], Any]) -> Any:
    """A key whose reader takes the enclosing mapping and the key itself (a dynamic section)."""
    return field(metadata={_READ: (reader, ())})


def settings() -> Any:
    """The run's settings that no result depends on (:class:`Runtime`): read by every step, never
    recorded as a read, never a DVC params dep, so changing them re-runs nothing."""
    return field(metadata={_SETTING: True})


@dataclass(frozen=True)
class Runtime:
    """``compute.workers`` (runs trained side by side; results are identical for any value, see
    seqlab.training.parallel) and ``mlflow.tracking_uri`` (where runs are recorded; the metrics
    files never depend on it). They stay in params.yaml, where a user looks for settings, but are
    read here, outside the recorded reads, and declared by no stage."""

    workers: int
    tracking_uri: str


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (a container's or ``taskset``'s
    limit, which ``os.cpu_count()`` ignores), capped by ``OMP_NUM_THREADS`` where set (the
    cores one queued experiment may use)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    budget = os.environ.get("OMP_NUM_THREADS", "")
    return min(cores, int(budget)) if budget.isdigit() and int(budget) >= 1 else cores


def workers_setting(mapping: dict, key: str) -> int:
    """``compute.workers``: ``auto`` (every usable core, :func:`usable_cores`) or a count >= 1."""
    if get(mapping, key) == "auto":
        return usable_cores()
    try:
        return integer(mapping, key, 1)
    except ParamsError:
        raise ParamsError(f"params.yaml: '{key}' must be 'auto' or an integer >= 1, "
                          f"got {get(mapping, key)!r}") from None


def runtime(raw: dict) -> Runtime:
    uri = get(section(raw, "mlflow"), "mlflow.tracking_uri")
    if not isinstance(uri, str) or not uri:
        raise ParamsError(f"params.yaml: 'mlflow.tracking_uri' must be a non-empty string, got {uri!r}")
    return Runtime(workers=workers_setting(section(raw, "compute"), "compute.workers"), tracking_uri=uri)


RUNTIME_KEYS = ("compute.workers", "mlflow.tracking_uri")


def _seeds(mapping: dict, key: str) -> tuple[int, ...]:
    return int_list(mapping, key, 0, "training seeds")


@dataclass(frozen=True)
class TrainSettings:
    """The keys every algorithmic study's train section carries; a study's train section
    subclasses it and adds its own."""

    seeds: tuple[int, ...] = param(_seeds)
    steps: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)
    clip_norm: float = param(positive_number)
    eval_every: int = param(integer, 1)
    forget_bias: float = param(number)
    device: str = param(choice, DEVICES)


class Unread:
    """A params value that the running step did not declare. Any use of it fails and names the
    key, so a step cannot silently depend on a key that is not its DVC params dep."""

    __slots__ = ("key",)

    def __init__(self, key: str):
        object.__setattr__(self, "key", key)

    def __reduce__(self):  # travels to worker processes like any value
        return (Unread, (self.key,))

    def __repr__(self) -> str:
        return f"<undeclared params key {self.key}>"

    def _fail(self, *_args, **_kw):
        raise ParamsError(f"params.yaml: '{self.key}' is used by this step but not declared in its params: "
                          "add it to the step's reads (and regenerate dvc.yaml: python -m seqlab.tools.pipeline)")

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail()

    __bool__ = __int__ = __float__ = __index__ = __iter__ = __len__ = __getitem__ = __contains__ = _fail
    __call__ = __format__ = __str__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __floordiv__ = __rfloordiv__ = __mod__ = __pow__ = __neg__ = __abs__ = _fail


def _covers(declared: tuple[str, ...] | None, key: str) -> str:
    """'all' when ``key`` is inside a declared key, 'some' when a declared key is inside it, else ''."""
    if declared is None:
        return "all"
    if any(key == d or key.startswith(d + ".") for d in declared):
        return "all"
    if any(d.startswith(key + ".") for d in declared):
        return "some"
    return ""


def read(schema: type, raw: dict, only: tuple[str, ...] | None = None):
    """An instance of the root ``schema`` read from params.yaml's mapping ``raw``.

    A root schema's fields are top-level keys of params.yaml, or, when it names a ``SECTION``
    (``SECTION = "recall"``), the keys of that section. ``only``: the declared keys; every field
    outside them is :class:`Unread`."""
    name = getattr(schema, "SECTION", "")
    return _read(schema, section(raw, name) if name else raw, name, only, raw)


def _read(schema: type, mapping: dict, key: str, only: tuple[str, ...] | None, raw: dict):
    values = {}
    for f in fields(schema):
        full = f"{key}.{f.name}" if key else f.name
        if _SETTING in f.metadata:
            values[f.name] = runtime(raw)
            continue
        cover = _covers(only, full)
        if not cover:
            values[f.name] = Unread(full)
        elif _PART in f.metadata:
            values[f.name] = _read(f.metadata[_PART], section(mapping, full), full, None if cover == "all" else only, raw)
        elif _READ in f.metadata:
            if cover == "some":
                inner = next(d for d in only if d.startswith(full + "."))
                raise ParamsError(f"'{inner}' is declared, but '{full}' is one key: declare it whole")
            reader, args = f.metadata[_READ]
            for rec in _recorders:
                rec.add(full)
            values[f.name] = reader(mapping, full, *args)
        else:
            raise TypeError(f"{schema.__name__}.{f.name}: declare it with param(), part(), custom() or settings()")
    obj = schema(**values)
    check = getattr(obj, "check", None)
    if check is not None and only is None:  # a rule across keys runs where every key was read
        check(key)
    return obj


def parser(schema: type) -> Callable[[dict], Any]:
    """``parse(raw)``: the whole schema, every key read (the params check, the report, tests).
    ``parse.schema`` is the schema, for tools that read a study's steps' declarations."""

    def parse(raw: dict):
        return read(schema, raw)

    parse.schema = schema
    return parse


def keys(schema: type, key: str | None = None) -> list[str]:
    """Every leaf key a schema declares, dotted (a dynamic section counts as one key)."""
    key = getattr(schema, "SECTION", "") if key is None else key
    out = []
    for f in fields(schema):
        full = f"{key}.{f.name}" if key else f.name
        if _SETTING not in f.metadata:
            out += keys(f.metadata[_PART], full) if _PART in f.metadata else [full]
    return out


@contextlib.contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the leaf keys every :func:`read` inside the block reads."""
    found: set[str] = set()
    _recorders.append(found)
    try:
        yield found
    finally:
        _recorders.remove(found)


def record(key: str) -> None:
    """Note a read made by a custom reader (a dynamic section's keys)."""
    for rec in _recorders:
        rec.add(key)


