"""The stage CLI every study's steps share: validate params.yaml first, then run one step.

A study's ``steps.py`` (and ``figures.py``) ends with::

    STEPS = {"train": Step(train, reads=("recall.data", "recall.train")), ...}

    if __name__ == "__main__":
        run_stage(__doc__, RecallParams, STEPS, experiment="recall")

and dvc.yaml runs it as ``python -m seqlab.studies.recall.steps train``. The step is handed
only the keys it declares (seqlab.core.schema): they are its DVC params deps too, generated
from the same ``reads``. A bad input exits 2 with one clear line; validation happens before the
step runs, so a bad value writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Callable

from seqlab.core import provenance, schema
from seqlab.core.errors import DataError, ParamsError
from seqlab.core.params import read_params
from seqlab.core.tracking import Tracker


@dataclass(frozen=True)
class Step:
    """One stage's work: ``fn(params, tracker, **args)``, and the params keys it reads.

    ``reads`` are dotted keys of params.yaml, whole sections or single keys; ``{model}`` stands
    for the stage's ``--model`` argument (a foreach stage's item). The step is handed exactly
    these (every other field is :class:`seqlab.core.schema.Unread`), and they are the stage's
    params deps in dvc.yaml (python -m seqlab.tools.pipeline writes them from here).
    """

    fn: Callable[..., object]
    reads: tuple[str, ...]

    def keys(self, **args: object) -> tuple[str, ...]:
        return tuple(key.format(**args) for key in self.reads)


def parser_for(params_schema, step, args: dict) -> Callable[[dict], object]:
    """The params reader of one step: its declared keys of a schema, or a plain ``parse`` function
    (the aggregating stages, which read every study's sections)."""
    if isinstance(step, Step):
        return lambda raw: schema.read(params_schema, raw, only=step.keys(**args))
    return params_schema


def run_stage(description: str, params_schema, steps: dict[str, Step | Callable[..., object]],
              experiment: str | None = None,
              add_args: Callable[[argparse.ArgumentParser], None] | None = None, record: bool = True) -> None:
    """Parse the command line, validate params.yaml with ``parse``, run the chosen step.

    Args:
        description: the --help text (the module's docstring).
        params_schema: the study's params schema (a dataclass of seqlab.core.schema), or a plain
            ``parse(raw)`` for a stage that reads everything it is given.
        steps: step name -> :class:`Step` (or a bare ``fn(params, tracker, **extra_args)`` with a
            plain ``parse``). With more than one step the step is the first positional argument.
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
    fn = step.fn if isinstance(step, Step) else step
    try:
        params = parser_for(params_schema, step, args)(read_params())
        tracker = Tracker(params.runtime.tracking_uri, experiment) if experiment else None
        startup = provenance.process_age()
        start = time.perf_counter()
        fn(params, tracker, **args)
        if record and provenance.stage_name():
            provenance.record(provenance.stage_name(), time.perf_counter() - start, startup)
    except (ParamsError, DataError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
