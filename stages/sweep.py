"""Stages study_<step>@sweep: the palindrome length sweep (generate, train, evaluate, figures)."""

from seqlab.params.sweep import parse
from seqlab.studies import sweep
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse, sweep)
