"""The UvA report's palindrome claims, judged on the UvA protocol (seqlab.studies.uvapal): the
course's task, networks, init, loss bug, optimiser and metric, at the scale of uvapal.scale.

Each row's verdict is read on the ``course`` protocol's runs; its ``corrected`` field says what
the same runs give with the bug fixed. "Solved" is the study's: the first held-out evaluation
where the course's metric reaches uvapal.evaluate.target_acc (seqlab.studies.uvapal.steps).
"""

from __future__ import annotations

import statistics

from seqlab.core import paths
from seqlab.core.files import read_json
from seqlab.judging.verdicts import COURSE, FAILS, HOLDS, MIXED, NOT_COMPARABLE, Claim, Verdict, by_seed
from seqlab.studies.uvapal.network import CourseNetConfig
from seqlab.studies.uvapal.params import UvaParams

STUDY = "uvapal"
SOURCE = "uva"
COURSE_HIDDEN, COURSE_BATCH = 256, 256  # ../shared/COURSES.md §1

# "the accuracy is stable around 0.55": the course's curve before the jump
PLATEAU_LEVEL = (0.45, 0.65)
PLATEAU_STEPS = 300  # ... for at least this long
JUMP_WINDOW = (500, 2000)  # "after 1000 steps": within a factor of two
PEEPHOLE_STEPS = 1000  # "around 500 steps": within a factor of two

Q_PERFECT = "the model improves relatively quickly to perfect accuracy"
Q_PLATEAU = ("for T=20 the standard deviation increases strongly after 1000 steps. At this point, some training runs "
             "make a large jump in accuracy, whereas others fall behind. … the accuracy is stable around 0.55 when "
             "suddenly, the model improves relatively quickly to perfect accuracy.")
Q_PEEPHOLE = ("For T=20 the model converges to perfect accuracy already around 500 steps, which is significantly "
              "faster than the original LSTM model. Furthermore, the uncertainty of the accuracy values is much smaller.")
Q_FORMULA = (r"N_{\rm total} = 4 \underbrace{\left(N_{\rm hidden} \cdot N_{\rm input} + N_{\rm hidden} \cdot "
             r"N_{\rm hidden} + N_{\rm hidden}\right)}")


def deviations(res: dict, scale: str) -> tuple[str, ...]:
    """How this study's course-protocol runs depart from what the course ran."""
    out = []
    if (res["hidden"], res["batch_size"]) != (COURSE_HIDDEN, COURSE_BATCH):
        out.append(f"hidden {res['hidden']} and batch {res['batch_size']} (the course's: {COURSE_HIDDEN} and "
                   f"{COURSE_BATCH}; uvapal.scale: {scale}, `course` runs the exact scale)")
    out.append("seeds 0, 1 and 2 each seed a run's initialisation and data stream; the course's three runs all used "
               "seed 2 (its train() default, never overridden) and differed only through Python's unseeded reversal "
               "coin and GPU nondeterminism")
    if any(r["stopped_early"] for g in res["groups"] for r in g["runs"]):
        out.append(f"a run ends at the first held-out evaluation at or above {res['target_acc']:.0%} on the course's "
                   "metric (uvapal.train.stop_early); the course trained every run for all its steps")
    out.append(f"\"perfect accuracy\" read as the target {res['target_acc']:.0%} (one mistake in a batch of "
               f"{res['batch_size']} costs {1 / res['batch_size']:.1%})")
    out.append("3,000 updates; the course's loop made 3,001 (steps 0 to 3,000)")
    return tuple(out)


def _group(res: dict, protocol: str, model: str, T: int) -> dict | None:
    return next((g for g in res["groups"] if g["protocol"]["name"] == protocol and g["model"] == model
                 and g["T"] == T), None)


def _corrected(g: dict | None, criterion, *more: dict | None) -> str:
    """The same criterion on the corrected protocol's runs (the bug off, nothing else changed)."""
    if g is None or any(m is None for m in more):
        return "not run"
    v = criterion(g["runs"], *(m["runs"] for m in more))
    return f"the bug off, by the same rule: {v.verdict}; {v.evidence}"


def _not_run(what: str) -> Verdict:
    return Verdict(NOT_COMPARABLE, f"not trained in this run: {what}")


