"""The layers of ``splitpayout`` as docs/architecture.md draws them, checked on the imports.

``domain`` -> ``config`` -> ``adapters`` -> ``jobs`` -> ``runner``: a module imports only from its
own layer and those before it, the domain nothing that does I/O or belongs to the web apps, and
every name from the module that defines it (no package gathers names of its modules).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "libraries" / "splitpayout"
LAYERS = ("domain", "config", "adapters", "jobs", "runner")
# What the domain may not import: I/O, Robot Framework, the web apps' plumbing.
NOT_IN_DOMAIN = ("webcommon", "robot", "RPA", "openpyxl", "lxml", "sqlite3", "structlog", "selenium")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "splitpayout" and len(parts) > 1 and parts[1] in LAYERS else None


MODULES = _modules()


def test_every_module_is_in_a_layer() -> None:
    loose = [name for name, _ in MODULES if name != "splitpayout" and _layer(name) is None]
    assert loose == []
    assert {_layer(name) for name, _ in MODULES} - {None} == set(LAYERS)


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[name for name, _ in MODULES])
def test_a_module_imports_only_its_own_layer_and_those_below(module: str, path: Path) -> None:
    mine = _layer(module)
    if mine is None:
        return
    upward = [
        name
        for name in _imports(path)
        if (theirs := _layer(name)) is not None and LAYERS.index(theirs) > LAYERS.index(mine)
    ]
    assert upward == [], f"{module} imports from a later layer"
    if mine == "domain":
        outside = [name for name in _imports(path) if name.split(".")[0] in NOT_IN_DOMAIN]
        assert outside == [], f"the domain module {module} reaches I/O or web plumbing"


def test_no_package_gathers_the_names_of_its_modules() -> None:
    """One import path per name: a package's ``__init__`` imports nothing of the robot's own."""
    gathering = [
        name
        for name, path in MODULES
        if path.name == "__init__.py" and any(_layer(i) for i in _imports(path)) and _layer(name) != "config"
    ]
    assert gathering == []


def test_the_configurations_names_are_imported_from_the_configuration() -> None:
    """``splitpayout.config`` is the one face of the configuration: a name it offers is imported
    from it, never from the module behind it."""
    offered = set(importlib.import_module("splitpayout.config").__all__)
    root = PACKAGE.parents[1]
    behind = []
    for path in [*root.glob("libraries/**/*.py"), *root.glob("console/**/*.py")]:
        if path.is_relative_to(PACKAGE / "config"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("splitpayout.config."):
                behind += [f"{path.name}: {alias.name}" for alias in node.names if alias.name in offered]
    assert behind == []
