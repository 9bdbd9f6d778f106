"""What every stage script shares: load and validate params first, then fail cleanly."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, TypeVar

from seqlab.errors import DataError, ParamsError
from seqlab.params import load_params

P = TypeVar("P")


def run_stage(description: str, parse: Callable[[dict], P], body: Callable[[P, argparse.Namespace], None],
              add_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Parse arguments, validate params.yaml with the study's ``parse``, run ``body``.

    A bad input exits 2 with one clear line.

    Validation happens before ``body`` runs, so a bad value writes nothing.
    """
    parser = argparse.ArgumentParser(description=description)
    if add_args:
        add_args(parser)
    args = parser.parse_args()
    try:
        params = load_params(parse)
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    try:
        body(params, args)
    except (ParamsError, DataError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
