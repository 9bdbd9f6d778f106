"""Invariants of the algorithmic tasks' generators: recall, binary addition, adding."""

import numpy as np
import pytest

from seqlab.core.errors import DataError
from seqlab.tasks import adding, addition, recall
from seqlab.tasks.recall import PAD, RecallTask

SIZES = {"train": 3000, "val": 200, "test": 200}


# --- digit recall -------------------------------------------------------------------------------


def test_recall_targets_are_the_digit_at_the_position():
    task = RecallTask(3, 9, 1)
    splits = recall.generate(task, SIZES, seed=0)
    for s in splits.values():
        x, y = s["x"], s["y"]
        assert x.shape[1] == 9 and y.shape == (len(x),)
        np.testing.assert_array_equal(y, x[:, 1])
        lengths = recall.lengths(x)
        assert lengths.min() == 3 and lengths.max() == 9
        # padding only after the sequence ends, never inside it
        assert ((x == PAD) == (np.arange(9) >= lengths[:, None])).all()


def test_recall_draws_every_digit_including_nine():
    """The course's reference generator used randint(0, 9) and never produced a 9."""
    x, y = (recall.generate(RecallTask(3, 9, 1), SIZES, seed=0)["train"][k] for k in ("x", "y"))
    assert set(np.unique(x[x != PAD])) == set(range(10))
    assert set(np.unique(y)) == set(range(10))


def test_recall_generation_is_deterministic_and_seeded():
    a = recall.generate(RecallTask(3, 9, 1), SIZES, seed=5)
    b = recall.generate(RecallTask(3, 9, 1), SIZES, seed=5)
    c = recall.generate(RecallTask(3, 9, 1), SIZES, seed=6)
    np.testing.assert_array_equal(a["test"]["x"], b["test"]["x"])
    assert not np.array_equal(a["test"]["x"], c["test"]["x"])


def test_recall_rejects_a_position_outside_the_shortest_sequence():
    with pytest.raises(ValueError, match="position"):
        RecallTask(3, 9, 3)


def test_recall_load_names_the_stage_when_data_is_missing(tmp_path):
    with pytest.raises(DataError, match="recall_generate"):
        recall.load(tmp_path)


# --- binary addition -------------------------------------------------------------------------


@pytest.mark.parametrize("L", [1, 3, 10, 20])
def test_addition_sums_are_correct_including_the_carry(L):
    x, y = addition.generate(L, 2000, np.random.default_rng(0))
    assert x.shape == (2000, L + 1, 2) and y.shape == (2000, L + 1)
    assert (x[:, L] == 0).all()  # the extra step carries no input, only the final carry out
    a, b = addition.from_bits(x[:, :, 0]), addition.from_bits(x[:, :, 1])
    np.testing.assert_array_equal(addition.from_bits(y), a + b)
    carry = y[:, L] == 1
    np.testing.assert_array_equal(carry, a + b >= 2**L)
    assert carry.any() and (~carry).any()


def test_addition_bits_are_least_significant_first():
    np.testing.assert_array_equal(addition.to_bits(np.array([6]), 4), [[0, 1, 1, 0]])
    np.testing.assert_array_equal(addition.from_bits(np.array([[1, 0, 0, 1]])), [9])


def test_addition_files_are_deterministic_and_each_length_independent(tmp_path):
    sizes = {"n_train": 50, "n_val": 10, "n_test": 10}
    addition.write_all(tmp_path / "a", (3, 5), range(1, 6), sizes, seed=1)
    addition.write_all(tmp_path / "b", (3,), range(1, 4), sizes, seed=1)
    for name in ("train_x.npy", "val_y.npy"):
        assert (tmp_path / "a/train/L3" / name).read_bytes() == (tmp_path / "b/train/L3" / name).read_bytes()
    assert (tmp_path / "a/test/L2_x.npy").read_bytes() == (tmp_path / "b/test/L2_x.npy").read_bytes()
    x, y = addition.load_test(tmp_path / "a", 4)
    assert x.shape == (10, 5, 2)
    with pytest.raises(DataError, match="addition_generate"):
        addition.load_train(tmp_path / "a", 7)


# --- adding task ----------------------------------------------------------------------------------


@pytest.mark.parametrize("T", [2, 10, 101])
def test_adding_has_exactly_two_markers_one_per_half_and_sums_them(T):
    x, y = adding.generate(T, 1000, np.random.default_rng(0))
    values, markers = x[..., 0], x[..., 1]
    assert x.shape == (1000, T, 2) and x.dtype == np.float32
    assert set(np.unique(markers)) <= {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    half = T // 2
    assert (markers[:, :half].sum(axis=1) == 1).all() and (markers[:, half:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-6)
    assert ((values >= 0) & (values < 1)).all()


def test_adding_mean_predictor_scores_about_one_sixth():
    _, y = adding.generate(50, 200_000, np.random.default_rng(1))
    assert abs(((y - y.mean()) ** 2).mean() - adding.BASELINE_MSE) < 0.003


def test_adding_writes_the_measured_baseline(tmp_path):
    meta = adding.write_all(tmp_path, (10,), {"train": 500, "val": 50, "test": 400}, seed=3)
    assert 0.1 < meta["baseline"]["10"]["test_mse"] < 0.25
    data = adding.load(tmp_path, 10)
    assert data["test"][0].shape == (400, 10, 2)
    with pytest.raises(DataError, match="T=50"):
        adding.load(tmp_path, 50)


# --- what every task's splits share ---------------------------------------------------------------


def test_overlap_counts_whole_rows_of_b_found_in_a():
    from seqlab.tasks.splits import overlap, overlap_fraction

    a = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.uint8)
    b = np.array([[3, 4], [4, 3], [1, 2], [1, 2]], dtype=np.uint8)  # a repeat counts twice; order matters
    assert overlap(a, b) == 3
    assert overlap_fraction(a, b) == 0.75 and overlap_fraction(a, b[:0]) == 0.0
    assert overlap(a, np.array([[1, 2]], dtype=np.int64)) == 0  # compared byte for byte: dtypes must match
