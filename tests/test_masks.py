"""Masks hide what their kind says, reproducibly, and never all or nothing."""

import pytest

from seqlab.tasks.masks import KINDS, MaskSpec, masks


def test_left_right_and_center_hide_exactly_their_pixels():
    left = masks(MaskSpec("left"), 3, seed=0)
    assert left.shape == (3, 28, 28) and left[:, :, :14].all() and not left[:, :, 14:].any()
    assert (masks(MaskSpec("right"), 3, seed=0) == ~left).all()
    center = masks(MaskSpec("center", center_size=10), 2, seed=0)
    assert center.sum(axis=(1, 2)).tolist() == [100, 100] and center[:, 9:19, 9:19].all()


def test_random_patches_are_seeded_patch_aligned_and_never_all_or_nothing():
    spec = MaskSpec("random_patches", patch_size=14, patch_fraction=0.5)  # 4 patches: all/none happen often
    a, b = masks(spec, 500, seed=3), masks(spec, 500, seed=3)
    assert (a == b).all() and not (a == masks(spec, 500, seed=4)).all()
    per_image = a.reshape(500, -1).mean(1)
    assert (per_image > 0).all() and (per_image < 1).all()
    blocks = a.reshape(500, 2, 14, 2, 14)
    assert (blocks.all(axis=(2, 4)) == blocks.any(axis=(2, 4))).all()  # each patch wholly hidden or wholly shown
    frac = masks(MaskSpec("random_patches", patch_size=7, patch_fraction=0.25), 2000, seed=0).mean()
    assert frac == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize("spec, message", [
    (MaskSpec("top"), "unknown mask kind 'top'; allowed values: " + ", ".join(KINDS)),
    (MaskSpec("center", center_size=28), "hide nothing or everything"),
    (MaskSpec("random_patches", patch_size=5), "must divide 28"),
    (MaskSpec("random_patches", patch_size=28), "hide everything"),
    (MaskSpec("random_patches", patch_fraction=1.0), "strictly between 0 and 1"),
])
def test_an_impossible_mask_is_refused(spec, message):
    assert message in spec.problem()
    with pytest.raises(ValueError, match=message.split(";")[0].replace("(", r"\(")):
        masks(spec, 1, seed=0)

