"""The Speed section's table of how a stage's runs divided over the workers, on records whose
every number is known."""

from __future__ import annotations

import pytest

from seqlab.report.speed import division, division_section


def _record(stage, runs, train_seconds, seconds, cores=2):
    training = None if runs is None else {"runs": runs, "train_seconds": train_seconds}
    return {"stage": stage, "seconds": seconds, "cores": cores, "training": training}


def test_each_multi_run_stage_gets_its_perfect_split_and_what_is_left_over():
    rows = division([
        _record("a_train", 4, 100.0, 60.0),  # 100 s of runs on 2 cores: 50 s at best, 10 s left over
        _record("b_train", 3, 300.0, 100.0, cores=4),  # 75 s at best on 4 cores
        _record("c_train", 1, 500.0, 500.0),  # one run: nothing to divide
        _record("d_figures", None, 0.0, 3.0),  # no training at all
    ])
    assert [r["stage"] for r in rows] == ["b_train", "a_train"]  # most training first
    b, a = rows
    assert (a["perfect split s"], a["left over s"], a["speed-up over one worker"]) == (50.0, 10.0, pytest.approx(1.67, abs=0.005))
    assert (b["perfect split s"], b["left over s"], b["speed-up over one worker"]) == (75.0, 25.0, 3.0)


def test_the_section_totals_the_stages_and_is_empty_without_any():
    text = "\n".join(division_section([_record("a_train", 4, 120.0, 60.0), _record("b_train", 2, 60.0, 60.0)]))
    assert "The 2 stages" in text
    assert "2.0 minutes of wall time on 3.0 minutes of the runs' own training: 1.50×" in text
    assert division_section([_record("c_train", 1, 10.0, 10.0)]) == []
