"""The course protocol's part of the LSTM-autoencoder params (``lstmae.course``): each key declared
once, as a field of the schema below (seqlab.core.schema).

It is its own schema, not a part of ``seqlab.studies.lstmae.params``: the course's stages read
only ``lstmae.course``, and seqlab's lstmae stages, which import that module, stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import DEVICES, boolean, choice, fraction, get, int_list, integer, positive_number
from seqlab.core.schema import Runtime, custom, param, parser, part, settings
from seqlab.studies.lstmae.params import _price_source as price_source  # the same two sources as seqlab's run

# What lstm_ae_toy.py@7633b39 ran (its defaults and the report's chosen run, Q-S1): deviations are
# listed against these. The split is not a key: np.split at int(.6n), int(.8n) (data.course_split).
COURSE_SYNTHETIC = {"n": 10_000, "length": 50, "hidden": 64, "lr": 0.005, "batch_size": 32, "epochs": 30,
                    "clip_value": None}  # --input_size, sample_length, hs, lr, bs, --epochs, clipvalue commented out
# lstm_ae_mnist.py@7633b39: question1 (reconstruction; the report's chosen run) and question2 (the
# classifier: its lr is never set, so Keras's Adam default ran whatever the report says), on
# keras.datasets.mnist: 60,000 training images, validation = the first 5,000 test images.
COURSE_MNIST = {"train_images": 60_000, "val_images": 5_000, "recon_hidden": 64, "recon_lr": 0.01,
                "recon_batch_size": 64, "recon_epochs": 50, "classifier_hidden": 64, "classifier_lr": 0.001,
                "classifier_batch_size": 64, "classifier_epochs": 50, "recurrent_dropout": 0.2}
# lstm_ae_snp500.py@7633b39: question2 (reconstruction, Dense tanh, lr set) and question3 (prediction,
# linear Dense, lr never set). 479 tickers x 1,007 days of the close; windows of 300 days.
COURSE_PRICES = {"recon_windows": 10_000, "predict_windows": 3_000, "val_windows": 500, "test_windows": 500,
                 "days": 300, "hidden": 128, "epochs": 300, "recon_lr": 0.005, "predict_lr": 0.001,
                 "batch_size": 64, "column": "close"}
VARIANT_KEYS = ("hidden", "lr", "clip_value")  # what a synthetic variant may change of the chosen run
SCALES = ("default", "course")


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
class Variant:
    """One more synthetic run: the chosen run with some of hidden, lr and clip_value changed."""

    hidden: int
    lr: float
    clip_value: float | None

    @property
    def label(self) -> str:  # its folder under models/lstmae_course/synthetic/, e.g. h32, lr0.05_clip1
        parts = [f"h{self.hidden}", f"lr{self.lr:g}"] + ([] if self.clip_value is None else [f"clip{self.clip_value:g}"])
        return "_".join(parts)


def _variants(mapping: dict, key: str) -> tuple[dict, ...]:
    """``variants``: a list of mappings, each with some of VARIANT_KEYS (checked; resolved against
    the chosen run by :meth:`Synthetic.runs`)."""
    value = get(mapping, key)
    if not isinstance(value, list):
        raise ParamsError(f"params.yaml: '{key}' must be a list of mappings with keys among {', '.join(VARIANT_KEYS)}, "
                          f"got {value!r}")
    out = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, dict) or not item or set(item) - set(VARIANT_KEYS):
            raise ParamsError(f"params.yaml: '{where}' must map some of {', '.join(VARIANT_KEYS)} to values, got {item!r}")
        checked = {}
        if "hidden" in item:
            checked["hidden"] = _int_at(item["hidden"], f"{where}.hidden")
        if "lr" in item:
            checked["lr"] = _positive_at(item["lr"], f"{where}.lr")
        if "clip_value" in item:
            value = item["clip_value"]  # null: no clipping
            checked["clip_value"] = None if value is None else _positive_at(value, f"{where}.clip_value")
        out.append(checked)
    return tuple(out)


def _int_at(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParamsError(f"params.yaml: '{where}' must be an integer >= 1, got {value!r}")
    return value


def _positive_at(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ParamsError(f"params.yaml: '{where}' must be a number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Synthetic:
    data: SyntheticData = part(SyntheticData)
    model: SyntheticModel = part(SyntheticModel)
    train: SyntheticTrain = part(SyntheticTrain)
    # more runs at one seed (variant_seed), each the chosen run with a change: the report's
    # comparisons of hidden sizes, learning rates and clipping (the claims judge them)
    variants: tuple[dict, ...] = custom(_variants)
    variant_seed: int = param(integer, 0)

    def chosen(self) -> Variant:
        return Variant(self.model.hidden, self.train.lr, self.train.clip_value)

    def runs(self) -> list[Variant]:
        """The variants, each resolved against the chosen run; a repeated one is an error."""
        base = vars(self.chosen())
        runs = [Variant(**{**base, **v}) for v in self.variants]
        labels = [r.label for r in runs]
        for i, label in enumerate(labels):
            if label == self.chosen().label or labels.index(label) != i:
                raise ParamsError(f"params.yaml: 'lstmae.course.synthetic.variants[{i}]' repeats the run {label} "
                                  "(the chosen run or another variant)")
        return runs

    def deviations(self) -> list[str]:
        """Each setting that differs from the course's run, as 'key: ours (course: theirs)'."""
        ours = {"n": self.data.n, "length": self.data.length, "hidden": self.model.hidden, "lr": self.train.lr,
                "batch_size": self.train.batch_size, "epochs": self.train.epochs,
                "clip_value": self.train.clip_value}
        return [f"{k}: {ours[k]} (course: {v})" for k, v in COURSE_SYNTHETIC.items() if ours[k] != v]


