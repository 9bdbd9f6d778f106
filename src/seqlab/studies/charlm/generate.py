"""Generate text from any saved char-LSTM checkpoint, to standard output.

    python -m seqlab.studies.charlm.generate --checkpoint models/charlm/lstm/model.pt --start "Once" \\
        --temperature 0.8 --length 200

--temperature 0 decodes greedily; otherwise each character is drawn from softmax(logits / tau),
with --seed fixing the draw. The checkpoint carries its vocabulary; a start character outside it
is an error naming it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from seqlab.core.errors import DataError
from seqlab.studies.charlm.decoding import generate
from seqlab.models.charlm import CharLSTMConfig
from seqlab.tasks.text import Vocabulary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqlab.studies.charlm.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True, help="a char-LSTM checkpoint (model.pt)")
    parser.add_argument("--start", required=True, help="the text to continue (one character or more)")
    parser.add_argument("--temperature", type=float, default=1.0, help="softmax(logits / tau); 0: greedy")
    parser.add_argument("--length", type=int, default=200, help="characters to generate after the start")
    parser.add_argument("--seed", type=int, default=0, help="the sampling generator's seed")
    args = parser.parse_args(argv)
    if args.length < 0:
        parser.error(f"--length must be >= 0, got {args.length}")
    if args.temperature < 0:
        parser.error(f"--temperature must be >= 0 (0: greedy), got {args.temperature}")
    try:
        if not args.checkpoint.is_file():
            raise DataError(f"{args.checkpoint}: no such checkpoint (the study writes models/charlm/lstm/model.pt "
                            "and models/charlm/lstm/checkpoints/step*.pt)")
        model = CharLSTMConfig.load(args.checkpoint)
        vocab = Vocabulary(model.cfg.vocab)
        sample = generate(model, vocab, args.start, args.length, args.temperature,
                          torch.Generator().manual_seed(args.seed))
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(args.start + sample.text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
