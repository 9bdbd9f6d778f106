"""The LSTM-AE course report's criteria (seqlab.studies.lstmae.course_criteria) on hand-made
numbers whose verdict is known: every verdict each can return, the boundaries (exactly at the
factor, exactly two standard errors), the impossible inputs, and the numbers in closed form."""

import math

import pytest

from seqlab.judging.verdicts import FAILS, HOLDS, MIXED, NOISE, NOT_COMPARABLE, binomial_se
from seqlab.studies.lstmae import course_criteria as cc

# --- reading one curve ----------------------------------------------------------------------------


@pytest.mark.parametrize("values, expected", [
    ([1.0] * 6 + [0.97], True),  # 3% below the value five epochs before
    ([1.0] * 6 + [0.98], False),  # exactly 2% below: not more than min_drop
    ([5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.99], False),  # compares with epoch -6, not the first
    ([1.0, 1.1, 1.2, 1.3, 1.4, 1.5], False),  # rising
    ([1.0] * 5, None),  # exactly `window` values: nothing to compare with
    ([1.0], None),
])
def test_still_falling(values, expected):
    assert cc.still_falling(values) is expected


def test_still_falling_window_and_errors():
    assert cc.still_falling([1.0, 0.5], window=1) is True
    assert cc.still_falling([1.0, 0.99], window=1, min_drop=0.0) is True
    for bad in (dict(values=[]), dict(values=[1.0, 0.5], window=0), dict(values=[1.0, 0.5], min_drop=1.0)):
        with pytest.raises(ValueError):
            cc.still_falling(**bad)


def test_escape_epoch():
    assert cc.escape_epoch([1.0, 0.95, 0.89, 0.5], 1.0) == 3  # 1-based
    assert cc.escape_epoch([1.0, 0.9, 0.8], 1.0) == 3  # exactly 0.9 x the plateau is not below it
    assert cc.escape_epoch([0.5], 1.0) == 1
    assert cc.escape_epoch([1.0, 0.95, 0.91], 1.0) is None
    assert cc.escape_epoch([1.0, 0.95, 0.91], 1.0, level=0.92) == 3
    for args in (([], 1.0), ([1.0], 0.0), ([1.0], -1.0)):
        with pytest.raises(ValueError):
            cc.escape_epoch(*args)


def test_jumps():
    # 1.3 > 1.2 x 1.0 (a jump); 1.2 = exactly 1.2 x 1.0 (not more); 1.5 > 1.44 (a jump)
    assert cc.jumps([1.0, 1.3, 1.0, 1.2, 1.5]) == 2
    assert cc.jumps([1.0, 1.3, 1.0, 1.2, 1.5], rise=0.1) == 3
    assert cc.jumps([1.0, 0.5, 0.25]) == 0 and cc.jumps([1.0]) == 0
    with pytest.raises(ValueError):
        cc.jumps([])
    with pytest.raises(ValueError):
        cc.jumps([1.0, 2.0], rise=0.0)


