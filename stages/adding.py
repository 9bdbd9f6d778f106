"""Stages study_<step>@adding: the adding-task study (generate, train, evaluate, figures)."""

from seqlab.params.adding import parse
from seqlab.studies import adding
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse, adding)
