"""The Add2Digits study's section of params.yaml (``add2digits``): each key declared once, as a
field of the schema below (seqlab.core.schema).

The course (Northwestern HW4, question 2.2) fixes the task, the lengths, the hidden size and the
layers; ``course`` holds what a published filled-in copy of the homework chose for the rest
(luhsin23/Deep-Learning, 4_Autoencoder_RNN_DeepRL.md @a389d49): the deviations the ledger lists
are taken against COPY below.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, custom, param, parser, part, settings
from seqlab.studies.add2digits.data import MIN_LENGTH

MODELS = ("rnn", "lstm")  # the course's MyRNN: nn.RNN (tanh) or nn.LSTM, nothing else changed
# What the course fixes (2.2: "three different lengths of sequence (5, 10, and 30) ... a hidden size
# of 128 and 2 layers") and what the published copy chose where the course says nothing.
COURSE_FIXED = {"lengths": (5, 10, 30), "hidden": 128, "layers": 2}
COPY = {"n_train": 5000, "n_val": 200, "batch_size": 32, "lr": 0.001, "epochs": 20}


def _lengths_or_none(mapping: dict, key: str) -> tuple[int, ...]:
    """A list of lengths, or an empty list for none (the corrected protocol off)."""
    value = get(mapping, key)
    if value == []:
        return ()
    return int_list(mapping, key, MIN_LENGTH, "sequence lengths (a subset of add2digits.lengths)")


def _rhos(mapping: dict, key: str) -> tuple[float, ...]:
    """Spectral radii, each a positive number, at least one below 1 and one above."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 for v in items):
        raise ParamsError(f"params.yaml: '{key}' must be a list of positive numbers, got {value!r}")
    if len(set(items)) != len(items):
        raise ParamsError(f"params.yaml: '{key}' repeats a value: {items}")
    if not (min(items) < 1 < max(items)):
        raise ParamsError(f"params.yaml: '{key}' must hold a radius below 1 and one above 1 (the theory sentence's "
                          f"two sides), got {items}")
    return tuple(sorted(float(v) for v in items))


@dataclass(frozen=True)
class Network:
    hidden: int = param(integer, 1)
    layers: int = param(integer, 1)


@dataclass(frozen=True)
class Train:
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's data, weights and batch order
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class CourseProtocol:
    n_train: int = param(integer, 1)  # one fixed training set, reshuffled every epoch
    n_val: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)  # Adam, torch's default betas, no clipping
    epochs: int = param(integer, 1)

    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self.batch_size)  # the last batch of an epoch is short


@dataclass(frozen=True)
class Corrected:
    lengths: tuple[int, ...] = custom(_lengths_or_none)


@dataclass(frozen=True)
class Judge:
    n: int = param(integer, 1)
    seed: int = param(integer, 0)


@dataclass(frozen=True)
class Gradients:
    batch: int = param(integer, 1)
    rhos: tuple[float, ...] = custom(_rhos)
    probe_seeds: tuple[int, ...] = param(int_list, 0, "seeds")


@dataclass(frozen=True)
class Add2DigitsParams:
    SECTION = "add2digits"

    lengths: tuple[int, ...] = param(int_list, MIN_LENGTH, "sequence lengths")
    network: Network = part(Network)
    train: Train = part(Train)
    course: CourseProtocol = part(CourseProtocol)
    corrected: Corrected = part(Corrected)
    judge: Judge = part(Judge)
    gradients: Gradients = part(Gradients)
    runtime: Runtime = settings()

    def check(self, key: str) -> None:
        check_corrected(self.lengths, self.corrected.lengths, key)
        check_gradient_batch(self.gradients.batch, self.judge.n, key)


def check_corrected(lengths: tuple[int, ...], corrected: tuple[int, ...], key: str = "add2digits") -> None:
    extra = sorted(set(corrected) - set(lengths))
    if extra:
        raise ParamsError(f"params.yaml: '{key}.corrected.lengths' has {extra}, not in '{key}.lengths' "
                          f"({list(lengths)}): the corrected protocol runs beside the course's")


def check_gradient_batch(batch: int, judge_n: int, key: str = "add2digits") -> None:
    if batch > judge_n:
        raise ParamsError(f"params.yaml: '{key}.gradients.batch' ({batch}) must be at most '{key}.judge.n' "
                          f"({judge_n}): the gradients are measured on judge-set examples")


parse = parser(Add2DigitsParams)