def test_mean_se():
    assert cc.mean_se([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1 / math.sqrt(3)))
    assert cc.mean_se([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError):
        cc.mean_se([])


# --- the claims -------------------------------------------------------------------------------------


@pytest.mark.parametrize("values, expected", [
    ([1.5e-4, 2e-4], HOLDS),  # 2e-4 is exactly 2 x the quoted value: reaches it
    ([1e-4, 3e-4], MIXED),
    ([3e-4, 1e-3], FAILS),
    ([2.0001e-4], FAILS),
])
def test_reaches_quoted(values, expected):
    assert cc.reaches_quoted(values, 1e-4).verdict == expected


def test_reaches_quoted_numbers_and_errors():
    v = cc.reaches_quoted([5e-5, 3e-4], 1e-4)
    assert v.numbers == {"values": [5e-5, 3e-4], "quoted": 1e-4, "reached": 1, "seeds": 2, "best_ratio": 0.5}
    assert "1 of 2" in v.evidence and "5e-05" in v.evidence and "0.5 × the quoted" in v.evidence
    assert cc.reaches_quoted([3e-4], 1e-4, factor=3.0).verdict == HOLDS
    for args in (([], 1e-4), ([1e-4], 0.0), ([1e-4], -1e-4), ([-1e-4], 1e-4), ([1e-4], 1e-4, 0.5)):
        with pytest.raises(ValueError):
            cc.reaches_quoted(*args)


def test_overfits_in_closed_form():
    over, gap, se = cc.overfits(0.01, 0.01, 100, 0.02, 0.02, 400)
    assert se == pytest.approx(math.sqrt(0.01**2 / 100 + 0.02**2 / 400)) and gap == pytest.approx(0.01)
    assert over  # 0.01 is 7 SE and 100% of the train MSE
    # significant (0.005 > 2 x 0.0014) but under 10% of the train MSE: not material
    over, gap, se = cc.overfits(0.1, 0.01, 100, 0.105, 0.02, 400)
    assert not over and gap > 2 * se
    assert cc.overfits(0.1, 0.01, 100, 0.105, 0.02, 400, materiality=0.01)[0]
    # se = sqrt(9/9 + 0) = 1 exactly: a gap of exactly 2 SE is within noise, just above it is not
    assert cc.overfits(10.0, 3.0, 9, 12.0, 0.0, 1) == (False, 2.0, 1.0)
    assert cc.overfits(10.0, 3.0, 9, 12.01, 0.0, 1)[0]
    assert not cc.overfits(0.02, 0.001, 100, 0.01, 0.001, 100)[0]  # test better than train
    for args in ((0.1, 0.01, 0, 0.2, 0.01, 10), (0.1, 0.01, 10, 0.2, 0.01, 0), (0.1, -0.01, 10, 0.2, 0.01, 10)):
        with pytest.raises(ValueError):
            cc.overfits(*args)


def seed(train=0.01, test=0.0101, sd=0.001, n=1000):
    return {"train_mean": train, "train_sd": sd, "n_train": n, "test_mean": test, "test_sd": sd, "n_test": n}


OK, OVER = seed(), seed(test=0.02)  # OK: a significant gap of 1% of the train MSE, not material


@pytest.mark.parametrize("seeds, expected", [([OK, OK], HOLDS), ([OK, OVER], MIXED), ([OVER, OVER], FAILS)])
def test_no_overfit(seeds, expected):
    assert cc.no_overfit(seeds).verdict == expected


def test_no_overfit_trivial_seeds_numbers_and_errors():
    v = cc.no_overfit([OK, OVER])
    assert v.numbers["overfit"] == 1 and v.numbers["seeds"] == 2
    assert v.numbers["per_seed"][1]["gap"] == pytest.approx(0.01)
    assert v.numbers["per_seed"][1]["se"] == pytest.approx(math.sqrt(2e-9), rel=1e-6)
    assert "1 of 2 seeds over-fit" in v.evidence and "trivially" not in v.evidence
    # at the predict-the-mean plateau: not over-fitting, trivially, whatever its test MSE
    stuck = seed(train=0.08, test=0.2)
    v = cc.no_overfit([stuck, OK], plateau=0.083)
    assert v.verdict == HOLDS and "trivially: it learnt only the mean" in v.evidence
    assert v.numbers["per_seed"][0]["trivial"] and not v.numbers["per_seed"][1]["trivial"]
    assert cc.no_overfit([stuck], plateau=0.09).verdict == FAILS  # 0.08 < 0.95 x 0.09: it learnt something
    with pytest.raises(ValueError):
        cc.no_overfit([])
    with pytest.raises(ValueError):
        cc.no_overfit([OK], plateau=0.0)


@pytest.mark.parametrize("smaller, smaller_se, falling, expected", [
    (0.02, 0.001, False, HOLDS),
    (0.02, 0.001, None, HOLDS),  # too short to tell does not count against it
    (0.04, 0.001, False, HOLDS),  # exactly 2 x 0.02: near
    (0.01, 0.001, False, HOLDS),  # exactly 0.02 / 2: near
    (0.02, 0.001, True, MIXED),  # still falling: not converged
    (0.05, 0.001, False, MIXED),  # worse, but not ≈ 0.02
    (0.02, 0.01, False, NOISE),  # 0.0199 is under 2 x 0.01: within noise
    (1e-5, 1e-6, False, FAILS),  # the smaller size is better
])
def test_smaller_hidden_worse(smaller, smaller_se, falling, expected):
    assert cc.smaller_hidden_worse(smaller, smaller_se, falling, 1e-4, 1e-5).verdict == expected


def test_smaller_hidden_worse_at_two_se_numbers_and_errors():
    # difference 2, SE sqrt(1 + 0) = 1: exactly 2 SE is within noise, 2.01 is worse
    assert cc.smaller_hidden_worse(2.0, 1.0, False, 0.0, 0.0, approx=2.0).verdict == NOISE
    assert cc.smaller_hidden_worse(2.01, 1.0, False, 0.0, 0.0, approx=2.0).verdict == HOLDS
    v = cc.smaller_hidden_worse(0.02, 0.003, True, 0.001, 0.004)
    assert v.numbers == {"smaller": 0.02, "chosen": 0.001, "diff": 0.019, "se": 0.005, "worse": HOLDS,
                         "converged": False, "near": True}
    assert "(a) worse" in v.evidence and "(b) converged: still falling" in v.evidence and "(c) near" in v.evidence
    for kw in (dict(smaller_se=-1.0), dict(chosen_se=-1.0), dict(approx=0.0), dict(factor=0.5)):
        args = dict(smaller=0.02, smaller_se=0.001, smaller_falling=False, chosen=1e-4, chosen_se=1e-5) | kw
        with pytest.raises(ValueError):
            cc.smaller_hidden_worse(**args)


@pytest.mark.parametrize("larger, chosen, expected", [
    ({64: 1.5e-4, 128: 0.8e-4}, 1e-4, HOLDS),
    ({64: 2e-4}, 1e-4, HOLDS),  # exactly 2 x chosen and exactly 2 x approx
    ({64: 1.5e-4, 128: 3e-4}, 1e-4, MIXED),
    ({64: 1e-3}, 1e-4, FAILS),
    ({64: 3e-4}, 3e-4, FAILS),  # identical to the chosen size, but not ≈ 0.0001
    ({}, 1e-4, NOT_COMPARABLE),
])
def test_larger_hidden_same(larger, chosen, expected):
    assert cc.larger_hidden_same(larger, chosen).verdict == expected


def test_larger_hidden_same_numbers_and_errors():
    v = cc.larger_hidden_same({128: 3e-4, 64: 1.5e-4}, 1e-4)
    assert v.numbers == {"chosen": 1e-4, "sizes": {"H64": {"value": 1.5e-4, "same": True},
                                                   "H128": {"value": 3e-4, "same": False}}}
    assert v.evidence.index("H=64") < v.evidence.index("H=128")
    assert "no larger hidden size ran" in cc.larger_hidden_same({}, 1e-4).evidence
    for args in (({64: 1e-4}, 0.0), ({64: 0.0}, 1e-4), ({64: 1e-4}, 1e-4, 0.0), ({64: 1e-4}, 1e-4, 1e-4, 0.9)):
        with pytest.raises(ValueError):
            cc.larger_hidden_same(*args)


PLATEAU = 0.08
SMOOTH = [0.08, 0.05, 0.02, 0.01, 0.005]  # escapes at epoch 2 (0.05 < 0.072), no jumps
CHOSEN = {"lr": 1e-3, "train": SMOOTH, "val": SMOOTH}
SPIKY = {"lr": 1e-2, "train": [0.08, 0.1, 0.05, 0.09, 0.04], "val": [0.08, 0.1, 0.05, 0.07, 0.04]}  # 2 + 2 jumps
SLOW = {"lr": 1e-4, "val": [0.08, 0.079, 0.078, 0.06, 0.05]}  # escapes at epoch 4
STUCK = {"lr": 1e-5, "val": [0.08, 0.08, 0.079, 0.079, 0.078]}  # 0.078 >= 0.95 x 0.08


def test_lr_effects_all_parts():
    v = cc.lr_effects(PLATEAU, CHOSEN, SPIKY, SLOW, STUCK)
    assert v.verdict == HOLDS
    assert v.numbers["jumps_larger"] == 4 and v.numbers["jumps_chosen"] == 0
    assert v.numbers["escape_smaller"] == 4 and v.numbers["escape_chosen"] == 2
    assert v.numbers["final_too_small"] == 0.078 and v.numbers["parts"] == {"a": True, "b": True, "c": True}
    assert "lr 0.01: 4" in v.evidence and "epoch 4" in v.evidence and "not run" not in v.evidence


def test_lr_effects_verdicts_over_the_parts_that_ran():
    nothing = cc.lr_effects(PLATEAU, CHOSEN)
    assert nothing.verdict == NOT_COMPARABLE and "not run: (a), (b), (c)" in nothing.evidence
    smooth_larger = {"lr": 1e-2, "train": SMOOTH, "val": SMOOTH}
    assert cc.lr_effects(PLATEAU, CHOSEN, larger=smooth_larger).verdict == FAILS
    v = cc.lr_effects(PLATEAU, CHOSEN, larger=SPIKY, too_small=SLOW)  # (a) holds, (c) does not
    assert v.verdict == MIXED and "not run: (b)" in v.evidence and v.numbers["parts"] == {"a": True, "c": False}
    assert cc.lr_effects(PLATEAU, CHOSEN, smaller=SLOW).verdict == HOLDS


def test_lr_effects_jumps_part():
    one = {"lr": 1e-2, "train": [0.08, 0.1, 0.05], "val": [0.08, 0.06, 0.05]}
    assert cc.lr_effects(PLATEAU, CHOSEN, larger=one).verdict == FAILS  # a single jump is not "jumps"
    # as many jumps as the chosen rate: not the larger rate's doing
    assert cc.lr_effects(PLATEAU, SPIKY | {"lr": 1e-3}, larger=SPIKY).verdict == FAILS
    assert cc.lr_effects(PLATEAU, CHOSEN, larger=SPIKY, rise=0.5).verdict == FAILS  # no rise above 50%


@pytest.mark.parametrize("chosen_val, smaller_val, slower", [
    (SMOOTH, [0.08, 0.05, 0.02], False),  # escapes at the same epoch
    (SMOOTH, [0.05, 0.02], False),  # escapes earlier
    (SMOOTH, [0.08, 0.079, 0.078], True),  # never escapes while the chosen rate does
    ([0.08, 0.076], [0.08, 0.078], True),  # neither escapes: ends higher
    ([0.08, 0.078], [0.08, 0.076], False),  # neither escapes: ends lower
    ([0.08, 0.079, 0.078], [0.08, 0.06], False),  # only the smaller rate escapes
])
def test_lr_effects_slower_part(chosen_val, smaller_val, slower):
    v = cc.lr_effects(PLATEAU, {"lr": 1e-3, "train": chosen_val, "val": chosen_val},
                      smaller={"lr": 1e-4, "val": smaller_val})
    assert v.verdict == (HOLDS if slower else FAILS)


def test_lr_effects_stuck_boundary_and_errors():
    assert cc.lr_effects(1.0, CHOSEN, too_small={"lr": 1e-5, "val": [1.0, 0.95]}).verdict == HOLDS  # exactly 95%
    assert cc.lr_effects(1.0, CHOSEN, too_small={"lr": 1e-5, "val": [1.0, 0.9499]}).verdict == FAILS
    with pytest.raises(ValueError):
        cc.lr_effects(0.0, CHOSEN, too_small=STUCK)
    with pytest.raises(ValueError):
        cc.lr_effects(PLATEAU, CHOSEN, smaller={"lr": 1e-4, "val": []})


def pair(label, clipped, clipped_se, unclipped, unclipped_se):
    return {"label": label, "clipped": clipped, "clipped_se": clipped_se, "unclipped": unclipped,
            "unclipped_se": unclipped_se}


SAME, HELPED, HURT = pair("a", 1.0, 0.1, 1.1, 0.1), pair("b", 1.0, 0.1, 2.0, 0.1), pair("c", 2.0, 0.1, 1.0, 0.1)


@pytest.mark.parametrize("pairs, expected", [
    ([SAME, SAME], HOLDS),
    ([SAME, HURT], HOLDS),  # clipping made it worse: it did not help
    ([pair("x", 0.0, 0.0, 2.0, 1.0)], HOLDS),  # exactly 2 SE: within noise, not help
    ([pair("x", 0.0, 0.0, 2.01, 1.0)], FAILS),
    ([SAME, HELPED], MIXED),
    ([HELPED, HELPED], FAILS),
])
def test_clipping_did_not_help(pairs, expected):
    assert cc.clipping_did_not_help(pairs).verdict == expected


def test_clipping_numbers_and_errors():
    v = cc.clipping_did_not_help([SAME, pair("b", 1.0, 0.3, 2.5, 0.4)])  # SE sqrt(0.3² + 0.4²) = 0.5
    assert v.numbers["helped"] == 1 and v.numbers["pairs"] == 2
    assert v.numbers["per_pair"]["b"] == {"clipped": 1.0, "unclipped": 2.5, "diff": 1.5, "se": 0.5, "helped": True}
    assert "clipping helped in 1 of 2" in v.evidence and "b: clipped 1" in v.evidence
    with pytest.raises(ValueError):
        cc.clipping_did_not_help([])
    with pytest.raises(ValueError):
        cc.clipping_did_not_help([pair("x", 1.0, -0.1, 1.0, 0.1)])


@pytest.mark.parametrize("values, exponent, expected", [
    ([0.01, 0.03], -2, HOLDS),
    ([10**-1.5], -2, HOLDS),  # exactly half a decade above 10^-2
    ([0.001, 0.05], -2, MIXED),  # better than the order passes; worse does not
    ([0.05], -2, FAILS),
    ([1e-4, 3e-4], -4, HOLDS),
    ([1e-3], -4, FAILS),
])
def test_order_of(values, exponent, expected):
    assert cc.order_of(values, exponent).verdict == expected


def test_order_of_numbers_and_errors():
    v = cc.order_of([0.01, 0.05])
    assert v.numbers == {"values": [0.01, 0.05], "bound": 0.03162278, "passed": 1, "seeds": 2}
    assert "0.03162" in v.evidence and "1 of 2" in v.evidence
    for values in ([], [-0.01]):
        with pytest.raises(ValueError):
            cc.order_of(values)


def test_accuracy_reaches():
    bound = 0.9 - 2 * binomial_se(0.9, 10_000)  # 0.9 - 2 x 0.003
    assert bound == pytest.approx(0.894)
    assert cc.accuracy_reaches(0.95, 10_000, 0.9, True).verdict == HOLDS
    assert cc.accuracy_reaches(bound, 10_000, 0.9, True).verdict == HOLDS  # exactly 2 SE below
    assert cc.accuracy_reaches(bound - 1e-9, 10_000, 0.9, True).verdict == FAILS
    assert cc.accuracy_reaches(0.894, 100, 0.9, True).verdict == HOLDS  # fewer items, wider band
    v = cc.accuracy_reaches(0.8, 10_000, 0.9, True)
    assert v.verdict == FAILS and v.numbers["se"] == pytest.approx(0.003) and "0.8000" in v.evidence
    v = cc.accuracy_reaches(0.8, 10_000, 0.99, False, "the course tested on its training images")
    assert v.verdict == NOT_COMPARABLE
    assert v.evidence.startswith("the course tested on its training images") and "0.8000" in v.evidence
    for args in ((0.9, 0, 0.9, True), (1.5, 100, 0.9, True), (0.9, 100, 0.0, True), (0.9, 100, 0.9, False)):
        with pytest.raises(ValueError):
            cc.accuracy_reaches(*args)


@pytest.mark.parametrize("accs, expected", [
    ((0.95, 0.948, 0.99, 0.90), HOLDS),  # the gap falls from 0.09 to 0.002 (under 2 SE = 0.0044)
    ((0.95, 0.945, 0.99, 0.90), MIXED),  # falls, but 0.005 remains, over 2 SE = 0.0046
    ((0.99, 0.90, 0.95, 0.948), FAILS),  # the gap grows
    ((0.99, 0.90, 0.99, 0.90), FAILS),  # the same large gap
    ((0.95, 0.949, 0.95, 0.949), NOISE),  # the same small gap: nothing to close
])
def test_closes_gap(accs, expected):
    assert cc.closes_gap(*accs, 10_000, 10_000).verdict == expected


def test_closes_gap_numbers_and_boundary():
    v = cc.closes_gap(0.95, 0.945, 0.99, 0.90, 10_000, 5_000)
    se = math.sqrt(0.95 * 0.05 / 10_000 + 0.99 * 0.01 / 10_000 + 0.945 * 0.055 / 5_000 + 0.9 * 0.1 / 5_000)
    assert v.numbers["se"] == pytest.approx(se, rel=1e-6) and v.numbers["shrinks"] == HOLDS
    assert v.numbers["gap_with"] == pytest.approx(0.005) and v.numbers["gap_without"] == pytest.approx(0.09)
    assert v.numbers["negligible_bound"] == pytest.approx(2 * math.sqrt(0.945 * 0.055 / 5_000), rel=1e-6)
    assert "(a) shrinks" in v.evidence and "(b) negligible" in v.evidence
    # binary fractions: gap 0.75 - 0.5 = 0.25, exactly 2 x sqrt(0.25 / 16) = 2 x 0.125: negligible
    v = cc.closes_gap(0.75, 0.5, 1.0, 0.0, 16, 16)
    assert v.verdict == HOLDS and v.numbers["negligible"] and v.numbers["negligible_bound"] == 0.25
    for args in ((0.9, 0.9, 0.9, 0.9, 0, 10), (0.9, 0.9, 0.9, 0.9, 10, 0), (1.2, 0.9, 0.9, 0.9, 10, 10)):
        with pytest.raises(ValueError):
            cc.closes_gap(*args)


@pytest.mark.parametrize("first, second, expected", [
    ([1.0, 0.25], [1.0, 0.125], HOLDS),  # finals exactly 2x apart; drops ln 4 and ln 8
    ([1.0, 0.001], [1.0, 0.5], FAILS),  # finals 500x apart; drops ln 1000 and ln 2
    ([1.0, 0.01], [0.011, 0.01], MIXED),  # same final, but only one of them dropped much
    ([1.0, 0.1], [10.0, 1.0], MIXED),  # the same drop to finals 10x apart
    ([1.0, 1.0], [1.0, 1.0], MIXED),  # no drop fails (b)
    ([0.5, 1.0], [0.5, 1.0], MIXED),  # rising fails (b)
])
def test_similarly_minimized(first, second, expected):
    assert cc.similarly_minimized(first, second).verdict == expected


def test_similarly_minimized_numbers_and_errors():
    v = cc.similarly_minimized([1.0, 0.25], [1.0, 0.125])
    assert v.numbers["drop_first"] == pytest.approx(math.log(4)) and v.numbers["drop_second"] == pytest.approx(
        math.log(8))
    assert v.numbers["finals_close"] and v.numbers["drops_close"]
    assert cc.similarly_minimized([1.0, 0.25], [1.0, 0.1], factor=3.0).verdict == HOLDS
    for args in (([], [1.0]), ([1.0], []), ([1.0, 0.0], [1.0, 0.5]), ([1.0, 0.5], [1.0, 0.5], 0.5)):
        with pytest.raises(ValueError):
            cc.similarly_minimized(*args)


CRITERIA = [cc.still_falling, cc.escape_epoch, cc.jumps, cc.reaches_quoted, cc.overfits, cc.no_overfit,
            cc.smaller_hidden_worse, cc.larger_hidden_same, cc.lr_effects, cc.clipping_did_not_help, cc.order_of,
            cc.accuracy_reaches, cc.closes_gap, cc.similarly_minimized, cc.mean_se]


@pytest.mark.parametrize("f", CRITERIA, ids=lambda f: f.__name__)
def test_every_criterion_states_its_rule(f):
    assert f.__doc__ and len(f.__doc__.split()) >= 10  # the ledger shows it as the criterion
