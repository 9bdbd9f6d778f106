"""DVC code deps that cannot drift: each stage declares exactly the seqlab code it imports.

For every stage of dvc.yaml, as DVC resolves it (foreach expanded), this walks the transitive
``seqlab`` imports of the module its command runs (``python -m seqlab....``): every import
statement in every file reached, function-level ones included, plus the parent packages each
import executes, plus what a module imports by name (``IMPORTS_BY_NAME``, the study registry's
list). Then it checks the stage's deps under src/ against that closure:

- every file in the closure is declared, itself or through a declared directory; otherwise a
  change to that file would leave DVC's cache claiming results the new code would not produce;
- every declared file is in the closure, and a declared directory is imported whole: nothing is
  declared that the stage does not run, so an edit re-runs only the stages that import it.

A package ``__init__.py`` that holds nothing but a docstring runs no code and needs no
declaration; once it holds code, the walk requires it like any other file.
"""

from __future__ import annotations

import ast
import importlib
import shlex
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import ROOT

SRC = ROOT / "src"


def module_file(name: str) -> Path | None:
    """The file that defines module ``name`` (a package's __init__.py), or None if it is not ours."""
    base = SRC.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


@lru_cache(maxsize=None)
def direct_imports(name: str) -> frozenset[str]:
    """The seqlab modules that module ``name`` imports anywhere in its file, parent packages included."""
    path = module_file(name)
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package(name, path).split(".")
                base = ".".join(anchor[: len(anchor) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}")}
        elif (isinstance(node, ast.Assign) and node in tree.body
              and any(isinstance(t, ast.Name) and t.id == "IMPORTS_BY_NAME" for t in node.targets)):
            found |= set(importlib.import_module(name).IMPORTS_BY_NAME)
    ours = {m for m in found if m.split(".")[0] == "seqlab" and module_file(m)}
    parents = {".".join(m.split(".")[:i]) for m in ours for i in range(1, m.count(".") + 1)}
    return frozenset(ours | parents)


def closure(entry: str) -> set[Path]:
    """Every file of ours that ``python -m <entry>`` executes."""
    start = {entry, *(".".join(entry.split(".")[:i]) for i in range(1, entry.count(".") + 1))}
    if module_file(entry).name == "__init__.py":  # a package runs its __main__.py
        start.add(f"{entry}.__main__")
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name not in seen and module_file(name):
            seen.add(name)
            todo.extend(direct_imports(name))
    return {module_file(name).relative_to(ROOT) for name in seen}


def runs_no_code(path: Path) -> bool:
    """A package __init__.py holding only its docstring."""
    body = ast.parse((ROOT / path).read_text()).body
    return path.name == "__init__.py" and all(
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str) for n in body)


def entry_module(cmd: str) -> str:
    words = shlex.split(cmd)
    if words[:2] != ["python", "-m"] or not words[2].startswith("seqlab"):
        raise AssertionError(f"command {cmd!r} does not run a seqlab module (python -m seqlab...)")
    return words[2]


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
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return {s.addressing: (s.cmd, [str(Path(d.def_path)) for d in s.deps]) for s in repo.index.stages}


def test_every_stage_declares_exactly_the_code_it_imports(stages):
    found = [line for name, (cmd, deps) in sorted(stages.items()) for line in problems(name, cmd, deps)]
    assert not found, "\n".join(found)


def test_the_walk_sees_every_kind_of_import():
    """Function-level imports, parent packages, a package's __main__, and the registry's imports by name."""
    report = closure("seqlab.report")
    assert Path("src/seqlab/report/__main__.py") in report
    for study in ("palindrome", "mnist"):  # reached only through the registry's list
        assert Path(f"src/seqlab/studies/{study}/report.py") in report
    train = closure("seqlab.studies.recall.steps")
    assert Path("src/seqlab/studies/recall/__init__.py") in train and Path("src/seqlab/core/errors.py") in train


AGGREGATORS = ("claims", "report")  # the stages that read every registered study


def test_no_training_stage_runs_plotting_code_and_only_the_aggregators_read_the_registry(stages):
    """So a figure can change without re-training anything, and registering a new study re-runs
    no other study's stages."""
    for name, (cmd, _) in stages.items():
        code = {p.as_posix() for p in closure(entry_module(cmd))}
        if not name.endswith("_figures") and name not in AGGREGATORS:
            assert not any(p.endswith(("figures.py", "/viz.py")) for p in code), name
        assert ("src/seqlab/studies/registry.py" in code) == (name in AGGREGATORS), name


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
    assert problems("recall_train", cmd, [*deps, "src/seqlab/viz.py"]) == [
        "recall_train: depends on src/seqlab/viz.py, which it never imports"]
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
    deps = {"plot": ["src/seqlab/viz.py", "models/x/a", "models/y"]}  # models/y: nothing tracked inside
    assert data_dep_problems(deps, cached, tracked) == []
    assert data_dep_problems({"plot": ["models/x"]}, cached, tracked) == [
        "plot: depends on the folder models/x, which holds the cached outputs models/x/a, models/x/b and the "
        "git-tracked models/x/.gitignore: depend on the outputs"]
