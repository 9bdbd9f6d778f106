"""The course protocol's part of the masked-autoencoder params (``masked.course``): each key
declared once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.masked.params``: the course's stages read only
``masked.course``, and seqlab's masked stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.params import DEVICES, choice, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.models.mlp import widths

# What the Northwestern homework's question 1.1 ran, in the published filled-in copy
# (luhsin23/Deep-Learning@a389d49, 4_Autoencoder_RNN_DeepRL.md; the report's author keeps the code
# private, and the course's notebook 7 is not available): deviations are listed against these.
# MLPAutoencoder(number_of_hidden_layers=2, input_size=784, hidden_size=128, latent_size=32).
COURSE_RUN = {"encoder": (128, 128, 32), "decoder": (128, 128), "epochs": 30, "batch_size": 64, "lr": 0.001}
COURSE_TRAIN_IMAGES = 60_000  # torchvision MNIST train=True; the copy never used a test set
NEGATIVE_SLOPE = 0.2  # the decoder's LeakyReLU(0.2): the copy's activation_decoder default, not a setting
# The copy's printed mean batch loss per epoch (60,000 images), quoted for the figure and the report.
QUOTED_LOSSES = {1: 0.0491, 10: 0.0172, 20: 0.0153, 30: 0.0146}
SOURCE = "luhsin23/Deep-Learning@a389d49 (4_Autoencoder_RNN_DeepRL.md)"


@dataclass(frozen=True)
class CourseModel:
    encoder: tuple[int, ...] = param(widths, False)  # 784 -> ... ReLU between, none on the code (the last width)
    decoder: tuple[int, ...] = param(widths, True)  # code -> ... -> 784, LeakyReLU(0.2) between, sigmoid output


@dataclass(frozen=True)
class CourseTrain:
    epochs: int = param(integer, 1)
    batch_size: int = param(integer, 1)  # shuffled afresh every epoch (DataLoader shuffle=True)
    lr: float = param(positive_number)  # torch's Adam, default betas, no clipping
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's weights and batch order
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class CourseReport:
    per_class: int = param(integer, 1)  # the figure: the first test digits of each class
    threes: int = param(integer, 0)  # ... then the next test 3s (the report's example digit)
    judge_batch_size: int = param(integer, 1)


@dataclass(frozen=True)
class Course:
    model: CourseModel = part(CourseModel)
    train: CourseTrain = part(CourseTrain)
    report: CourseReport = part(CourseReport)

    def deviations(self) -> list[str]:
        """Each setting that differs from the copy's run, as 'key: ours (course: theirs)'."""
        m, t = self.model, self.train
        ours = {"encoder": m.encoder, "decoder": m.decoder, "epochs": t.epochs, "batch_size": t.batch_size, "lr": t.lr}
        return [f"{k}: {_show(ours[k])} (course: {_show(v)})" for k, v in COURSE_RUN.items() if ours[k] != v]


def _show(value) -> str:
    return " → ".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}"


@dataclass(frozen=True)
class CourseParams:
    SECTION = "masked"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