@dataclass(frozen=True)
class MnistRecon:
    hidden: int = param(integer, 1)
    lr: float = param(positive_number)  # Keras's Adam, set by K.set_value (question1)
    batch_size: int = param(integer, 1)
    epochs: int = param(integer, 1)
    pixel_epochs: int = param(integer, 0)  # the same model pixel by pixel (784 x 1); 0: not run


@dataclass(frozen=True)
class MnistClassifier:
    hidden: int = param(integer, 1)
    lr: float = param(positive_number)  # question2 never set it: Keras's Adam default, 0.001
    batch_size: int = param(integer, 1)
    epochs: int = param(integer, 1)
    recurrent_dropout: float = param(fraction)  # in both LSTMs; the no-dropout run beside it has 0


@dataclass(frozen=True)
class Mnist:
    recon: MnistRecon = part(MnistRecon)
    classifier: MnistClassifier = part(MnistClassifier)
    seeds: tuple[int, ...] = param(int_list, 0, "seeds")
    device: str = param(choice, DEVICES)

    def deviations(self, train_images: int, val_images: int) -> list[str]:
        r, c = self.recon, self.classifier
        ours = {"train_images": train_images, "val_images": val_images, "recon_hidden": r.hidden, "recon_lr": r.lr,
                "recon_batch_size": r.batch_size, "recon_epochs": r.epochs, "classifier_hidden": c.hidden,
                "classifier_lr": c.lr, "classifier_batch_size": c.batch_size, "classifier_epochs": c.epochs,
                "recurrent_dropout": c.recurrent_dropout}
        return [f"{k}: {ours[k]:,} (course: {v:,})" if isinstance(v, int) else f"{k}: {ours[k]} (course: {v})"
                for k, v in COURSE_MNIST.items() if ours[k] != v]


@dataclass(frozen=True)
class PricesData:
    # skfolio:sp500 (offline, in skfolio's wheel: 20 tickers' adjusted closes) or csv:<path> in either
    # long layout (Kaggle's ...,Name or the course's symbol,...)
    source: str = param(price_source)
    column: str = param(choice, ("open", "high", "low", "close", "adj_close"))
    repair: bool = param(boolean)
    days: int = param(integer, 3)  # N: the window (the prediction model reads N - 1 of it)
    seed: int = param(integer, 0)  # the windows' draws (the course's random module was unseeded)


@dataclass(frozen=True)
class PricesSize:
    recon_windows: int = param(integer, 1)  # training windows of the reconstruction model (question2)
    predict_windows: int = param(integer, 1)  # ... and of the prediction model (question3)
    val_windows: int = param(integer, 1)
    test_windows: int = param(integer, 1)
    hidden: int = param(integer, 1)
    epochs: int = param(integer, 1)


@dataclass(frozen=True)
class PricesTrain:
    batch_size: int = param(integer, 1)
    recon_lr: float = param(positive_number)  # question2's K.set_value
    predict_lr: float = param(positive_number)  # question3 never set it: Keras's default 0.001


@dataclass(frozen=True)
class Prices:
    scale: str = param(choice, SCALES)  # default: the sizes below at `default`; course: at `course`
    data: PricesData = part(PricesData)
    default: PricesSize = part(PricesSize)
    course: PricesSize = part(PricesSize)
    train: PricesTrain = part(PricesTrain)
    device: str = param(choice, DEVICES)

    @property
    def size(self) -> PricesSize:
        return self.course if self.scale == "course" else self.default

    def deviations(self) -> list[str]:
        z, t = self.size, self.train
        ours = {"recon_windows": z.recon_windows, "predict_windows": z.predict_windows, "val_windows": z.val_windows,
                "test_windows": z.test_windows, "days": self.data.days, "hidden": z.hidden, "epochs": z.epochs,
                "recon_lr": t.recon_lr, "predict_lr": t.predict_lr, "batch_size": t.batch_size,
                "column": self.data.column}
        return [f"{k}: {ours[k]:,} (course: {v:,})" if isinstance(v, int) else f"{k}: {ours[k]} (course: {v})"
                for k, v in COURSE_PRICES.items() if ours[k] != v]


@dataclass(frozen=True)
class Course:
    synthetic: Synthetic = part(Synthetic)
    mnist: Mnist = part(Mnist)
    prices: Prices = part(Prices)


@dataclass(frozen=True)
class CourseParams:
    SECTION = "lstmae"

    course: Course = part(Course)
    runtime: Runtime = settings()


parse = parser(CourseParams)
