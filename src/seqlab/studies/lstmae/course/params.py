"""The course protocol's part of the LSTM-autoencoder params (``lstmae.course``): each key declared
once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.lstmae.params``: the course's stages read
only ``lstmae.course``, and seqlab's lstmae stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings

# What lstm_ae_toy.py@7633b39 ran (its defaults and the report's chosen run, Q-S1): deviations are
# listed against these. The split is not a key: np.split at int(.6n), int(.8n) (data.course_split).
COURSE_SYNTHETIC = {"n": 10_000, "length": 50, "hidden": 64, "lr": 0.005, "batch_size": 32, "epochs": 30,
                    "clip_value": None}  # --input_size, sample_length, hs, lr, bs, --epochs, clipvalue commented out


def _clip_value(mapping: dict, key: str) -> float | None:
    value = get(mapping, key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
        raise ParamsError(f"params.yaml: '{key}' must be a number > 0, or null for no clipping, got {value!r}")
    return None if value is None else float(value)


@dataclass(frozen=True)
class SyntheticData:
    n: int = param(integer, 3)  # signals, split 60/20/20 in order (3 is the fewest with no split empty)
    length: int = param(integer, 2)  # values per signal (min-max scaling needs two)
    seed: int = param(integer, 0)  # numpy's stream for the signals: the course's were unseeded


@dataclass(frozen=True)
class SyntheticModel:
    hidden: int = param(integer, 1)  # H of both LSTMs; the code is the encoder's last h


@dataclass(frozen=True)
class SyntheticTrain:
    lr: float = param(positive_number)  # Keras's Adam (epsilon 1e-7)
    batch_size: int = param(integer, 1)
    epochs: int = param(integer, 1)  # each a fresh shuffle of the training signals, then validation
    clip_value: float | None = param(_clip_value)  # Keras's clipvalue, per element; None: none
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's weights and batch order
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class Synthetic:
    data: SyntheticData = part(SyntheticData)
    model: SyntheticModel = part(SyntheticModel)
    train: SyntheticTrain = part(SyntheticTrain)

    def deviations(self) -> list[str]:
        """Each setting that differs from the course's run, as 'key: ours (course: theirs)'."""
        ours = {"n": self.data.n, "length": self.data.length, "hidden": self.model.hidden, "lr": self.train.lr,
                "batch_size": self.train.batch_size, "epochs": self.train.epochs,
                "clip_value": self.train.clip_value}
        return [f"{k}: {ours[k]} (course: {v})" for k, v in COURSE_SYNTHETIC.items() if ours[k] != v]


@dataclass(frozen=True)
class Course:
    synthetic: Synthetic = part(Synthetic)


@dataclass(frozen=True)
class CourseParams:
    SECTION = "lstmae"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
