"""Stages study_<step>@recall: the digit-recall study (generate, train, evaluate, figures)."""

from seqlab.params.recall import parse
from seqlab.studies import recall
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse, recall)
