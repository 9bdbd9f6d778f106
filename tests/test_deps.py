"""dvc.yaml cannot drift from the code: it is generated, and every declaration is checked against
what the code does.

- dvc.yaml is exactly what ``python -m seqlab.tools.pipeline`` writes from the studies' stages.yaml
  and their steps' ``reads``;
- every stage's deps under src/ are exactly the import closure of the module its command runs
  (seqlab.tools.imports): every file it runs is declared, itself or through a directory, and
  nothing it never runs is, so an edit re-runs only the stages that import it;
- every stage's params are exactly the keys its step reads through its schema, both ways: each
  key it reads is declared, each declared key is read, a declared section is read whole, and
  the run's settings (compute.workers, mlflow.tracking_uri) are declared by none;
- figures never import training code, training never imports plotting code, and only the
  aggregating stages read the study registry.
"""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path

import pytest

from conftest import ROOT
from seqlab.tools.imports import closure as _closure
from seqlab.tools.imports import runs_no_code as _runs_no_code
from seqlab.tools.pipeline import leaves


def closure(entry: str) -> set[Path]:
    """The files ``python -m <entry>`` runs, relative to the repository root."""
    return {p.relative_to(ROOT) for p in _closure(entry, ROOT / "src")}


def runs_no_code(path: Path) -> bool:
    return _runs_no_code(ROOT / path)


def entry_module(cmd: str) -> str:
    words = shlex.split(cmd)
    if words[:3] != ["PYTHONPATH=src", "python", "-m"] or not words[3].startswith("seqlab"):
        raise AssertionError(f"command {cmd!r} does not run a seqlab module from its own tree "
                             "(PYTHONPATH=src python -m seqlab...)")
    return words[3]


def problems(name: str, cmd: str, deps: list[str]) -> list[str]:
    """What is wrong with one stage's declared code deps, one line each (empty: nothing)."""
    imported = closure(entry_module(cmd))
    declared = [Path(d) for d in deps if d.startswith("src/")]
    files = {d for d in declared if (ROOT / d).is_file()}
    dirs = {d for d in declared if (ROOT / d).is_dir()}

    def covered(path: Path) -> bool:
        return path in files or any(d in path.parents for d in dirs)

    out = [f"{name}: imports {p} but does not depend on it" for p in sorted(imported)
           if not covered(p) and not runs_no_code(p)]
    out += [f"{name}: depends on {d}, which it never imports" for d in sorted(files - imported)]
    for d in sorted(dirs):
        unused = sorted(p.relative_to(ROOT) for p in (ROOT / d).rglob("*.py") if p.relative_to(ROOT) not in imported)
        if unused:
            out.append(f"{name}: depends on the directory {d}, but never imports {', '.join(map(str, unused))}: "
                       f"declare the files it imports instead")
    out += [f"{name}: depends on {d}, which does not exist" for d in declared if not (ROOT / d).exists()]
    return out


@pytest.fixture(scope="module")
def stages() -> dict[str, tuple[str, list[str]]]:
    """Every stage as DVC resolves dvc.yaml: name -> (command, deps)."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return {s.addressing: (s.cmd, [str(Path(d.def_path)) for d in s.deps if not isinstance(d, ParamsDependency)])
                for s in repo.index.stages}


@pytest.fixture(scope="module")
def declared_params() -> dict[str, list[str]]:
    """Every stage's params deps as DVC resolves dvc.yaml: name -> keys."""
    from dvc.dependency.param import ParamsDependency
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return {s.addressing: [k for d in s.deps if isinstance(d, ParamsDependency) for k in d.params]
                for s in repo.index.stages}


def test_dvc_yaml_is_what_the_generator_writes(monkeypatch):
    from seqlab.tools import pipeline

    monkeypatch.chdir(ROOT)
    assert pipeline.generate() == (ROOT / "dvc.yaml").read_text(), \
        "dvc.yaml is stale or edited by hand: run python -m seqlab.tools.pipeline"


def test_every_stage_declares_exactly_the_code_it_imports(stages):
    found = [line for name, (cmd, deps) in sorted(stages.items()) for line in problems(name, cmd, deps)]
    assert not found, "\n".join(found)


def test_the_walk_sees_every_kind_of_import():
    """Function-level imports, parent packages, a package's __main__, and the registry's imports by name."""
    report = closure("seqlab.report")
    assert Path("src/seqlab/report/__main__.py") in report and Path("src/seqlab/report/build.py") in report
    for study in ("palindrome", "mnist"):  # reached only through the registry's list
        assert Path(f"src/seqlab/studies/{study}/report.py") in report
    train = closure("seqlab.studies.recall.steps")
    assert Path("src/seqlab/studies/recall/__init__.py") in train and Path("src/seqlab/core/errors.py") in train


