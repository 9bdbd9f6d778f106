"""The params schema: each key declared once, read with its full key in every error, and a step
handed only the keys it declares."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest

from seqlab.core import schema
from seqlab.core.errors import ParamsError
from seqlab.core.params import choice, int_list, integer
from seqlab.core.schema import Runtime, Unread, param, parser, part, settings


@dataclass(frozen=True)
class Data:
    low: int = param(integer, 0)
    high: int = param(integer, 0)

    def check(self, key: str) -> None:
        if self.high < self.low:
            raise ParamsError(f"params.yaml: '{key}.high' must be >= '{key}.low'")


@dataclass(frozen=True)
class Train:
    sizes: tuple[int, ...] = param(int_list, 1, "sizes")
    kind: str = param(choice, ("a", "b"))


@dataclass(frozen=True)
class Study:
    SECTION = "study"

    data: Data = part(Data)
    train: Train = part(Train)
    runtime: Runtime = settings()


RAW = {"study": {"data": {"low": 1, "high": 3}, "train": {"sizes": [2, 4], "kind": "a"}},
       "compute": {"workers": 2}, "mlflow": {"tracking_uri": "sqlite:///mlflow.db"}}


def _raw(**changes) -> dict:
    raw = {"study": {"data": dict(RAW["study"]["data"]), "train": dict(RAW["study"]["train"])},
           "compute": dict(RAW["compute"]), "mlflow": dict(RAW["mlflow"])}
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        m = raw
        for k in parents:
            m = m[k]
        m[last] = value
    return raw


def test_a_full_read_gives_every_key_and_the_settings():
    p = parser(Study)(RAW)
    assert p.data == Data(1, 3) and p.train == Train((2, 4), "a")
    assert p.runtime == Runtime(workers=2, tracking_uri="sqlite:///mlflow.db")
    assert schema.keys(Study) == ["study.data.low", "study.data.high", "study.train.sizes", "study.train.kind"]


@pytest.mark.parametrize("change,message", [
    ({"study__data__low": "x"}, r"'study\.data\.low' must be an integer"),
    ({"study__train__kind": "c"}, r"'study\.train\.kind' is 'c'; allowed values: a, b"),
    ({"study__data__high": 0}, r"'study\.data\.high' must be >= 'study\.data\.low'"),
    ({"study__train": 3}, r"'study\.train' must be a mapping"),
    ({"compute__workers": 0}, r"'compute\.workers' must be 'auto' or an integer >= 1"),
])
def test_every_error_names_the_full_key(change, message):
    with pytest.raises(ParamsError, match=message):
        parser(Study)(_raw(**change))


def test_a_partial_read_hands_over_only_the_declared_keys_and_records_them():
    with schema.recording() as read:
        p = schema.read(Study, RAW, only=("study.train.sizes",))
    assert read == {"study.train.sizes"}  # the settings are read but never recorded
    assert p.train.sizes == (2, 4) and p.runtime.workers == 2
    assert isinstance(p.data, Unread) and isinstance(p.train.kind, Unread)
    with pytest.raises(ParamsError, match=r"'study\.train\.kind' is used by this step but not declared"):
        p.train.kind == "a"  # noqa: B015
    with pytest.raises(ParamsError, match=r"'study\.data' is used by this step but not declared"):
        p.data.low
    with pytest.raises(ParamsError, match=r"'study\.data' is used"):
        int(p.data)


def test_an_undeclared_key_with_a_bad_value_does_not_stop_a_step_that_never_reads_it():
    p = schema.read(Study, _raw(study__train__kind="c"), only=("study.data",))
    assert p.data.high == 3


def test_a_cross_field_rule_runs_only_on_a_section_read_whole():
    bad = _raw(study__data__high=0)
    assert schema.read(Study, bad, only=("study.data.low",)).data.low == 1
    with pytest.raises(ParamsError):
        schema.read(Study, bad, only=("study.data",))


def test_a_declared_key_inside_a_leaf_is_refused():
    with pytest.raises(ParamsError, match=r"'study\.train\.kind\.x' is declared, but 'study\.train\.kind' is one key"):
        schema.read(Study, RAW, only=("study.train.kind.x",))


def test_unread_travels_to_worker_processes():
    p = schema.read(Study, RAW, only=("study.train",))
    q = pickle.loads(pickle.dumps(p))
    assert q.train == p.train and isinstance(q.data, Unread) and q.data.key == "study.data"
