"""requirements.txt is the one source of truth; conda.yaml (rcc, Control Room) must pin the same."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)\s*$")


def pins(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = PIN.match(line.split("#", 1)[0].rstrip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def requirement_lines() -> list[str]:
    return (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()


def conda_pip_lines() -> list[str]:
    lines = (ROOT / "conda.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    return [line for line in lines[start + 1 :] if line.startswith("      - ")]


def test_every_requirement_is_pinned_exactly() -> None:
    entries = [line.split("#", 1)[0].strip() for line in requirement_lines() if line.split("#", 1)[0].strip()]
    assert entries, "requirements.txt lists no dependencies"
    unpinned = [entry for entry in entries if not PIN.match(entry)]
    assert unpinned == [], f"expected exact pins (name==version), found: {unpinned}"


def test_conda_yaml_pins_the_same_dependencies_as_requirements_txt() -> None:
    local = pins(requirement_lines())
    conda = pins(conda_pip_lines())
    assert conda == local, (
        f"conda.yaml and requirements.txt differ: only in requirements.txt "
        f"{sorted(set(local.items()) - set(conda.items()))}, only in conda.yaml "
        f"{sorted(set(conda.items()) - set(local.items()))}"
    )


def test_the_venv_has_no_pip_or_setuptools_with_a_known_vulnerability() -> None:
    """scripts/setup.sh upgrades what the venv got from Python's own bundle (setuptools 65.5.0)."""
    from importlib.metadata import version

    def release(name: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version(name).split(".")[:3] if part.isdigit())

    assert release("setuptools") >= (78, 1, 1)
    assert release("pip") >= (25, 3)