def test_code_deps_are_directories_only_where_every_file_runs(tmp_path):
    from seqlab.tools.imports import code_deps

    pkg = tmp_path / "src" / "seqlab"
    for rel, text in {"__init__.py": '"""doc"""', "a/__init__.py": '"""doc"""', "a/x.py": "from seqlab.a import y",
                      "a/y.py": "", "b/__init__.py": '"""doc"""', "b/z.py": "", "b/w.py": "",
                      "main.py": "import seqlab.a.x\nfrom seqlab.b import z"}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    src = tmp_path / "src"
    deps = code_deps("seqlab.main", src)
    assert deps == [str(src / "seqlab/a"), str(src / "seqlab/b/z.py"), str(src / "seqlab/main.py")]


AGGREGATORS = ("claims", "report")  # the stages that read every registered study


def test_no_training_stage_runs_plotting_code_and_only_the_aggregators_read_the_registry(stages):
    """So a figure can change without re-training anything, and registering a new study re-runs
    no other study's stages."""
    for name, (cmd, _) in stages.items():
        code = {p.as_posix() for p in closure(entry_module(cmd))}
        if not name.endswith("_figures") and name not in AGGREGATORS:
            assert not any(p.endswith(("figures.py", "/viz.py")) or "/present/" in p for p in code), name
        assert ("src/seqlab/studies/registry.py" in code) == (name in AGGREGATORS), name


def test_no_figures_stage_runs_training_code(stages):
    """The reverse: drawing never depends on the training loop, run records, seeding or a study's
    steps, so an edit to them redraws nothing."""
    for name, (cmd, _) in stages.items():
        if name.split("@")[0].endswith("_figures"):
            code = {p.as_posix() for p in closure(entry_module(cmd))}
            bad = sorted(p for p in code if "/training/" in p or p.endswith(("/steps.py", "/update.py")))
            assert not bad, f"{name} imports training code: {bad}"


def _step_of(cmd: str):
    """The Step a stage command runs, its arguments, and its schema."""
    from seqlab.tools.pipeline import module_and_step

    module, step, args = module_and_step(cmd.removeprefix("PYTHONPATH=src "), cmd)
    mod = importlib.import_module(module)
    steps = mod.STEPS
    step = step or next(iter(steps))
    # its package's params schema, unless the module names its own (SCHEMA)
    schema = getattr(mod, "SCHEMA", None) or importlib.import_module(module.rsplit(".", 1)[0] + ".params").parse.schema
    return steps[step], args, schema


def params_problems(name: str, declared: list[str], reads: tuple[str, ...], read: set[str], leaves: set[str]) -> list[str]:
    """What is wrong with one stage's params deps, given the step's declared ``reads``, the leaf keys
    a read of them recorded, and every leaf key of params.yaml (empty: nothing)."""
    from seqlab.core.schema import RUNTIME_KEYS

    def under(key: str, d: str) -> bool:
        return key == d or key.startswith(d + ".")

    out = []
    if sorted(declared) != sorted(reads):
        out.append(f"{name}: dvc.yaml declares {sorted(declared)}, its step reads {sorted(reads)}: regenerate dvc.yaml")
    out += [f"{name}: reads {k}, which it does not declare" for k in sorted(read) if not any(under(k, d) for d in declared)]
    for d in declared:
        got = {k for k in read if under(k, d)}
        if not got:
            out.append(f"{name}: declares {d}, which it never reads")
        elif {k for k in leaves if under(k, d)} - got:
            out.append(f"{name}: declares the section {d} but reads only {', '.join(sorted(got))}: declare those")
    out += [f"{name}: declares the run setting {k}, which no result depends on" for k in declared
            if any(under(k, r) or under(r, k) for r in RUNTIME_KEYS)]
    return out


def test_every_stage_declares_exactly_the_params_it_reads(stages, declared_params):
    """Both ways, for every stage but the aggregators (which read every study's sections whole,
    and are checked below): the recorded reads of the step's own reader against dvc.yaml."""
    from seqlab.core import schema
    from seqlab.core.params import read_params

    raw = read_params(ROOT / "params.yaml")
    all_keys = leaves(raw)
    found = []
    for name, (cmd, _) in sorted(stages.items()):
        if name in AGGREGATORS:
            continue
        step, args, root = _step_of(cmd)
        keys = step.keys(**args)
        with schema.recording() as read:
            schema.read(root, raw, only=keys)
        found += params_problems(name, declared_params[name], keys, read, all_keys)
    assert not found, "\n".join(found)


def test_the_aggregators_declare_every_section_the_registry_reads_and_no_run_setting(declared_params):
    from seqlab.core import schema
    from seqlab.core.params import read_params
    from seqlab.studies.registry import parse_all

    raw = read_params(ROOT / "params.yaml")
    with schema.recording() as read:
        parse_all(raw)
    for name in AGGREGATORS:
        found = params_problems(name, declared_params[name], tuple(declared_params[name]), read, leaves(raw))
        assert not found, "\n".join(found)


