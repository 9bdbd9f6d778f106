"""Stage figures: accuracy curves per T and RNN vs LSTM loss as T grows (PNG)."""

from seqlab.cli import run_stage
from seqlab.params.palindrome import parse
from seqlab.studies.palindrome import make_figures


def main(params, args):
    for path in make_figures(params):
        print(f"wrote {path}")


if __name__ == "__main__":
    run_stage(__doc__, parse, main)
