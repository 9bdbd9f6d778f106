"""The CS324 GAN as the course ran it (seqlab.studies.gan.course) and the criteria its ledger rows
use (seqlab.studies.gan.course_criteria): the update order and loss against a hand computation,
sampling that leaves training untouched, the report's windows, the course's interpolation path,
and every verdict each criterion can return, on inputs whose answer is known."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.core.errors import ParamsError
from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE
from seqlab.models.gan import GANConfig
from seqlab.studies.gan import course_criteria as cc
from seqlab.studies.gan.course.params import COURSE, parse, windows
from seqlab.studies.gan.course.steps import course_grid, paths_between, training_mode_images
from seqlab.studies.gan.course.update import CourseGANStep

SMALL = GANConfig(latent=4, generator=(8, 8), discriminator=(8,), slope=0.2)


def _pair(seed=0):
    torch.manual_seed(seed)
    a = SMALL.build()
    b = SMALL.build()
    b.load_state_dict(a.state_dict())
    return a, b


# --- the protocol -------------------------------------------------------------------------------


def test_course_constants():
    assert COURSE["updates"] == 187_600  # 200 epochs x ceil(60,000 / 64) = 938 batches
    assert COURSE["betas"] == (0.9, 0.999) and COURSE["lr"] == 0.0002 and COURSE["batch_size"] == 64


def test_the_step_updates_g_first_then_d_on_the_same_fakes_with_a_halved_loss():
    gan, ref = _pair()
    real = torch.rand(6, 28, 28) * 2 - 1
    out = CourseGANStep(gan, 1e-3, (0.9, 0.999), seed=3)(real, torch.zeros(6))
    # By hand: the same noise, G's Adam step on BCE(sigmoid(D(G(z))), 1), then D's on the pre-step fakes.
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    opt_g = torch.optim.Adam(ref.generator.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(ref.discriminator.parameters(), lr=1e-3)
    fake = ref.generator(z)
    g_loss = F.binary_cross_entropy(torch.sigmoid(ref.discriminator(fake)), torch.ones(6))
    g_loss.backward()
    opt_g.step()
    opt_d.zero_grad()
    d_loss = (F.binary_cross_entropy(torch.sigmoid(ref.discriminator(real)), torch.ones(6))
              + F.binary_cross_entropy(torch.sigmoid(ref.discriminator(fake.detach())), torch.zeros(6))) / 2
    d_loss.backward()
    opt_d.step()
    assert out["loss"].item() == pytest.approx(d_loss.item(), rel=1e-6)
    assert out["g_loss"].item() == pytest.approx(g_loss.item(), rel=1e-6)
    for (name, p), q in zip(gan.state_dict().items(), ref.state_dict().values()):
        assert torch.allclose(p, q, atol=1e-7), name


def test_the_step_is_not_seqlabs_order():
    """Fakes from G after its step (seqlab's D-first order reversed) would give D another loss:
    the test above can tell the orders apart."""
    gan, ref = _pair()
    real = torch.rand(6, 28, 28) * 2 - 1
    out = CourseGANStep(gan, 1e-2, (0.9, 0.999), seed=3)(real, torch.zeros(6))
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    late = gan.generator(z).detach()  # G after its step
    with torch.no_grad():
        d_late = (F.binary_cross_entropy(torch.sigmoid(ref.discriminator(real)), torch.ones(6))
                  + F.binary_cross_entropy(torch.sigmoid(ref.discriminator(late)), torch.zeros(6))) / 2
    assert abs(out["loss"].item() - d_late.item()) > 1e-6


def test_training_mode_images_leave_batch_norm_statistics_alone():
    gan, _ = _pair()
    before = {k: v.clone() for k, v in gan.generator.named_buffers()}
    z = torch.randn(10, 4)
    images = training_mode_images(gan, z, batch_size=4)
    assert images.shape == (10, 28, 28) and images.min() >= 0 and images.max() <= 1
    for k, v in gan.generator.named_buffers():
        assert torch.equal(v, before[k]), k
    gan.generator.train()
    with torch.no_grad():  # each chunk of 4 on its own batch statistics
        expected = torch.cat([(gan.generator(c) + 1) / 2 for c in z.split(4)])
    assert torch.allclose(images, expected, atol=1e-6)
    gan.generator.eval()  # the module's mode is put back too
    training_mode_images(gan, z, 4)
    assert not gan.generator.training


def test_course_grid_is_save_images_min_max():
    images = torch.linspace(-1, 0.5, 30 * 784).reshape(30, 28, 28)
    grid = course_grid(images)
    assert grid.shape == (25, 28, 28) and grid.dtype == np.uint8
    assert grid.min() == 0 and grid.max() == 255  # the first 25 images' own range


def test_path_zero_is_test_gans_path():
    torch.manual_seed(1)
    begin, end = torch.randn(1, 100), torch.randn(1, 100)
    walk = paths_between(1, 3, 7)
    assert walk.shape == (3, 7, 100)
    assert torch.allclose(walk[0, 0], begin[0]) and torch.allclose(walk[0, -1], end[0])
    assert torch.allclose(walk[0, 3], (begin[0] + end[0]) / 2, atol=1e-6)
    assert not torch.allclose(walk[1, 0], begin[0])


@pytest.mark.parametrize("updates, every, expected", [
    (187_600, 500, {"first": [0, 500, 1000], "halfway": [59_500, 60_000, 60_500], "end": [187_000, 187_500, 187_600]}),
    (5_000, 250, {"first": [0, 500, 1000], "halfway": [1250, 1500, 1750], "end": [4500, 4750, 5000]}),
    (300, 100, {"first": [0], "halfway": [0, 100, 200], "end": [100, 200, 300]}),
])
def test_windows(updates, every, expected):
    steps = sorted({*range(0, updates + 1, every), updates})
    assert windows(steps, updates) == expected


def test_deviations_and_bad_params(default_params):
    c = parse(default_params).course
    assert c.updates == default_params["gan"]["course"]["train"]["updates"]
    assert any(d.startswith("length:") for d in c.deviations(4000))
    default_params["gan"]["course"]["scale"] = "course"
    default_params["gan"]["course"]["score"]["every"] = 500
    c = parse(default_params).course
    assert c.updates == 187_600 and c.deviations(60_000) == []
    for edit, key in ((lambda c: c.update(scale="huge"), "gan.course.scale"),
                      (lambda c: c["train"].update(betas=[0.9]), "gan.course.train.betas"),
                      (lambda c: c["interpolate"].update(paths=1), "gan.course.interpolate.paths")):
        bad = copy.deepcopy(default_params)
        edit(bad["gan"]["course"])
        with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
            parse(bad)


# --- the images' criterion ----------------------------------------------------------------------


def test_log_position_closed_form_and_clipping():
    assert cc.log_position(1.0, 1.0, 100.0) == 0
    assert cc.log_position(10.0, 1.0, 100.0) == pytest.approx(0.5)
    assert cc.log_position(100.0, 1.0, 100.0) == 1
    assert cc.log_position(0.5, 1.0, 100.0) == 0 and cc.log_position(500.0, 1.0, 100.0) == 1
    assert cc.log_position(math.e, 1.0, math.e ** 3) == pytest.approx(1 / 3)
    for bad in ((1.0, 0.0, 10.0), (1.0, 10.0, 10.0), (0.0, 1.0, 10.0)):
        with pytest.raises(ValueError):
            cc.log_position(*bad)


@pytest.mark.parametrize("position, expected", [
    (1.0, cc.POOR), (2 / 3, cc.POOR), (0.66, cc.MIX), (0.5, cc.MIX), (0.34, cc.MIX), (1 / 3, cc.NEAR_REAL),
    (0.0, cc.NEAR_REAL)])
def test_phase_thirds(position, expected):
    assert cc.phase(position) == expected


def test_phase_rejects_outside():
    with pytest.raises(ValueError):
        cc.phase(1.2)


AS_CLAIMED = {"first": [1.0, 0.9, 0.8], "halfway": [0.6, 0.5, 0.4], "end": [0.2, 0.1, 0.3]}


@pytest.mark.parametrize("runs, expected", [
    ({"0": AS_CLAIMED, "1": AS_CLAIMED}, HOLDS),
    ({"0": {"first": [1.0, 0.2, 0.1], "halfway": [0.9, 0.9, 0.9], "end": [0.5, 0.5, 0.5]}}, FAILS),
    ({"0": AS_CLAIMED, "1": {**AS_CLAIMED, "end": [0.5, 0.45, 0.4]}}, MIXED),  # seed 1 ends a mix
    ({"0": {**AS_CLAIMED, "halfway": [0.9, 0.1, 0.5]}}, HOLDS),  # the window's median decides
])
def test_images_improve(runs, expected):
    v = cc.images_improve(runs)
    assert v.verdict == expected
    assert set(v.numbers) == {f"seed{s}_{w}" for s in runs for w in cc.CLAIMED}


def test_images_improve_needs_every_window():
    for runs in ({}, {"0": {"first": [1.0], "halfway": [0.5]}}, {"0": {**AS_CLAIMED, "end": []}}):
        with pytest.raises(ValueError):
            cc.images_improve(runs)


# --- the interpolation's criterion --------------------------------------------------------------


@pytest.mark.parametrize("labels, expected", [
    ([3, 3, 8, 8, 1], True), ([3, 8, 3], False), ([5, 5, 5], True), ([1, 2, 1, 2], False), ([7], True)])
def test_contiguous(labels, expected):
    assert cc.contiguous(labels) is expected


@pytest.mark.parametrize("labels, expected", [
    ([3, 8, 1], True), ([3, 3, 1], False), ([3, 1, 3], True), ([5, 5, 5], False), ([2, 2, 9, 9, 9], False)])
def test_through_other(labels, expected):
    assert cc.through_other(labels) is expected


def test_path_smooth():
    assert cc.path_smooth([3, 8, 1], [1.0, 2.0], 2.5)
    assert not cc.path_smooth([3, 8, 1], [1.0, 2.5], 2.5)  # a step as far as the median pair
    assert not cc.path_smooth([3, 8, 3], [1.0, 1.0], 2.5)
    with pytest.raises(ValueError):
        cc.path_smooth([3, 8, 1], [1.0], 2.5)


SMOOTH_THROUGH = ([3, 8, 1], [1.0, 1.0])
SMOOTH_PLAIN = ([3, 3, 1], [1.0, 1.0])
ROUGH_THROUGH = ([3, 8, 3], [1.0, 1.0])
ROUGH_PLAIN = ([3, 3, 1], [9.0, 1.0])


@pytest.mark.parametrize("paths, expected", [
    ([SMOOTH_THROUGH] * 10 + [SMOOTH_PLAIN] * 10, HOLDS),  # all smooth, half through another digit
    ([ROUGH_PLAIN] * 20, FAILS),  # none smooth, none through
    ([SMOOTH_PLAIN] * 20, MIXED),  # smooth, but never through another digit
    ([ROUGH_THROUGH] * 20, MIXED),  # through other digits, never smooth
    ([SMOOTH_THROUGH] * 5 + [ROUGH_THROUGH] * 5, NOISE),  # half smooth: inside 2 SE of one half
])
def test_interpolation_every_verdict(paths, expected):
    v = cc.interpolation(paths, [5.0, 5.0, 6.0])
    assert v.verdict == expected
    assert v.numbers["paths"] == len(paths) and v.numbers["random_median"] == 5.0


def test_interpolation_rare_passes_are_not_enough():
    # 1 path in 20 through another digit: 0.05 - 2 x sqrt(0.05 x 0.95 / 20) < 0, a fluke
    v = cc.interpolation([SMOOTH_THROUGH] + [SMOOTH_PLAIN] * 19, [5.0])
    assert v.verdict == MIXED and v.numbers["through_other"] == 0.05


def test_agree():
    assert cc.agree([HOLDS, HOLDS]) == HOLDS and cc.agree([FAILS]) == FAILS and cc.agree([HOLDS, NOISE]) == MIXED
    with pytest.raises(ValueError):
        cc.agree([])


# --- the recorded course-scale run ----------------------------------------------------------------


def test_read_log(tmp_path):
    from seqlab.core.errors import DataError
    from seqlab.tools.gan_record import read_log

    log = tmp_path / "long.log"
    log.write_text("Sun Dec 6\nupdate 500 at 12 s frechet 109.0355\nnoise\nupdate 1000 at 24 s frechet 101.6541\n")
    scores = read_log(log)
    assert scores["step"].tolist() == [500, 1000] and scores["frechet"].tolist() == [109.0355, 101.6541]
    log.write_text("nothing here\n")
    with pytest.raises(DataError, match="long.log: no line"):
        read_log(log)
    log.write_text("update 1000 at 24 s frechet 1.0\nupdate 500 at 12 s frechet 2.0\n")
    with pytest.raises(DataError, match="not in order"):
        read_log(log)


def _record(reached: int, frechet) -> dict:
    steps = list(range(0, reached + 1, 500))
    return {"steps": steps, "frechet": [frechet(s) for s in steps], "updates_planned": 187_600,
            "updates_reached": reached, "every": 500, "floor": 1.0, "seed": 0}


def test_judge_record_stops_where_the_run_stopped():
    from seqlab.studies.gan.course_claims import judge_record

    # distance 100 at the start, falling a decade per 60,000 updates: 1.0 (the floor) at 120,000
    decay = lambda s: max(1.0, 100 * 10 ** (-s / 60_000))  # noqa: E731
    verdict, spans = judge_record(_record(30_000, decay))
    assert verdict.startswith("not judged: the run stopped at update 30,000") and set(spans) == {"first"}
    verdict, spans = judge_record(_record(61_000, decay))
    assert set(spans) == {"first", "halfway"} and spans["halfway"][0] == [59_500, 60_000, 60_500]
    assert spans["halfway"][1] == pytest.approx(0.5)  # 10 at batch 60,000: half way down the log scale
    full = _record(187_500, decay)
    full["steps"].append(187_600)
    full["frechet"].append(1.0)
    full["updates_reached"] = 187_600
    verdict, spans = judge_record(full)
    assert verdict == HOLDS and spans["end"][0] == [187_000, 187_500, 187_600]


def _results(frechet_by_step: dict[int, float], walks) -> dict:
    steps = sorted(frechet_by_step)
    snaps = [{"step": s, "frechet": frechet_by_step[s]} for s in steps]
    run = {"snapshots": snaps, "windows": windows(steps, max(steps)), "interpolation": walks}
    return {"metrics": {"frechet_floor": 1.0}, "updates": max(steps), "points": 3, "interpolation_seed": 1,
            "deviations": ["length: 5,000 updates; the course's 187,600"], "runs": {"0": run, "1": run}}


def test_the_gan_rows_follow_their_criteria_and_carry_the_recorded_run():
    from seqlab.judging.verdicts import COURSE as PROTOCOL
    from seqlab.studies.gan.course_claims import course_claims

    walk = {"labels": [[3, 8, 1], [3, 3, 1]] * 10, "consecutive": [[1.0, 1.0]] * 20, "random_pairs": [5.0] * 10}
    falling = {s: 100 * 10 ** (-s / 2500) for s in range(0, 5001, 250)}  # 100 to 0.01, clipped at the floor 1
    falling = {s: max(f, 1.0) for s, f in falling.items()}
    res = _results(falling, walk)
    images, walks = course_claims(res, {}, {})
    assert images.id == "gan.course_images_improve" and images.protocol == PROTOCOL and images.source == "cs324"
    assert walks.id == "gan.course_interpolation_smooth" and walks.result.verdict == HOLDS
    # the first window [0, 500, 1000] sits at 1, 0.9, 0.8 of the log scale: poor; halfway (1,500) 0.7: poor,
    # not a mix; the end (from 4,500) at the floor: near-real
    assert images.result.verdict == MIXED and "halfway 0.70 (poor, not a mix)" in images.result.evidence
    assert images.corrected == "" and any(d.startswith("length:") for d in images.deviations)
    record = {**_record(187_600, lambda s: 1.0 if s else 100.0), "interpolation": walk}
    _, walks = course_claims(res, {}, record)
    assert "At the course's scale, recorded once" in walks.result.evidence
    assert walks.result.numbers["course_scale"]["verdict"] == HOLDS


def test_images_the_judge_cannot_place_are_not_comparable():
    from seqlab.judging.verdicts import NOT_COMPARABLE
    from seqlab.studies.gan.course_claims import course_claims, judge_record
    from seqlab.studies.gan.course_report import course_section

    walk = {"labels": [[3, 3, 3]] * 2, "consecutive": [[1.0, 1.0]] * 2, "random_pairs": [5.0]}
    res = _results({0: 0.5, 250: 0.4, 500: 0.3}, walk)  # the untrained generator below the floor of 1.0
    res["seeds"] = [0, 1]
    for run in res["runs"].values():
        run |= {"n_params": 10, "train_seconds": 1.0}
    res["metrics"]["n_samples"], res["n_train"] = 10, 40
    images, walks = course_claims(res, {}, {})
    assert images.result.verdict == NOT_COMPARABLE and "cannot place" in images.result.evidence
    assert "× the floor" not in walks.result.evidence
    verdict, spans = judge_record(_record(1_000, lambda s: 0.5))
    assert verdict.startswith("not judged") and spans == {}
    assert "not placed" in "\n".join(course_section(res, {}))
