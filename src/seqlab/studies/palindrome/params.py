"""The palindrome study's sections of params.yaml: ``palindrome`` and one per model (``rnn``,
``lstm``, ``peephole``, ``gru``), each key declared once, as a field of the schema below
(seqlab.core.schema).

The model sections are top-level keys, so the root schema has no SECTION: its fields are
``palindrome`` and the four model sections. A model's chain of stages reads its own section
(``"{model}.T"``, ``"{model}"`` in a step's reads) and none of the others.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from seqlab.core.errors import ParamsError
from seqlab.core.params import choice, fraction, get, int_list, integer, stop_at
from seqlab.core.schema import Runtime, TrainSettings, Unread, param, parser, part, settings
from seqlab.models.recurrent import KINDS
from seqlab.tasks.palindrome import PalindromeTask


def _model_names(mapping: dict, key: str) -> tuple[str, ...]:
    """``palindrome.models``: a model name or a list of them, each a kind of seqlab.models.recurrent."""
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


@dataclass(frozen=True)
class PalindromeData:
    base: int = param(integer, 2)  # alphabet size: 10 = decimal digits, 2 = the binary variant
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    seed: int = param(integer, 0)

    def check(self, key: str) -> None:
        if self.base > 256:  # digits are stored as uint8
            raise ParamsError(f"params.yaml: '{key}.base' must be <= 256, got {self.base}")


@dataclass(frozen=True)
class TrainConfig(TrainSettings):
    hidden: int = param(integer, 1)
    eval_batch_size: int = param(integer, 1)
    # A run ends once validation accuracy has stood at stop_at for stop_after validation points
    # in a row (stop_at null: every run takes every step). Its curve ends there.
    stop_at: float | None = param(stop_at)
    stop_after: int = param(integer, 1)


@dataclass(frozen=True)
class EvalConfig:
    target_acc: float = param(fraction)


@dataclass(frozen=True)
class Claims:
    """The course's claims about this task, as the lengths they name; the report checks them."""

    lstm_solves_T: int = param(integer, 2)  # "the LSTM reaches 100% at T=20"
    rnn_breaks_above_T: int = param(integer, 2)  # "the vanilla RNN falls apart beyond about T=15"


@dataclass(frozen=True)
class PalindromeStudy:
    models: tuple[str, ...] = param(_model_names)
    data: PalindromeData = part(PalindromeData)
    train: TrainConfig = part(TrainConfig)
    evaluate: EvalConfig = part(EvalConfig)
    claims: Claims = part(Claims)


# --- one section per model: its lengths and its implementation --------------------------------


@dataclass(frozen=True)
class ModelSection:
    """One model's section: ``T``, its lengths, and ``impl``, one of its implementations
    (seqlab.models.recurrent.KINDS), declared by each model's section below."""

    # T >= 2: the model reads the first T-1 digits, so it needs at least one.
    T: tuple[int, ...] = param(int_list, 2, "palindrome lengths")


@dataclass(frozen=True)
class RnnSection(ModelSection):
    impl: str = param(choice, KINDS["rnn"].impls)


@dataclass(frozen=True)
class LstmSection(ModelSection):
    impl: str = param(choice, KINDS["lstm"].impls)


@dataclass(frozen=True)
class PeepholeSection(ModelSection):
    impl: str = param(choice, KINDS["peephole"].impls)


@dataclass(frozen=True)
class GruSection(ModelSection):
    impl: str = param(choice, KINDS["gru"].impls)


@dataclass(frozen=True)
class PalindromeParams:
    palindrome: PalindromeStudy = part(PalindromeStudy)
    rnn: RnnSection = part(RnnSection)
    lstm: LstmSection = part(LstmSection)
    peephole: PeepholeSection = part(PeepholeSection)
    gru: GruSection = part(GruSection)
    runtime: Runtime = settings()

    def check(self, key: str) -> None:
        models = self.palindrome.models
        for name in models if _is_read(models) else ():
            self.check_lengths(name)

    def check_lengths(self, name: str) -> None:
        """Every length of ``<name>.T`` must have enough distinct palindromes in palindrome.data.base
        for three splits: checked where this read holds both keys (a step that reads only one of
        them never pairs them)."""
        section, data = getattr(self, name), self.palindrome.data
        if not (_is_read(section) and _is_read(section.T) and _is_read(data) and _is_read(data.base)):
            return
        for T in section.T:
            distinct = PalindromeTask(T, data.base).n_distinct
            if distinct < 3:
                raise ParamsError(
                    f"params.yaml: '{name}.T' has {T}: with palindrome.data.base={data.base} only {distinct} "
                    "distinct palindromes exist, and train, val and test need one each"
                )


MODELS = tuple(KINDS)  # every model has its section, a field above
if set(MODELS) != {f.name for f in fields(PalindromeParams)} - {"palindrome", "runtime"}:
    raise TypeError("PalindromeParams needs one section per kind of seqlab.models.recurrent.KINDS")

parse = parser(PalindromeParams)


def model_section(params: PalindromeParams, name: str) -> ModelSection:
    """The section of one model, failing clearly when the model is not in palindrome.models (or,
    for a step that does not read palindrome.models, not a model at all).

    A step that reads both this model's lengths and palindrome.data gets its lengths checked
    against the base here, before it does any work (the schema checks them on a full read)."""
    models = params.palindrome.models
    allowed = models if _is_read(models) else MODELS
    if name not in allowed:
        where = "in 'palindrome.models'" if _is_read(models) else "a palindrome model"
        raise ParamsError(f"model {name!r} is not {where}; allowed values: {', '.join(allowed)}")
    params.check_lengths(name)
    return getattr(params, name)


def _is_read(value: object) -> bool:
    return not isinstance(value, Unread)
