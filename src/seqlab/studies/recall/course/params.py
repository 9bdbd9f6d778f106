"""The course protocol's part of the digit-recall params (``recall.course``): each key declared
once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.recall.params``: the course's stages read
only ``recall.course``, and seqlab's recall stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings

# What q2.py@97a300d ran: deviations are listed against these (seqlab.studies.recall.claims).
COURSE_DATA = {"min_len": 3, "max_len": 9, "position": 1}  # randint(3, 10); y = d[:, 1]
COURSE_TRAIN = {"hidden": (2, 5, 10), "epochs": 15, "steps_per_epoch": 100, "batch_size": 32, "lr": 0.01,
                "test_batches": 20}  # HIDDEN = --H (the report: 2, 5, 10), EPOCH, ITER, batch, LR, ITER_EVAL


@dataclass(frozen=True)
class CourseData:
    min_len: int = param(integer, 1)  # each batch's one length is drawn from min_len..max_len
    max_len: int = param(integer, 1)
    position: int = param(integer, 0)  # 0-based index of the digit to recall

    def check(self, key: str) -> None:
        if self.max_len < self.min_len:
            raise ParamsError(f"params.yaml: '{key}.max_len' ({self.max_len}) must be >= '{key}.min_len' "
                              f"({self.min_len})")
        if self.position >= self.min_len:
            raise ParamsError(f"params.yaml: '{key}.position' ({self.position}, 0-based) must be < "
                              f"'{key}.min_len' ({self.min_len}): every sequence must contain it")


@dataclass(frozen=True)
class CourseTrain:
    hidden: tuple[int, ...] = param(int_list, 1, "LSTM hidden sizes")
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's initial weights and data streams
    epochs: int = param(integer, 1)
    steps_per_epoch: int = param(integer, 1)  # one fresh batch per step
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)  # Adam, default betas, no clipping
    test_batches: int = param(integer, 1)  # fresh batches of batch_size scored after each epoch
    device: str = param(choice, DEVICES)

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch


@dataclass(frozen=True)
class CourseJudge:
    batches: int = param(integer, 1)  # batches of train.batch_size, each its own length, drawn the course's way
    seed: int = param(integer, 0)  # the set's own stream: the same sequences for every run


@dataclass(frozen=True)
class Course:
    data: CourseData = part(CourseData)
    train: CourseTrain = part(CourseTrain)
    judge: CourseJudge = part(CourseJudge)


@dataclass(frozen=True)
class CourseParams:
    SECTION = "recall"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