# --- the criteria, on one group's runs (tests/test_uvapal.py feeds them synthetic runs) ---------


def perfect_at(runs: list[dict]) -> Verdict:
    """Every seed solves the task (the course's metric reaches the target on held-out data)."""
    solved = [r["solved_at"] is not None for r in runs]
    return Verdict(by_seed(solved), f"{sum(solved)} of {len(solved)} seeds solve it, at steps "
                   + ", ".join("never" if r["solved_at"] is None else f"{r['solved_at']:,}" for r in runs),
                   {"solved": sum(solved), "seeds": len(solved)})


def plateau_then_jump(runs: list[dict]) -> Verdict:
    """Every seed sits near 0.55 before solving, and at least one jumps inside JUMP_WINDOW (the
    report: "some training runs make a large jump …, whereas others fall behind"). Holds if both,
    does not hold if no seed sits near 0.55 or none jumps in the window, mixed otherwise."""
    lo, hi = PLATEAU_LEVEL
    near = [r["pre_solve_median"] is not None and lo <= r["pre_solve_median"] <= hi
            and r["pre_solve_steps"] >= PLATEAU_STEPS for r in runs]
    jumped = [r["solved_at"] is not None and JUMP_WINDOW[0] <= r["solved_at"] <= JUMP_WINDOW[1] for r in runs]
    verdict = HOLDS if all(near) and any(jumped) else FAILS if not any(near) or not any(jumped) else MIXED
    per_seed = "; ".join(
        f"seed {r['seed']}: level {'-' if r['pre_solve_median'] is None else format(r['pre_solve_median'], '.2f')} "
        f"over {r['pre_solve_steps']:,} steps, solved {'never' if r['solved_at'] is None else 'at ' + format(r['solved_at'], ',')}"
        for r in runs)
    return Verdict(verdict, f"{sum(near)} of {len(runs)} seeds sit near 0.55, {sum(jumped)} jump in the window ({per_seed})",
                   {"near": sum(near), "jumped": sum(jumped), "seeds": len(runs)})


def _solve_step(r: dict, steps: int) -> int:
    return r["solved_at"] if r["solved_at"] is not None else steps + 1  # unsolved: after the last step


def converges_faster(peephole: list[dict], lstm: list[dict], steps: int) -> Verdict:
    """Three parts, as the report says them: (a) every peephole seed solves within PEEPHOLE_STEPS;
    (b) it solves before the LSTM on every seed (paired: same seed, same data stream; an unsolved
    run counts as solving after the last step); (c) its solve steps spread less over seeds (std)
    than the LSTM's. Holds if all three hold, does not hold if none does, mixed otherwise."""
    fast = [r["solved_at"] is not None and r["solved_at"] <= PEEPHOLE_STEPS for r in peephole]
    by_seed_l = {r["seed"]: _solve_step(r, steps) for r in lstm}
    before = [_solve_step(r, steps) < by_seed_l[r["seed"]] for r in peephole if r["seed"] in by_seed_l]
    sd_p = statistics.stdev([_solve_step(r, steps) for r in peephole]) if len(peephole) > 1 else 0.0
    sd_l = statistics.stdev(list(by_seed_l.values())) if len(by_seed_l) > 1 else 0.0
    parts = [all(fast), bool(before) and all(before), sd_p < sd_l]
    verdict = HOLDS if all(parts) else FAILS if not any(parts) else MIXED
    return Verdict(verdict, f"(a) peephole seeds solving within {PEEPHOLE_STEPS:,} steps: {sum(fast)} of {len(fast)}; "
                   f"(b) before the LSTM on {sum(before)} of {len(before)} seeds; (c) std of the solve steps: peephole "
                   f"{sd_p:,.0f}, LSTM {sd_l:,.0f} (unsolved counted as {steps + 1:,})",
                   {"fast": sum(fast), "before": sum(before), "std_peephole": round(sd_p, 1), "std_lstm": round(sd_l, 1)})


def formula_count(n_input: int, n_hidden: int, n_output: int) -> int:
    """Question 1.2's formula: 4(H I + H H + H) + O H + O."""
    return 4 * (n_hidden * n_input + n_hidden * n_hidden + n_hidden) + n_output * n_hidden + n_output


