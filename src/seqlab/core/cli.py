"""The stage CLI every study's steps share: validate params.yaml first, then run one step.

A study's ``steps.py`` (and ``figures.py``) ends with::

    if __name__ == "__main__":
        run_stage(__doc__, parse, STEPS, experiment="recall")

and dvc.yaml runs it as ``python -m seqlab.studies.recall.steps train``. A bad input exits 2
with one clear line; validation happens before the step runs, so a bad value writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, TypeVar

from seqlab.core import provenance
from seqlab.core.errors import DataError, ParamsError
from seqlab.core.params import load_params
from seqlab.core.tracking import Tracker

P = TypeVar("P")


def run_stage(description: str, parse: Callable[[dict], P], steps: dict[str, Callable[..., object]],
              experiment: str | None = None,
              add_args: Callable[[argparse.ArgumentParser], None] | None = None, record: bool = True) -> None:
    """Parse the command line, validate params.yaml with ``parse``, run the chosen step.

    Args:
        description: the --help text (the module's docstring).
        parse: the study's params schema.
        steps: step name -> ``fn(params, tracker, **extra_args)``. With more than one step the
            step is the first positional argument.
        experiment: the MLflow experiment the steps record to (None: no tracking). The store
            is opened only when a step logs something, so a failing stage leaves none behind.
        add_args: adds more arguments (e.g. ``--model``); they reach the step as keywords.
        record: under DVC, write reports/provenance/<stage>.json after the step (the report,
            which reads every stage's, has none of its own).
    """
    spec = getattr(sys.modules["__main__"], "__spec__", None)  # set when run as python -m <module>
    prog = f"python -m {spec.name.removesuffix('.__main__')}" if spec else None
    parser = argparse.ArgumentParser(prog=prog, description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if len(steps) > 1:
        parser.add_argument("step", choices=list(steps))
    if add_args:
        add_args(parser)
    args = vars(parser.parse_args())
    step = steps[args.pop("step")] if len(steps) > 1 else next(iter(steps.values()))
    try:
        params = load_params(parse)
        tracker = Tracker(params.mlflow.tracking_uri, experiment) if experiment else None
        startup = provenance.process_age()
        start = time.perf_counter()
        step(params, tracker, **args)
        if record and provenance.stage_name():
            provenance.record(provenance.stage_name(), time.perf_counter() - start, startup)
    except (ParamsError, DataError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
