"""Stage generate@<model>: seeded palindrome splits for every length in <model>.T."""

from seqlab.cli import run_stage
from seqlab.params.palindrome import parse
from seqlab.studies.palindrome import generate_data


def main(params, args):
    for out in generate_data(params, args.model):
        print(f"wrote {out}")


if __name__ == "__main__":
    run_stage(__doc__, parse, main, lambda p: p.add_argument("--model", required=True))
