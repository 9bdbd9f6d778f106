"""The only reader of params.yaml: validated, typed, frozen.

Every stage calls :func:`load_params` before doing any work, so a bad value stops the stage
with a message naming the key and the allowed values, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from seqlab import paths
from seqlab.errors import ParamsError
from seqlab.models import REGISTRY


@dataclass(frozen=True)
class PalindromeData:
    base: int  # alphabet size: 10 = decimal digits, 2 = the binary variant
    n_train: int
    n_val: int
    n_test: int
    seed: int


@dataclass(frozen=True)
class TrainConfig:
    seeds: tuple[int, ...]
    steps: int
    batch_size: int
    lr: float
    hidden: int
    clip_norm: float
    forget_bias: float
    eval_every: int
    eval_batch_size: int
    device: str


@dataclass(frozen=True)
class EvalConfig:
    target_acc: float


@dataclass(frozen=True)
class ModelSection:
    name: str
    T: tuple[int, ...]
    impl: str


@dataclass(frozen=True)
class PalindromeStudy:
    models: tuple[str, ...]
    data: PalindromeData
    train: TrainConfig
    evaluate: EvalConfig


@dataclass(frozen=True)
class MlflowConfig:
    tracking_uri: str


@dataclass(frozen=True)
class Params:
    palindrome: PalindromeStudy
    model: dict[str, ModelSection]  # every registered model's section, by name
    mlflow: MlflowConfig


# --- small typed readers: each names the full key in its error -------------------------------


def _section(raw: dict, key: str) -> dict:
    value = raw.get(key.rsplit(".", 1)[-1])
    if not isinstance(value, dict):
        raise ParamsError(f"params.yaml: '{key}' must be a mapping, got {value!r}")
    return value


def _get(section: dict, key: str) -> Any:
    name = key.rsplit(".", 1)[-1]
    if name not in section:
        raise ParamsError(f"params.yaml: '{key}' is missing")
    return section[name]


def _int(section: dict, key: str, minimum: int | None = None) -> int:
    value = _get(section, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"params.yaml: '{key}' must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParamsError(f"params.yaml: '{key}' must be >= {minimum}, got {value}")
    return value


def _float(section: dict, key: str) -> float:
    value = _get(section, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"params.yaml: '{key}' must be a number, got {value!r}")
    return float(value)


def _positive_float(section: dict, key: str) -> float:
    value = _get(section, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ParamsError(f"params.yaml: '{key}' must be a positive number, got {value!r}")
    return float(value)


def _choice(section: dict, key: str, allowed) -> str:
    value = _get(section, key)
    if value not in allowed:
        raise ParamsError(
            f"params.yaml: '{key}' is {value!r}; allowed values: {', '.join(sorted(allowed))}"
        )
    return value


def _int_list(section: dict, key: str, minimum: int, what: str) -> tuple[int, ...]:
    """An integer or a list of integers (so `dvc exp run -S lstm.T=20` works as typed)."""
    value = _get(section, key)
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


# --- the loader -------------------------------------------------------------------------------


def parse_params(raw: dict) -> Params:
    """Validate a params mapping (as read from params.yaml) into frozen dataclasses."""
    if not isinstance(raw, dict):
        raise ParamsError("params.yaml: the top level must be a mapping")

    pal = _section(raw, "palindrome")
    models = _model_names(pal, "palindrome.models")
    d = _section(pal, "palindrome.data")
    data = PalindromeData(
        base=_int(d, "palindrome.data.base", minimum=2),
        n_train=_int(d, "palindrome.data.n_train", minimum=1),
        n_val=_int(d, "palindrome.data.n_val", minimum=1),
        n_test=_int(d, "palindrome.data.n_test", minimum=1),
        seed=_int(d, "palindrome.data.seed", minimum=0),
    )
    if data.base > 256:  # digits are stored as uint8
        raise ParamsError(f"params.yaml: 'palindrome.data.base' must be <= 256, got {data.base}")
    t = _section(pal, "palindrome.train")
    train = TrainConfig(
        seeds=_int_list(t, "palindrome.train.seeds", 0, "training seeds"),
        steps=_int(t, "palindrome.train.steps", minimum=1),
        batch_size=_int(t, "palindrome.train.batch_size", minimum=1),
        lr=_positive_float(t, "palindrome.train.lr"),
        hidden=_int(t, "palindrome.train.hidden", minimum=1),
        clip_norm=_positive_float(t, "palindrome.train.clip_norm"),
        forget_bias=_float(t, "palindrome.train.forget_bias"),
        eval_every=_int(t, "palindrome.train.eval_every", minimum=1),
        eval_batch_size=_int(t, "palindrome.train.eval_batch_size", minimum=1),
        device=_choice(t, "palindrome.train.device", {"cpu", "cuda", "auto"}),
    )
    e = _section(pal, "palindrome.evaluate")
    target = _positive_float(e, "palindrome.evaluate.target_acc")
    if target > 1:
        raise ParamsError(f"params.yaml: 'palindrome.evaluate.target_acc' must be <= 1, got {target}")

    sections = {}
    for name in models:
        s = _section(raw, name)
        sections[name] = ModelSection(
            name=name,
            # T >= 2: the model reads the first T-1 digits, so it needs at least one.
            T=_int_list(s, f"{name}.T", 2, "palindrome lengths"),
            impl=_choice(s, f"{name}.impl", REGISTRY[name].impls),
        )
        for T in sections[name].T:
            distinct = data.base ** ((T + 1) // 2)  # a palindrome is fixed by its first half
            if distinct < 3:
                raise ParamsError(
                    f"params.yaml: '{name}.T' has {T}: with palindrome.data.base={data.base} only {distinct} "
                    "distinct palindromes exist, and train, val and test need one each"
                )

    m = _section(raw, "mlflow")
    uri = _get(m, "mlflow.tracking_uri")
    if not isinstance(uri, str) or not uri:
        raise ParamsError(f"params.yaml: 'mlflow.tracking_uri' must be a non-empty string, got {uri!r}")

    return Params(
        palindrome=PalindromeStudy(models=models, data=data, train=train, evaluate=EvalConfig(target)),
        model=sections,
        mlflow=MlflowConfig(tracking_uri=uri),
    )


def _model_names(section: dict, key: str) -> tuple[str, ...]:
    value = _get(section, key)
    names = value if isinstance(value, list) else [value]
    unknown = [n for n in names if n not in REGISTRY]
    if not names or unknown:
        raise ParamsError(
            f"params.yaml: '{key}' has unknown model(s) {unknown or names}; "
            f"allowed values: {', '.join(sorted(REGISTRY))}"
        )
    if len(set(names)) != len(names):
        raise ParamsError(f"params.yaml: '{key}' repeats a model: {names}")
    return tuple(names)


def load_params(path: Path | str = paths.PARAMS) -> Params:
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path} not found: run the stage from the repository root")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path} is not valid YAML: {exc}") from exc
    return parse_params(raw)


def model_section(params: Params, name: str) -> ModelSection:
    """The section of one model, failing clearly when the model is not in palindrome.models."""
    if name not in params.model:
        raise ParamsError(
            f"model {name!r} is not in 'palindrome.models'; "
            f"allowed values: {', '.join(params.palindrome.models)}"
        )
    return params.model[name]

