"""The palindrome study's sections of params.yaml (``palindrome`` and one per model, e.g.
``lstm``): validated, typed, frozen."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import (
    DEVICES,
    MlflowConfig,
    choice,
    fraction,
    get,
    int_list,
    integer,
    mlflow_config,
    number,
    positive_number,
    section,
    workers,
)
from seqlab.models.recurrent import KINDS
from seqlab.tasks.palindrome import PalindromeTask


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
class Claims:
    """The course's claims about this task, as the lengths they name; the report checks them."""

    lstm_solves_T: int  # "the LSTM reaches 100% at T=20"
    rnn_breaks_above_T: int  # "the vanilla RNN falls apart beyond about T=15"


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
    claims: Claims


@dataclass(frozen=True)
class PalindromeParams:
    palindrome: PalindromeStudy
    model: dict[str, ModelSection]  # the section of every model in palindrome.models, by name
    workers: int  # compute.workers: training runs side by side, one thread each
    mlflow: MlflowConfig


# --- parsing ----------------------------------------------------------------------------------


def parse(raw: dict) -> PalindromeParams:
    """Validate a params mapping (as read from params.yaml) into frozen dataclasses."""
    if not isinstance(raw, dict):
        raise ParamsError("params.yaml: the top level must be a mapping")

    pal = section(raw, "palindrome")
    models = _model_names(pal, "palindrome.models")
    d = section(pal, "palindrome.data")
    data = PalindromeData(
        base=integer(d, "palindrome.data.base", minimum=2),
        n_train=integer(d, "palindrome.data.n_train", minimum=1),
        n_val=integer(d, "palindrome.data.n_val", minimum=1),
        n_test=integer(d, "palindrome.data.n_test", minimum=1),
        seed=integer(d, "palindrome.data.seed", minimum=0),
    )
    if data.base > 256:  # digits are stored as uint8
        raise ParamsError(f"params.yaml: 'palindrome.data.base' must be <= 256, got {data.base}")
    t = section(pal, "palindrome.train")
    train = TrainConfig(
        seeds=int_list(t, "palindrome.train.seeds", 0, "training seeds"),
        steps=integer(t, "palindrome.train.steps", minimum=1),
        batch_size=integer(t, "palindrome.train.batch_size", minimum=1),
        lr=positive_number(t, "palindrome.train.lr"),
        hidden=integer(t, "palindrome.train.hidden", minimum=1),
        clip_norm=positive_number(t, "palindrome.train.clip_norm"),
        forget_bias=number(t, "palindrome.train.forget_bias"),
        eval_every=integer(t, "palindrome.train.eval_every", minimum=1),
        eval_batch_size=integer(t, "palindrome.train.eval_batch_size", minimum=1),
        device=choice(t, "palindrome.train.device", DEVICES),
    )
    target = fraction(section(pal, "palindrome.evaluate"), "palindrome.evaluate.target_acc")
    c = section(pal, "palindrome.claims")
    claims = Claims(lstm_solves_T=integer(c, "palindrome.claims.lstm_solves_T", 2),
                    rnn_breaks_above_T=integer(c, "palindrome.claims.rnn_breaks_above_T", 2))

    sections = {}
    for name in models:
        s = section(raw, name)
        sections[name] = ModelSection(
            name=name,
            # T >= 2: the model reads the first T-1 digits, so it needs at least one.
            T=int_list(s, f"{name}.T", 2, "palindrome lengths"),
            impl=choice(s, f"{name}.impl", KINDS[name].impls),
        )
        for T in sections[name].T:
            distinct = PalindromeTask(T, data.base).n_distinct
            if distinct < 3:
                raise ParamsError(
                    f"params.yaml: '{name}.T' has {T}: with palindrome.data.base={data.base} only {distinct} "
                    "distinct palindromes exist, and train, val and test need one each"
                )

    return PalindromeParams(
        palindrome=PalindromeStudy(models=models, data=data, train=train, evaluate=EvalConfig(target), claims=claims),
        model=sections,
        workers=workers(raw),
        mlflow=mlflow_config(raw),
    )


def _model_names(mapping: dict, key: str) -> tuple[str, ...]:
    value = get(mapping, key)
    names = value if isinstance(value, list) else [value]
    unknown = [n for n in names if n not in KINDS]
    if not names or unknown:
        raise ParamsError(
            f"params.yaml: '{key}' has unknown model(s) {unknown or names}; "
            f"allowed values: {', '.join(sorted(KINDS))}"
        )
    if len(set(names)) != len(names):
        raise ParamsError(f"params.yaml: '{key}' repeats a model: {names}")
    return tuple(names)


def model_section(params: PalindromeParams, name: str) -> ModelSection:
    """The section of one model, failing clearly when the model is not in palindrome.models."""
    if name not in params.model:
        raise ParamsError(
            f"model {name!r} is not in 'palindrome.models'; "
            f"allowed values: {', '.join(params.palindrome.models)}"
        )
    return params.model[name]
