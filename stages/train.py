"""Stage train@<model>: train <model> on each of its lengths for every seed, tracked in MLflow."""

from seqlab.cli import run_stage
from seqlab.params.palindrome import model_section, parse
from seqlab.studies.palindrome import STUDY, train_model
from seqlab.tracking import Tracker


def main(params, args):
    model_section(params, args.model)  # an unknown model fails before MLflow is touched
    train_model(params, args.model, tracker=Tracker(params.mlflow.tracking_uri, STUDY))


if __name__ == "__main__":
    run_stage(__doc__, parse, main, lambda p: p.add_argument("--model", required=True))
