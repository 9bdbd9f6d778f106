"""Every criterion on inputs whose answer is known, and inputs that flip each verdict."""

import math

import pytest

from seqlab.judging.verdicts import (
    COURSE,
    FAILS,
    HOLDS,
    MIXED,
    NOISE,
    NOT_COMPARABLE,
    OTHER_TASK,
    QUOTE_CUT,
    SEQLAB,
    Claim,
    Verdict,
    accuracy_se,
    all_reach,
    beats,
    binomial_se,
    both,
    breaks_beyond,
    every_step,
    not_comparable_here,
    paired,
    quote_fragments,
    rises_with,
    standard_error,
    two_proportions,
)


def test_all_reach_counts_seeds():
    assert all_reach([1.0, 0.995, 0.99], 0.99).verdict == HOLDS
    assert all_reach([1.0, 0.98, 1.0], 0.99).verdict == MIXED  # one seed short flips it
    assert all_reach([0.5, 0.98], 0.99).verdict == FAILS
    v = all_reach([1.0, 0.98, 1.0], 0.99)
    assert v.numbers == {"values": [1.0, 0.98, 1.0], "reached": 2, "seeds": 3} and "2 of 3 reach 0.99" in v.evidence


def test_breaks_beyond_looks_only_above_the_length_and_pools_every_run():
    runs = {10: [1.0, 1.0], 20: [0.3, 0.8], 40: [0.2]}
    assert breaks_beyond(runs, 15, 0.99).verdict == HOLDS  # nothing above 15 reaches it: falls apart
    assert breaks_beyond({**runs, 30: [1.0, 1.0]}, 15, 0.99).verdict == MIXED  # solving T=30 contradicts it
    assert breaks_beyond({20: [1.0], 30: [0.995]}, 15, 0.99).verdict == FAILS
    assert breaks_beyond({**runs, 12: [0.1]}, 15, 0.99).verdict == HOLDS  # a failure below 15 is not evidence
    assert breaks_beyond(runs, 15, 0.99).numbers == {"T20": {"reached": 0, "seeds": 2}, "T40": {"reached": 0, "seeds": 1}}
    with pytest.raises(ValueError, match="no runs above T=40"):
        breaks_beyond(runs, 40, 0.99)


def test_standard_errors_in_closed_form():
    assert standard_error([1.0, 2.0, 3.0]) == pytest.approx(1 / math.sqrt(3))  # std 1 over sqrt(3)
    assert standard_error([5.0]) == 0.0
    # the example: one seed's accuracy on 500 test images near 90% is known to about ±1.3 points
    assert binomial_se(0.9, 500) == pytest.approx(math.sqrt(0.09 / 500)) == pytest.approx(0.0134, abs=1e-4)
    # two seeds at 0.8 and 1.0 on 100 items: seed spread (0.1) and test-set error (0.04/sqrt(2)) together
    assert accuracy_se([0.8, 1.0], 100) == pytest.approx(math.sqrt(0.1**2 + (0.9 * 0.1 / 100) / 2))


@pytest.mark.parametrize("diff,se,verdict", [(0.05, 0.02, HOLDS), (0.03, 0.02, NOISE), (-0.05, 0.02, FAILS),
                                             (0.0, 0.0, NOISE), (0.001, 0.0, HOLDS), (-0.04, 0.02, NOISE)])
def test_beats_needs_two_standard_errors(diff, se, verdict):
    assert beats(diff, se) == verdict


def test_paired_comparison_and_a_flip():
    a, b = [0.9, 0.8, 0.7, 0.9], [0.9, 0.8, 0.7, 0.9]
    tie = paired(a, b, "A − B")
    assert tie.verdict == NOISE and tie.numbers["mean_diff"] == 0 and "equal in 4" in tie.evidence
    better = paired([0.92, 0.83, 0.71, 0.94], b, "A − B")  # differences 0.02, 0.03, 0.01, 0.04: mean 0.025
    assert better.numbers["mean_diff"] == pytest.approx(0.025)
    assert better.numbers["se"] == pytest.approx(standard_error([0.02, 0.03, 0.01, 0.04]), abs=1e-6)  # rounded
    assert better.verdict == HOLDS  # 0.025 > 2 x 0.00645
    assert paired(b, [0.92, 0.83, 0.71, 0.94], "A − B").verdict == FAILS  # swapped, it flips
    with pytest.raises(ValueError):
        paired([1.0], [], "x")


