"""The binary-addition study's section of params.yaml (``addition``): each key declared once, as
a field of the schema below (seqlab.core.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import choice_list, int_list, integer
from seqlab.core.schema import Runtime, TrainSettings, param, parser, part, settings
from seqlab.models.sequence import BIT_LOSSES

# 2**62 + 2**62 still fits in int64, so sums never overflow.
MAX_BITS = 62


def _fits(key: str, value: int) -> None:
    if value > MAX_BITS:
        raise ParamsError(f"params.yaml: '{key}' has {value}; operands are int64, so L <= {MAX_BITS}")


def _lengths(mapping: dict, key: str) -> tuple[int, ...]:
    """The operand lengths L (bits) to train at, each at most MAX_BITS."""
    lengths = int_list(mapping, key, 1, "operand lengths L in bits")
    _fits(key, max(lengths))
    return lengths


def _eval_max_len(mapping: dict, key: str) -> int:
    value = integer(mapping, key, 1)
    _fits(key, value)
    return value


@dataclass(frozen=True)
class AdditionData:
    lengths: tuple[int, ...] = param(_lengths)  # L, the bits per operand, to train at
    eval_max_len: int = param(_eval_max_len)  # every model is tested at L = 1 .. eval_max_len
    n_train: int = param(integer, 1)
    n_val: int = param(integer, 1)
    n_test: int = param(integer, 1)
    seed: int = param(integer, 0)

    def check(self, key: str) -> None:
        if self.eval_max_len < max(self.lengths):
            raise ParamsError(f"params.yaml: '{key}.eval_max_len' ({self.eval_max_len}) must be >= the longest "
                              f"training length in '{key}.lengths' ({max(self.lengths)})")


@dataclass(frozen=True)
class AdditionTrain(TrainSettings):
    hidden: tuple[int, ...] = param(int_list, 1, "LSTM hidden sizes")
    losses: tuple[str, ...] = param(choice_list, BIT_LOSSES)


@dataclass(frozen=True)
class AdditionParams:
    SECTION = "addition"

    data: AdditionData = part(AdditionData)
    train: AdditionTrain = part(AdditionTrain)
    runtime: Runtime = settings()


parse = parser(AdditionParams)