def test_a_params_mismatch_is_named():
    leaves = {"s.train.lr", "s.train.steps", "s.report.examples", "compute.workers"}
    read = {"s.train.lr", "s.train.steps"}
    assert params_problems("x", ["s.train"], ("s.train",), read, leaves) == []
    assert params_problems("x", ["s.train", "s.report"], ("s.train", "s.report"), read, leaves) == [
        "x: declares s.report, which it never reads"]
    assert params_problems("x", ["s"], ("s",), read, leaves) == [
        "x: declares the section s but reads only s.train.lr, s.train.steps: declare those"]
    assert params_problems("x", ["s.train.lr"], ("s.train.lr",), read, leaves) == [
        "x: reads s.train.steps, which it does not declare"]
    assert params_problems("x", ["s.train", "compute.workers"], ("s.train", "compute.workers"),
                           read | {"compute.workers"}, leaves)[-1] == (
        "x: declares the run setting compute.workers, which no result depends on")
    assert params_problems("x", ["s.train"], ("s.train", "s.report"), read, leaves)[0].startswith(
        "x: dvc.yaml declares ['s.train'], its step reads ['s.report', 's.train']")


# Keys that only evaluation, figures or the run's bookkeeping read: changing one re-runs no training.
NOT_TRAINING = ("recall.report.examples", "sweep.evaluate.target_acc", "compute.workers", "mlflow.tracking_uri")


@pytest.mark.parametrize("key", NOT_TRAINING)
def test_a_key_that_training_never_reads_is_no_training_stages_dep(declared_params, key):
    """The static half; tests/test_pipeline.py shows `dvc status` on a real run agrees."""
    hit = [name for name, keys in declared_params.items() if "_train" in name and any(
        key == k or key.startswith(k + ".") for k in keys)]
    assert not hit, f"{key} is a params dep of {hit}"


def test_every_stage_but_the_report_declares_its_provenance():
    """The stage CLI writes reports/provenance/<stage>.json under DVC; DVC must know it as the
    stage's output, or a re-run would leave a stale one (and the report reads them all)."""
    from dvc.repo import Repo

    from seqlab.core import paths

    with Repo(str(ROOT)) as repo:
        for stage in repo.index.stages:
            outs = {str(Path(o.def_path)) for o in stage.outs}
            wanted = str(paths.provenance(stage.addressing))
            assert (wanted in outs) == (stage.addressing != "report"), stage.addressing


def test_a_missing_or_extra_dep_is_named(stages):
    cmd, deps = stages["recall_train"]
    dropped = [d for d in deps if d != "src/seqlab/tasks/recall.py"]
    assert problems("recall_train", cmd, dropped) == [
        "recall_train: imports src/seqlab/tasks/recall.py but does not depend on it"]
    assert problems("recall_train", cmd, [*deps, "src/seqlab/present/viz.py"]) == [
        "recall_train: depends on src/seqlab/present/viz.py, which it never imports"]
    assert problems("recall_train", cmd, [*deps, "src/seqlab/models"])[0].startswith(
        "recall_train: depends on the directory src/seqlab/models, but never imports")


def data_dep_problems(deps: dict[str, list[str]], cached_outs: set[str], tracked: set[str]) -> list[str]:
    """A data dep that is a folder above cached outputs must hold nothing git tracks.

    Git keeps such a folder's .gitignore (DVC writes one beside each cached output), so on a clone
    without the DVC cache the folder exists, with only what git tracks in it: ``dvc status`` then
    calls it *modified*, a changed dep, where an output dep itself is merely *deleted*."""
    outs = {Path(o) for o in cached_outs}
    files = [Path(t) for t in tracked]
    found = []
    for name, paths_ in sorted(deps.items()):
        for dep in map(Path, paths_):
            inside = sorted(str(o) for o in outs if dep in o.parents)
            kept = sorted(str(f) for f in files if dep in f.parents)
            if inside and kept:
                found.append(f"{name}: depends on the folder {dep}, which holds the cached outputs "
                             f"{', '.join(inside)} and the git-tracked {', '.join(kept)}: depend on the outputs")
    return found


def test_no_data_dep_looks_changed_on_a_clone_without_the_cache(stages):
    import subprocess

    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        cached = {str(Path(o.def_path)) for s in repo.index.stages for o in s.outs if o.use_cache}
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
                  .stdout.splitlines())
    found = data_dep_problems({name: deps for name, (_, deps) in stages.items()}, cached, tracked)
    assert not found, "\n".join(found)


def test_a_folder_of_cached_outputs_with_tracked_files_is_named():
    cached = {"models/x/a", "models/x/b", "models/y/a"}
    tracked = {"models/x/.gitignore", "models/.gitignore"}
    deps = {"plot": ["src/seqlab/present/viz.py", "models/x/a", "models/y"]}  # models/y: nothing tracked inside
    assert data_dep_problems(deps, cached, tracked) == []
    assert data_dep_problems({"plot": ["models/x"]}, cached, tracked) == [
        "plot: depends on the folder models/x, which holds the cached outputs models/x/a, models/x/b and the "
        "git-tracked models/x/.gitignore: depend on the outputs"]
