"""The EE6132 course protocol's part of the MNIST study's params (``mnist.course``): each key
declared once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.mnist.params``: the course's stages read only
``mnist.course``, and the study's committed stages, which import that module, stay as they are.
The names every course module shares (the outputs' folder, a model's run name and label) live
here too, so the figures stage imports no training code to find them.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, choice, choice_list, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, param, parser, part, settings

STUDY = "mnist_course"  # its outputs: models/mnist_course/, reports/mnist_course/, reports/figures/mnist_course/, ...
KINDS = ("rnn", "lstm", "gru")  # q1.py's torch_model: nn.RNN, nn.LSTM, nn.GRU

# What q1.py@54d1096 ran (../shared/COURSES.md §3): what the deviations are listed against.
COURSE_RUN = {"steps": 938, "batch_size": 64, "lr": 0.01, "eval_every": 50}  # 938 = ceil(60,000 / 64): EPOCH = 1
COURSE_LAYOUTS = ((64,), (128,), (64, 64))  # script.sh's -l lists (RNN [64, 64] ran too: its figure is committed)
COURSE_TRAIN_IMAGES = 60_000  # torchvision's MNIST training set
COURSE_TEST_IMAGES = 2_000  # test_data.test_data[:2000]

# Where the report's Question 1 (../shared/seeds/004_faf8705be2f11ff5.txt, quoted exactly) and the
# code that ran (q1.py@54d1096, script.sh) disagree: the code is what these stages reproduce.
REPORT_VS_CODE = (
    ("Learning rate of $1e - 3$, with Adam was used as the optimiser.", "q1.py's LR = 0.01"),
    ("L2 Regularisation 0.01 used always.", "no weight_decay: Adam without any penalty"),
    ("We periodically run evaluation post an epoch.",
     "one epoch in all (EPOCH = 1), its test images scored after updates 1, 51, ..., 901: 19 points within it"),
    ("We do so by running every evaluation step on the whole 10,000 samples.",
     "test_data.test_data[:2000]: the first 2,000 test images"),
    ("Hidden sizes (64, 64) : two layers",
     "a Linear(28, 64) kept in a plain dict, so never registered and never trained, before one recurrent layer "
     "of 64: one trainable recurrent layer, reading 64 frozen random features of each row instead of its 28 pixels"),
    ("We also experiment with bi directional models.",
     "--bi 1 fails at the first forward pass (its head, Linear(H, 10), gets the 2H features of a bidirectional "
     "layer); script.sh runs none, and the report's bidirectional figures show the unidirectional runs' files"),
)


def _layouts(mapping: dict, key: str) -> tuple[tuple[int, ...], ...]:
    """The course's ``-l`` lists, e.g. [[64], [128], [64, 64]]; a bare integer is one list of one."""
    value = get(mapping, key)
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        widths = item if isinstance(item, list) else [item]
        if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
            raise ParamsError(f"params.yaml: '{key}' has {item!r}; give each model's `-l` list as q1.py took it, "
                              "e.g. [[64], [128], [64, 64]], each width an integer >= 1 (the last is the recurrent "
                              "layer's; any before it are the frozen linear maps in front of it)")
        out.append(tuple(widths))
    if not out or len(set(out)) != len(out):
        raise ParamsError(f"params.yaml: '{key}' must list distinct `-l` lists, got {value!r}")
    return tuple(out)


def run_name(kind: str, layout: tuple[int, ...]) -> str:
    """A model's folder and CSV name: rnn-64, lstm-128, gru-64_64 (``_``: not seqlab's stacked ``x``)."""
    return f"{kind}-{'_'.join(map(str, layout))}"


def layout_label(layout: tuple[int, ...]) -> str:
    """A layout as the course's report names it: 64, 128, (64, 64)."""
    return str(layout[0]) if len(layout) == 1 else f"({', '.join(map(str, layout))})"


@dataclass(frozen=True)
class Course:
    kinds: tuple[str, ...] = param(choice_list, KINDS)
    layouts: tuple[tuple[int, ...], ...] = param(_layouts)
    steps: int = param(integer, 1)  # Adam updates
    batch_size: int = param(integer, 1)
    lr: float = param(positive_number)  # Adam, default betas, no weight decay, no clipping
    eval_every: int = param(integer, 1)  # held-out sets scored after updates 1, 1 + eval_every, ... and the last
    eval_batch_size: int = param(integer, 1)  # images per scoring pass (no result depends on it)
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")  # each seeds a run's initialisation and batch order
    device: str = param(choice, DEVICES)


@dataclass(frozen=True)
class CourseParams:
    SECTION = "mnist"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
