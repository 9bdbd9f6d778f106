"""The CS324 course protocol's part of the palindrome params (``palindrome.course``): each key
declared once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.palindrome.params``: the course's stages read
only ``palindrome.course``, and seqlab's palindrome stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, fraction, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, custom, param, parser, part, settings

# What the student's scripts ran (assignment3/Part 1/train.py @0cd95b88 for the LSTM, assignment2/
# Part 3/train.py @84a30884 for the RNN): deviations are listed against these.
COURSE_TRAIN = {"hidden": 128, "batch_size": 128, "lr": 0.001, "clip_norm": 10.0, "train_share": 0.8}
COURSE_SIZES = {"lstm": {"palindromes": 100_000, "epochs": 100},  # DATA_SIZE_DEFAULT, MAX_EPOCH_DEFAULT
                "rnn": {"palindromes": 1_000_000, "epochs": 1_000}}  # DATA_SIZE, MAX_EPOCH
COURSE_LENGTHS = (5, 20)  # the report's "palindrome of length 5 and 20" (note.txt: INPUT_LENGTH 4 and 19)
MODELS = ("lstm", "rnn")
SCALES = ("default", "course")
DIGITS = 10  # decimal palindromes


def distinct(T: int) -> int:
    """How many palindromes of length T exist: one per first half of ceil(T/2) digits."""
    return DIGITS ** ((T + 1) // 2)


def _corrected(mapping: dict, key: str) -> tuple[int, ...]:
    """The lengths the corrected LSTM runs at: a list (empty: none) of lengths >= 2."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    if any(isinstance(T, bool) or not isinstance(T, int) or T < 2 for T in items) or len(set(items)) != len(items):
        raise ParamsError(f"params.yaml: '{key}' must be a list of distinct palindrome lengths (each an integer >= 2; "
                          f"[] for none), got {value!r}")
    return tuple(items)


@dataclass(frozen=True)
class RunSize:
    palindromes: int = param(integer, 2)  # asked for; the dataset caps it at 10^ceil(T/2)
    epochs: int = param(integer, 1)


@dataclass(frozen=True)
class CourseSize:
    lstm: RunSize = part(RunSize)
    rnn: RunSize = part(RunSize)


@dataclass(frozen=True)
class DefaultSize:
    whole_up_to: int = param(integer, 0)  # lengths up to this one run at course_size (T = 5 is small)
    lstm: RunSize = part(RunSize)
    rnn: RunSize = part(RunSize)


@dataclass(frozen=True)
class Course:
    scale: str = param(choice, SCALES)
    lengths: tuple[int, ...] = param(int_list, 2, "palindrome lengths T (the predicted digit included)")
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's data draw, split and weights
    corrected: tuple[int, ...] = custom(_corrected)
    hidden: int = param(integer, 1)
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)
    clip_norm: float = param(positive_number)
    train_share: float = param(fraction)
    device: str = param(choice, DEVICES)
    course_size: CourseSize = part(CourseSize)
    default_size: DefaultSize = part(DefaultSize)

    def size(self, model: str, T: int) -> RunSize:
        """The palindromes and epochs a model trains at length T, at this scale."""
        whole = self.scale == "course" or T <= self.default_size.whole_up_to
        return getattr(self.course_size if whole else self.default_size, model)

    def split(self, model: str, T: int) -> tuple[int, int]:
        """(train, validation) palindromes: the student's int(n * 0.8) and the rest."""
        n = min(self.size(model, T).palindromes, distinct(T))
        train = int(n * self.train_share)
        return train, n - train

    def check(self, key: str) -> None:
        extra = sorted(set(self.corrected) - set(self.lengths))
        if extra:
            raise ParamsError(f"params.yaml: '{key}.corrected' has {extra}, not in '{key}.lengths' {list(self.lengths)}")
        for model in MODELS:
            for T in self.lengths:
                train, val = self.split(model, T)
                # the LSTM script's loaders drop the last partial batch, so each split needs a whole one
                need = self.batch_size if model == "lstm" else 1
                if min(train, val) < need:
                    raise ParamsError(
                        f"params.yaml: '{key}' gives the {model.upper()} at T={T} {train} training and {val} validation "
                        f"palindromes; each split needs at least {need} (a whole batch of '{key}.batch_size' for the "
                        f"LSTM, whose loaders drop the last partial batch): raise its palindromes (at most "
                        f"{distinct(T):,} exist) or lower the batch size")


@dataclass(frozen=True)
class CourseParams:
    SECTION = "palindrome"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
