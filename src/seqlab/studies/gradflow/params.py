"""The gradient-flow study's section of params.yaml (``gradflow``), checked against the sweep keys
it measures (``sweep.models``, ``sweep.T``, ``sweep.train.seeds``, ``sweep.evaluate.target_acc``),
which it reads through the sweep's own schema (seqlab.core.schema)."""

from __future__ import annotations

from dataclasses import dataclass

from seqlab.core.errors import ParamsError
from seqlab.core.params import int_list, integer
from seqlab.core.schema import Runtime, param, parser, part, settings
from seqlab.studies.sweep.params import Sweep


@dataclass(frozen=True)
class Gradflow:
    T: tuple[int, ...] = param(int_list, 2, "lengths to measure, each one of sweep.T")
    seed: int = param(integer, 0)  # which sweep run (and its initial weights)
    batch_size: int = param(integer, 1)  # a fixed batch: the first palindromes of the sweep's test split


@dataclass(frozen=True)
class GradflowParams:
    gradflow: Gradflow = part(Gradflow)
    # The sweep's models (every one is measured), its lengths and seeds (what it trained), and its
    # bar for a solved task (whether the measured run solved it).
    sweep: Sweep = part(Sweep)
    runtime: Runtime = settings()

    def check(self, key: str) -> None:
        self.check_against_sweep()

    def check_against_sweep(self) -> None:
        """Each length measured is one the sweep trained, and the seed one of its seeds: run on a
        full read, and by the measure step (which reads these keys, not the whole sweep section)."""
        g, sweep = self.gradflow, self.sweep
        missing = [v for v in g.T if v not in sweep.T]
        if missing:
            raise ParamsError(f"params.yaml: 'gradflow.T' has {missing}, not in 'sweep.T' {list(sweep.T)}: "
                              f"the trained models come from the sweep")
        if g.seed not in sweep.train.seeds:
            raise ParamsError(f"params.yaml: 'gradflow.seed' is {g.seed}; allowed values: the sweep's seeds "
                              f"{list(sweep.train.seeds)} ('sweep.train.seeds')")


parse = parser(GradflowParams)
