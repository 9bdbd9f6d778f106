"""The registry of studies: what the report iterates, and the check of every study's params."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from seqlab.core.params import read_params
from seqlab.studies.registry import STUDIES, has_module, parse_all, study_module
from test_params import _set


def test_every_study_folder_is_registered_and_gives_the_report_what_it_needs():
    folders = {p.name for p in (ROOT / "src/seqlab/studies").iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(STUDIES)
    for name in STUDIES:
        report = study_module(name, "report")
        assert callable(study_module(name, "params").parse) and callable(report.section) and report.CONTENTS, name
        if has_module(name, "claims"):
            assert callable(study_module(name, "claims").claims), name
    assert set(parse_all(read_params(ROOT / "params.yaml"))) == set(STUDIES)


def test_an_unknown_study_names_the_registered_ones():
    with pytest.raises(ValueError, match="registered studies: palindrome, uvapal, sweep"):
        study_module("nosuch", "report")


def test_the_params_check_names_each_study_and_the_bad_key(tmp_path, default_params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    ok = subprocess.run([sys.executable, "-m", "seqlab.studies"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.count(" ok\n") == len(STUDIES), ok.stdout + ok.stderr
    _set(default_params, "adding.T", 1)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(default_params))
    bad = subprocess.run([sys.executable, "-m", "seqlab.studies"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2
    lines = dict(line.split(maxsplit=1) for line in bad.stdout.splitlines())
    assert "'adding.T' has 1" in lines["adding"] and lines["recall"].endswith("ok")
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["params.yaml"]
