"""The course protocol's part of the addition study's params (``addition.course``): each key
declared once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.addition.params``: the course's stages read
only ``addition.course``, and seqlab's addition stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings

# The course's protocol (q3.py@e18535b): what the ledger's deviations are listed against.
COURSE = {"L": 5, "hidden": 5, "epochs": 10, "steps_per_epoch": 1000, "batch_size": 32, "lr": 0.01,
          "epoch_test_n": 640, "sweep_max_len": 20, "sweep_n": 100}
# Operands and sums are int64 and decoded as such: 2**62 still fits.
MAX_BITS = 62


def _bits(mapping: dict, key: str) -> int:
    value = integer(mapping, key, 1)
    if value > MAX_BITS:
        raise ParamsError(f"params.yaml: '{key}' has {value}; operands are int64, so at most {MAX_BITS} bits")
    return value


@dataclass(frozen=True)
class CourseTrain:
    seeds: tuple[int, ...] = param(int_list, 0, "training seeds")  # each seeds a run's init and data stream
    epochs: int = param(integer, 1)
    steps_per_epoch: int = param(integer, 1)  # a fresh batch every step; the per-epoch test after each epoch
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)  # Adam, default betas, no clipping: the course's update
    epoch_test_n: int = param(integer, 1)  # fresh problems scored after every epoch (the course's test accuracy)
    device: str = param(choice, DEVICES)

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


@dataclass(frozen=True)
class CourseEvaluate:
    sweep_max_len: int = param(_bits)  # every model at L = 1 .. sweep_max_len, as the course's last plot
    sweep_n: int = param(integer, 1)  # fresh problems per sweep length
    judge_n: int = param(integer, 1)  # fresh problems at the training L that the ledger's verdicts read
    show: int = param(integer, 2)  # problems whose per-step outputs the report shows
    seed: int = param(integer, 0)  # the evaluation sets' own stream, shared by every model (paired scores)


@dataclass(frozen=True)
class Course:
    L: int = param(_bits)  # operand bits; L+1 steps
    hidden: tuple[int, ...] = param(int_list, 1, "LSTM hidden sizes")  # trained with MSE
    ce_hidden: tuple[int, ...] = param(int_list, 1, "LSTM hidden sizes")  # trained with the time-position CE
    train: CourseTrain = part(CourseTrain)
    evaluate: CourseEvaluate = part(CourseEvaluate)

    def check(self, key: str) -> None:
        check_pairs(self.hidden, self.ce_hidden, key)
        check_show(self.evaluate.show, self.L, key)


def check_pairs(hidden: tuple[int, ...], ce_hidden: tuple[int, ...], key: str = "addition.course") -> None:
    """The cross-entropy runs are compared with the MSE run of the same size and seed (the same
    initial weights and data): at least one size must be in both lists."""
    if not set(hidden) & set(ce_hidden):
        raise ParamsError(f"params.yaml: '{key}.ce_hidden' ({list(ce_hidden)}) shares no size with '{key}.hidden' "
                          f"({list(hidden)}): the cross-entropy runs are compared with MSE runs of the same size")


def check_show(show: int, L: int, key: str = "addition.course") -> None:
    """The shown problems have distinct sums, and there are only 2^L of them."""
    if show > 2**L:
        raise ParamsError(f"params.yaml: '{key}.evaluate.show' ({show}) exceeds the {2**L} distinct sums at "
                          f"'{key}.L' = {L}")


@dataclass(frozen=True)
class CourseParams:
    SECTION = "addition"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
