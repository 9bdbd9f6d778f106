"""Stage evaluate@<model>: test accuracy, steps to target, curves and metrics JSON."""

import json

from seqlab.cli import run_stage
from seqlab.params.palindrome import model_section, parse
from seqlab.studies.palindrome import STUDY, evaluate_model
from seqlab.tracking import Tracker


def main(params, args):
    model_section(params, args.model)
    metrics = evaluate_model(params, args.model, tracker=Tracker(params.mlflow.tracking_uri, STUDY))
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    run_stage(__doc__, parse, main, lambda p: p.add_argument("--model", required=True))
