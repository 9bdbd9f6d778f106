"""The course protocol's part of the char-LSTM's params (``charlm.course``): each key declared
once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.charlm.params``: the course's stages read
only ``charlm.course``, and seqlab's char-LSTM stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings

# The course's protocol (../shared/COURSES.md §1): what deviations are listed against.
COURSE_MODEL = {"embedding": 64, "hidden": 256, "layers": 2}
COURSE_TRAIN = {"seq_len": 30, "batch_size": 64, "lr": 0.002, "clip_norm": 5.0}
COURSE_CHECKPOINTS = (500, 1000, 1500)  # 1/3, 2/3 and 3/3 of the report's 1,500-step run
COURSE_STARTS = ("t", "a", "u", "v", "g")  # the report's greedy samples
COURSE_BETAS = (0.5, 1.0, 2.0)  # the report's "temperatures": softmax(beta * logits)
COURSE_SAMPLE_LENGTH = 150  # the course's generate_sequence(length=150)
COURSE_GREEDY_LENGTH = 30  # the report's greedy samples


def _starts(mapping: dict, key: str) -> tuple[str, ...]:
    value = get(mapping, key)
    if not (isinstance(value, list) and value and all(isinstance(s, str) and s for s in value)):
        raise ParamsError(f"params.yaml: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _betas(mapping: dict, key: str) -> tuple[float, ...]:
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0 for b in items):
        raise ParamsError(f"params.yaml: '{key}' must be a list of numbers > 0 (the course's inverse "
                          f"temperatures: softmax(beta * logits)), got {value!r}")
    if len(set(items)) != len(items):
        raise ParamsError(f"params.yaml: '{key}' repeats a value: {items}")
    return tuple(float(b) for b in items)


@dataclass(frozen=True)
class CourseModel:
    embedding: int = param(integer, 1)
    hidden: int = param(integer, 1)  # per LSTM layer
    layers: int = param(integer, 1)


@dataclass(frozen=True)
class CourseTrain:
    steps: int = param(integer, 1)
    seq_len: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)  # Adam, constant: the course never applies its decay arguments
    clip_norm: float = param(positive_number)
    seed: int = param(integer, 0)
    device: str = param(choice, DEVICES)
    eval_every: int = param(integer, 1)  # held-out accuracy and bits per character every this many steps
    checkpoints: tuple[int, ...] = param(int_list, 1, "checkpoint steps")  # greedy text at each; the last step is always kept
    acc_window: int = param(integer, 1)  # training-batch accuracy at a step: the mean over this many batches ending there

    def check(self, key: str) -> None:
        late = [k for k in self.checkpoints if k > self.steps]
        if late:
            raise ParamsError(f"params.yaml: '{key}.checkpoints' has {late}, beyond '{key}.steps' ({self.steps})")
        if list(self.checkpoints) != sorted(self.checkpoints):
            raise ParamsError(f"params.yaml: '{key}.checkpoints' must be in increasing order, got {list(self.checkpoints)}")
        if self.acc_window > self.steps:
            raise ParamsError(f"params.yaml: '{key}.acc_window' ({self.acc_window}) exceeds '{key}.steps' ({self.steps})")

    def kept(self) -> tuple[int, ...]:
        """The steps whose weights are kept: the checkpoints and the last step."""
        return tuple(sorted({*self.checkpoints, self.steps}))


@dataclass(frozen=True)
class CourseGenerate:
    starts: tuple[str, ...] = param(_starts)
    greedy_length: int = param(integer, 1)  # greedy characters shown per start and checkpoint (the report's 30)
    measure_length: int = param(integer, 1)  # greedy characters per start for loops and verbatim stretches
    betas: tuple[float, ...] = param(_betas)  # the course's inverse temperatures: softmax(beta * logits), seqlab's tau = 1 / beta
    sample_length: int = param(integer, 1)  # characters per sample (the course's 150)
    samples: int = param(integer, 1)  # samples per start and beta
    ngram: int = param(integer, 1)  # n of the repeated n-gram share
    seed: int = param(integer, 0)

    def check(self, key: str) -> None:
        if self.ngram >= min(self.measure_length, self.sample_length):
            raise ParamsError(f"params.yaml: '{key}.ngram' ({self.ngram}) must be shorter than '{key}.measure_length' "
                              f"and '{key}.sample_length'")
        if self.sample_length > self.measure_length:
            raise ParamsError(f"params.yaml: '{key}.sample_length' ({self.sample_length}) must not exceed "
                              f"'{key}.measure_length' ({self.measure_length}): samples are compared with greedy "
                              "text of their own length")


@dataclass(frozen=True)
class Course:
    model: CourseModel = part(CourseModel)
    train: CourseTrain = part(CourseTrain)
    generate: CourseGenerate = part(CourseGenerate)


@dataclass(frozen=True)
class CourseParams:
    SECTION = "charlm"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