def test_two_proportions_on_the_same_test_set():
    verdict, se = two_proportions(0.94, 0.93, 500)
    assert verdict == NOISE and se == pytest.approx(math.sqrt(0.94 * 0.06 / 500 + 0.93 * 0.07 / 500))
    assert two_proportions(0.94, 0.80, 500)[0] == HOLDS
    assert two_proportions(0.80, 0.94, 500)[0] == FAILS


def test_a_two_part_claim_needs_both_parts():
    yes, no, noise, mixed = (Verdict(v, v) for v in (HOLDS, FAILS, NOISE, MIXED))
    assert both(yes, yes).verdict == HOLDS
    assert both(yes, noise).verdict == MIXED and both(yes, no).verdict == MIXED and both(mixed, yes).verdict == MIXED
    assert both(no, noise).verdict == FAILS and both(no, no).verdict == FAILS
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict("probably", "")


@pytest.mark.parametrize("groups,verdict", [
    ([("a", 0.3, 0.01), ("b", 0.6, 0.01), ("c", 0.9, 0.01)], HOLDS),  # every step up beyond 2 SE
    ([("a", 0.3, 0.01), ("b", 0.6, 0.01), ("c", 0.61, 0.01)], MIXED),  # the last step inside the noise
    ([("a", 0.3, 0.01), ("b", 0.6, 0.01), ("c", 0.4, 0.01)], MIXED),  # up, then down
    ([("a", 0.5, 0.02), ("b", 0.52, 0.02), ("c", 0.49, 0.02)], NOISE),
    ([("a", 0.9, 0.01), ("b", 0.6, 0.01), ("c", 0.61, 0.01)], FAILS),  # falls, then flat: no rise anywhere
    ([("a", 0.9, 0.01), ("b", 0.6, 0.01)], FAILS),
    ([("a", 0.5, 0.0), ("b", 0.5, 0.0)], NOISE),  # a tie with no error is no rise
])
def test_rises_with_judges_each_step_up(groups, verdict):
    v = rises_with(groups, "score")
    assert v.verdict == verdict and len(v.numbers["steps"]) == len(groups) - 1
    assert v.evidence.startswith("score: a → b: ")


@pytest.mark.parametrize("steps,verdict", [
    ([HOLDS, HOLDS], HOLDS),
    ([NOISE, NOISE, NOISE], NOISE),
    ([HOLDS, NOISE], MIXED),
    ([HOLDS, FAILS], MIXED),
    ([NOISE, FAILS], FAILS),  # nothing holds, and something does not
    ([FAILS], FAILS),
])
def test_every_step_combines_comparisons(steps, verdict):
    assert every_step(steps) == verdict


def test_rises_with_uses_both_standard_errors():
    # 0.05 apart: beyond 2 SE of one group (0.02) but not of the difference (sqrt(2) x 0.02 = 0.028)
    assert rises_with([("a", 0.50, 0.02), ("b", 0.55, 0.02)], "x").verdict == NOISE
    assert rises_with([("a", 0.50, 0.02), ("b", 0.55, 0.0)], "x").verdict == HOLDS
    with pytest.raises(ValueError, match="at least two"):
        rises_with([("a", 0.5, 0.0)], "x")


def _claim(**kw) -> Claim:
    args = dict(id="x.y", claim="quoted", source="ee6132", criterion="rule", result=Verdict(HOLDS, "e"),
                protocol=SEQLAB, deviations=("data: smaller",))
    return Claim(**{**args, **kw})


def test_a_claim_names_its_report_protocol_and_deviations():
    row = _claim().row()
    assert row["report"] == "EE6132 (IIT Madras) assignment 3 report" and row["deviations"] == ["data: smaller"]
    assert _claim(protocol=COURSE, deviations=()).protocol == COURSE  # the course's own protocol may list none
    with pytest.raises(ValueError, match="unknown source"):
        _claim(source="course report (palindromes)")
    with pytest.raises(ValueError, match="unknown protocol"):
        _claim(protocol="ours")
    with pytest.raises(ValueError, match="must list its deviations"):
        _claim(deviations=())
    with pytest.raises(ValueError, match="judged on another task"):
        _claim(protocol=OTHER_TASK)
    other = _claim(protocol=OTHER_TASK, result=not_comparable_here("measured: 0.5"))
    assert other.result.verdict == NOT_COMPARABLE and other.result.evidence == "measured: 0.5"


def test_a_quote_splits_into_its_exact_fragments():
    assert quote_fragments(QUOTE_CUT.join(("the first words", "the last words."))) == ["the first words",
                                                                                      "the last words."]
    assert quote_fragments("one piece … with an ellipsis inside") == ["one piece", "with an ellipsis inside"]
    assert quote_fragments("no cut...") == ["no cut..."]
