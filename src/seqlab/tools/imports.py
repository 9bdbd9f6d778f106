"""The seqlab code a command runs: the transitive closure of its imports, read from the source.

For ``python -m <module>`` this walks every import statement in every file reached
(function-level ones included), the parent packages each import executes, a package's
``__main__``, and what a module imports by name (a module-level ``IMPORTS_BY_NAME`` tuple: the
study registry's list). It reads files with :mod:`ast` and imports nothing but the modules that
declare ``IMPORTS_BY_NAME``. The pipeline generator writes these files as each stage's code deps,
and tests/test_deps.py checks dvc.yaml against them.
"""

from __future__ import annotations

import ast
import importlib
from functools import lru_cache
from pathlib import Path

SRC = Path("src")


def module_file(name: str, src: Path = SRC) -> Path | None:
    """The file that defines module ``name`` (a package's __init__.py), or None if it is not ours."""
    base = src.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _package(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


@lru_cache(maxsize=None)
def direct_imports(name: str, src: Path = SRC) -> frozenset[str]:
    """The seqlab modules that module ``name`` imports anywhere in its file, parent packages included."""
    path = module_file(name, src)
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
            found |= {f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}", src)}
        elif (isinstance(node, ast.Assign) and node in tree.body
              and any(isinstance(t, ast.Name) and t.id == "IMPORTS_BY_NAME" for t in node.targets)):
            found |= set(importlib.import_module(name).IMPORTS_BY_NAME)
    ours = {m for m in found if m.split(".")[0] == "seqlab" and module_file(m, src)}
    parents = {".".join(m.split(".")[:i]) for m in ours for i in range(1, m.count(".") + 1)}
    return frozenset(ours | parents)


def closure(entry: str, src: Path = SRC) -> set[Path]:
    """Every file of ours that ``python -m <entry>`` executes, as paths like src/seqlab/core/cli.py."""
    start = {entry, *(".".join(entry.split(".")[:i]) for i in range(1, entry.count(".") + 1))}
    if module_file(entry, src).name == "__init__.py":  # a package runs its __main__.py
        start.add(f"{entry}.__main__")
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name not in seen and module_file(name, src):
            seen.add(name)
            todo.extend(direct_imports(name, src))
    return {module_file(name, src) for name in seen}


def runs_no_code(path: Path) -> bool:
    """A package __init__.py holding only its docstring: importing it runs nothing of ours."""
    body = ast.parse(path.read_text()).body
    return path.name == "__init__.py" and all(
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str) for n in body)


def code_deps(entry: str, src: Path = SRC) -> list[str]:
    """The deps that cover exactly the code ``python -m <entry>`` runs: a directory where every
    .py file below it runs, the files otherwise; docstring-only package files left out."""
    files = {p for p in closure(entry, src) if not runs_no_code(p)}
    deps: list[Path] = []

    def whole(d: Path) -> bool:
        return all(p in files or runs_no_code(p) for p in d.rglob("*.py"))

    for path in sorted(files):
        # the highest directory below src/seqlab whose every file runs
        top = next((d for d in reversed(path.parents[:-1]) if d != src and d != src / "seqlab" and
                    src / "seqlab" in d.parents and whole(d)), None)
        dep = top if top is not None else path
        if not any(dep == d or d in dep.parents for d in deps):
            deps.append(dep)
    return sorted(str(d) for d in deps)
