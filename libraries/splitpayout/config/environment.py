"""The one reader of the process environment: a snapshot for the configuration, and the
environment a child run is started with.

Nothing else in the robot reads ``os.environ``: the configuration (``splitpayout.config``)
is built from :func:`environment`, and the runs the robot starts (the inbox's runs, the
parallel workers) get :func:`child_environment`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


def environment() -> dict[str, str]:
    """A copy of this process's environment variables."""
    return dict(os.environ)


def child_environment(changes: Mapping[str, str], without: Iterable[str] = ()) -> dict[str, str]:
    """This process's environment with ``changes`` set and the variables ``without`` removed:
    what a run started by this one inherits."""
    env = environment()
    for name in without:
        env.pop(name, None)
    env.update(changes)
    return env


def python_path(*first: str) -> str:
    """``PYTHONPATH`` for a child run: the folders ``first``, then this process's, each once."""
    paths = [*first, *environment().get("PYTHONPATH", "").split(os.pathsep)]
    return os.pathsep.join(dict.fromkeys(path for path in paths if path))
