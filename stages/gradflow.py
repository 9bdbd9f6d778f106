"""Stages gradflow_<step>: gradient norms through time for the sweep's models (measure, figures)."""

from seqlab.params.sweep import parse_gradflow
from seqlab.studies import gradflow
from seqlab.studies.common import study_stage

if __name__ == "__main__":
    study_stage(__doc__, parse_gradflow, gradflow)
