"""docs/architecture.md shows the layers as the code has them: every module of ``splitpayout`` is
named in the table of its own layer, and the page names no module that does not exist there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "libraries" / "splitpayout"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
LAYERS = ("domain", "config", "adapters", "jobs")


def _section(layer: str) -> str:
    """The text of the layer's table on the page: from its heading to the next bold heading."""
    match = re.search(rf"\*\*`splitpayout/{layer}/`\*\*(.*?)(?=\n\*\*)", DOC, re.S)
    assert match is not None, f"docs/architecture.md has no table for splitpayout/{layer}/"
    return match.group(1)


def _modules(layer: str) -> list[Path]:
    base = PACKAGE / layer
    return [p.relative_to(base) for p in sorted(base.rglob("*.py")) if p.name != "__init__.py"]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_module_of_a_layer_is_named_in_its_table(layer: str) -> None:
    section = _section(layer)
    missing = []
    for module in _modules(layer):
        if len(module.parts) == 1:
            named = f"`{module.name}`" in section
        else:  # a module of a package: the package's row names it by its stem
            named = f"`{module.parts[0]}/`" in section and f"`{module.stem}`" in section
        if not named:
            missing.append(str(module))
    assert missing == []


@pytest.mark.parametrize("layer", LAYERS)
def test_the_table_names_only_modules_that_are_there(layer: str) -> None:
    section = _section(layer)
    base = PACKAGE / layer
    named_files = re.findall(r"`([a-z_]+\.py)`", section)
    named_packages = re.findall(r"`([a-z_]+)/`", section)
    assert [name for name in named_files if not (base / name).is_file()] == []
    assert [name for name in named_packages if not (base / name).is_dir()] == []
