import numpy as np
import pytest

from seqlab.core.errors import DataError
from seqlab.tasks.palindrome import PalindromeTask, generate, inputs_targets, load, save, split_sizes

SIZES = {"train": 300, "val": 50, "test": 50}


@pytest.mark.parametrize("T,base", [(2, 10), (3, 10), (5, 10), (10, 10), (21, 10), (9, 2), (20, 2)])
def test_every_row_is_a_palindrome_and_the_label_is_its_last_digit(T, base):
    task = PalindromeTask(T, base)
    splits, _ = generate(task, SIZES, seed=0)
    for pals in splits.values():
        assert pals.dtype == np.uint8 and pals.shape[1] == T
        assert (pals == pals[:, ::-1]).all()
        assert pals.max() < base
        x, y = inputs_targets(pals)
        assert x.shape == (len(pals), T - 1) == (len(pals), task.seq_len)
        assert (y == pals[:, -1]).all() and (y == pals[:, 0]).all()


def test_splits_are_distinct_disjoint_and_cover_all_digits():
    splits, meta = generate(PalindromeTask(10, 10), SIZES, seed=3)
    rows = np.concatenate(list(splits.values()))
    assert len(np.unique(rows, axis=0)) == len(rows) == sum(SIZES.values())
    assert meta["overlap_train_test"] == meta["overlap_train_val"] == 0
    assert {k: len(v) for k, v in splits.items()} == SIZES
    assert set(np.unique(splits["train"][:, -1])) == set(range(10))


def test_generation_is_byte_identical_and_seeded(tmp_path):
    task = PalindromeTask(12, 10)
    for name in ("a", "b"):
        save(tmp_path / name, *generate(task, SIZES, seed=7))
    for f in ("train.npy", "val.npy", "test.npy", "meta.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    other, _ = generate(task, SIZES, seed=8)
    assert not np.array_equal(other["train"], np.load(tmp_path / "a" / "train.npy"))


def test_short_lengths_share_out_the_whole_space_without_overlap():
    task = PalindromeTask(5, 10)  # 10**3 distinct palindromes, fewer than requested
    splits, meta = generate(task, {"train": 5000, "val": 500, "test": 500}, seed=0)
    rows = np.concatenate(list(splits.values()))
    assert task.n_distinct == 1000 == len(np.unique(rows, axis=0)) == len(rows)
    assert meta["space_exhausted"] and meta["overlap_train_test"] == 0
    assert meta["sizes"] == {"train": 834, "val": 83, "test": 83}


def test_binary_variant():
    task = PalindromeTask(9, base=2)
    splits, meta = generate(task, SIZES, seed=0)
    assert task.n_distinct == 2**5 == sum(meta["sizes"].values())
    assert set(np.unique(np.concatenate(list(splits.values())))) == {0, 1}


def test_impossible_inputs_fail_clearly():
    with pytest.raises(ValueError, match="T must be >= 2"):
        PalindromeTask(1)
    with pytest.raises(ValueError, match="only 2 distinct palindromes"):
        split_sizes(SIZES, PalindromeTask(2, base=2).n_distinct)


def test_load_rejects_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="generate stage"):
        load(tmp_path)
    save(tmp_path, *generate(PalindromeTask(6, 10), SIZES, seed=0))
    np.save(tmp_path / "test.npy", np.zeros((4, 5), dtype=np.uint8))
    with pytest.raises(DataError, match=r"expected uint8 \(N, 6\)"):
        load(tmp_path)
    (tmp_path / "val.npy").write_bytes(b"not an npy file")
    with pytest.raises(DataError, match=r"val\.npy is unreadable"):
        load(tmp_path)