def counts_match(trained: int, embedding: int, n_input: int, n_hidden: int, n_output: int) -> Verdict:
    """The trained LSTM's parameters, less its embedding (which the formula leaves out), equal the formula."""
    expected, got = formula_count(n_input, n_hidden, n_output), trained - embedding
    return Verdict(HOLDS if got == expected else FAILS,
                   f"trained: {trained:,} parameters, {embedding:,} of them the embedding, so {got:,} in the cell and the "
                   f"output layer; the formula at N_input = {n_input}, N_hidden = {n_hidden}, N_output = {n_output}: "
                   f"{expected:,} (torch's nn.LSTM would have {4 * n_hidden:,} more: a second bias per gate)",
                   {"trained": got, "formula": expected})


# --- the rows -----------------------------------------------------------------------------------


def claims(p: UvaParams) -> list[Claim]:
    res = read_json(paths.study_results(STUDY))
    devs = deviations(res, p.scale)
    steps = res["steps"]
    rows = []

    def row(cid: str, quote: str, criterion: str, verdict: Verdict, corrected: str) -> None:
        rows.append(Claim(f"uvapal.{cid}", quote, SOURCE, criterion, verdict, COURSE, devs, corrected))

    g10, c10 = _group(res, "course", "lstm", 10), _group(res, "corrected", "lstm", 10)
    row("lstm_T10_perfect", Q_PERFECT,
        "The report's text says it of the LSTM at T=20; its Figure 1 shows the T=10 curve at 1.0 as well (read from the "
        "figure). Judged at T=10 on the course's protocol: every seed solves the task (the course's metric reaches "
        f"{res['target_acc']:.0%} on held-out data). Holds if every seed does, does not hold if none does.",
        perfect_at(g10["runs"]) if g10 else _not_run("the LSTM at T=10"), _corrected(c10, perfect_at))

    g20, c20 = _group(res, "course", "lstm", 20), _group(res, "corrected", "lstm", 20)
    lo, hi = PLATEAU_LEVEL
    row("lstm_plateau_then_jump", Q_PLATEAU,
        f"At T=20 on the course's metric (its training-batch accuracy at its logged steps): a seed *sits near 0.55* when "
        f"the median of its logged points before it solves the task is in [{lo}, {hi}] over at least {PLATEAU_STEPS} "
        f"steps; it *jumps after 1000 steps* when it solves the task between step {JUMP_WINDOW[0]:,} and "
        f"{JUMP_WINDOW[1]:,}. Holds if every seed sits near 0.55 and at least one jumps in the window (\"some … jump, "
        "others fall behind\"); does not hold if no seed sits near 0.55 or none jumps; mixed otherwise.",
        plateau_then_jump(g20["runs"]) if g20 else _not_run("the LSTM at T=20"), _corrected(c20, plateau_then_jump))

    pp, cp = _group(res, "course", "peephole", 20), _group(res, "corrected", "peephole", 20)
    row("peephole_converges_fast", Q_PEEPHOLE,
        f"At T=20 on the course's protocol: (a) every peephole seed solves the task within {PEEPHOLE_STEPS:,} steps "
        "(\"around 500\": within a factor of two); (b) before the LSTM of the same seed on every seed; (c) the spread "
        "(std over seeds) of its solve steps is below the LSTM's. Holds if all three hold, does not hold if none does.",
        converges_faster(pp["runs"], g20["runs"], steps) if pp and g20 else _not_run("the peephole and the LSTM at T=20"),
        _corrected(cp, lambda a, b: converges_faster(a, b, steps), c20))

    lstm = [g for g in res["groups"] if g["model"] == "lstm"]
    if lstm:
        net = CourseNetConfig("lstm", res["hidden"])
        verdict = counts_match(lstm[0]["runs"][0]["n_params"], 3 * net.embed, net.embed, net.hidden, 2)
    else:
        verdict = _not_run("the LSTM")
    row("lstm_parameter_count", Q_FORMULA,
        "Question 1.2's formula 4(N_hidden N_input + N_hidden² + N_hidden) + N_output N_hidden + N_output, at the trained "
        "LSTM's sizes (N_input = its embedding width), equals its trained parameter count less the embedding, which the "
        "formula leaves out. Holds if equal, does not hold otherwise.", verdict, "")
    return rows
