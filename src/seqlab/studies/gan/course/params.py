"""The course protocol's part of the GAN params (``gan.course``): each key declared once, as a
field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.gan.params``: the course's stages read only
``gan.course``, and seqlab's gan stages, which import that module, stay as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from seqlab.core.params import DEVICES, choice, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.models.gan import GANConfig
from seqlab.studies.gan.params import _betas

# What the template and the student's my_gan.py ran: deviations are listed against these.
COURSE_IMAGES = 60_000  # torchvision's MNIST training set
COURSE_EPOCHS = 200
COURSE = {"batch_size": 64, "lr": 0.0002, "betas": (0.9, 0.999), "every": 500,
          "updates": COURSE_EPOCHS * math.ceil(COURSE_IMAGES / 64)}  # 200 x 938 = 187,600 batches
# The template's networks (the student's my_gan.py): not settings, the protocol's facts.
COURSE_MODEL = GANConfig(latent=100, generator=(128, 256, 512, 1024), discriminator=(512, 256), slope=0.2)
# The batches whose grids the report shows: its first three, and its "halfway" three (of 187,600).
COURSE_FIRST = (0, 500, 1000)
COURSE_HALFWAY = 60_000  # the report's middle figure: batches 59,500, 60,000 and 60,500
SCALES = ("default", "course")


def windows(steps: list[int], updates: int) -> dict[str, list[int]]:
    """The snapshots the report's three figures correspond to: the course's batches 0, 500 and
    1,000; its "halfway" (batch 60,000 of 187,600), scaled to this run's length, with the
    snapshots either side; the last three. Each window holds the snapshots that exist."""
    have = sorted(steps)
    first = [s for s in COURSE_FIRST if s in have]
    centre = min(have, key=lambda s: (abs(s - updates * COURSE_HALFWAY / COURSE["updates"]), s))
    i = have.index(centre)
    return {"first": first, "halfway": have[max(i - 1, 0): i + 2], "end": have[-3:]}


@dataclass(frozen=True)
class CourseTrain:
    updates: int = param(integer, 1)  # at scale default; scale course runs COURSE["updates"]
    batch_size: int = param(integer, 2)  # batch norm needs two images
    lr: float = param(positive_number)
    betas: tuple[float, float] = param(_betas)
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's weights, noise and batch order
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class CourseScore:
    every: int = param(integer, 1)  # a grid and a scored sample every this many updates
    n_samples: int = param(integer, 2)  # images per Fréchet distance (<= the train and test splits)
    latent_seed: int = param(integer, 0)  # the fixed latent batches of the grids and the scored samples
    judge_batch_size: int = param(integer, 1)


@dataclass(frozen=True)
class CourseInterpolate:
    seed: int = param(integer, 0)  # test_gan.py's torch.manual_seed(1)
    points: int = param(integer, 3)  # distinct points per path, both ends included
    paths: int = param(integer, 2)  # latent pairs drawn in turn from that seed's stream, the first the course's; >= 2:
    # a path's consecutive frames are compared with frames of the others


@dataclass(frozen=True)
class Course:
    scale: str = param(choice, SCALES)
    train: CourseTrain = part(CourseTrain)
    score: CourseScore = part(CourseScore)
    interpolate: CourseInterpolate = part(CourseInterpolate)

    @property
    def updates(self) -> int:
        return COURSE["updates"] if self.scale == "course" else self.train.updates

    def deviations(self, n_train: int) -> list[str]:
        """Every way the run departs from the course's training, in words."""
        t, out = self.train, []
        epochs = self.updates * t.batch_size / n_train
        if n_train != COURSE_IMAGES:
            out.append(f"data: the MNIST study's {n_train:,} training images ({epochs:,.0f} passes); the course's "
                       f"{COURSE_IMAGES:,} (torchvision's MNIST, {COURSE_EPOCHS} epochs)")
        if self.updates != COURSE["updates"]:
            out.append(f"length: {self.updates:,} updates; the course's {COURSE['updates']:,} (gan.course.scale: "
                       "course runs them)")
        ours = {"batch_size": t.batch_size, "lr": t.lr, "betas": t.betas, "every": self.score.every}
        out += [f"{k}: {ours[k]} (course: {v})" for k, v in COURSE.items() if k in ours and ours[k] != v]
        return out


@dataclass(frozen=True)
class CourseParams:
    SECTION = "gan"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
