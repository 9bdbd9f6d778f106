"""Stages study_<step>@addition: the binary-addition study (generate, train, evaluate, figures)."""

from seqlab.params.addition import parse
from seqlab.studies import addition
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse, addition)
