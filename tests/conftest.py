"""Settings for every test.

The suite runs in parallel (pytest-xdist: ``scripts/test.sh`` starts several workers, each its own
process, taking tests in any order). A new test must therefore be parallel-safe:

- listen only on a free port (``tests.support.payout_server.free_port``, ``running_payout_system``,
  ``tests.support.smtp_server``), never a fixed one;
- write only under ``tmp_path`` / ``tmp_path_factory`` (never ``output/``, ``state/`` or another
  folder of the repository, except a path of its own under ``output/`` named after the test);
- change environment variables, the working folder and module attributes only through
  ``monkeypatch``, and give subprocesses their own ``env=`` (``tests.support.robot_env``);
- assume no order and no other test: a session- or module-scoped fixture is built once in every
  worker that runs a test using it (so several times in a run), never shared between workers;
  a module whose module-scoped fixture is costly (a robot run, a browser) keeps its tests on one
  worker with ``pytestmark = pytest.mark.xdist_group("<module>")``;
- wait for a new state, never for time (no fixed sleeps, no wall-clock limits, no hypothesis deadline).

A test of more than a few seconds is marked ``slow``; ``scripts/test.sh --fast`` leaves those out.

How the workers share the tests (``scripts/test.sh``: ``--dist loadgroup --no-loadscope-reorder``):
the modules kept on one worker (``xdist_group``) come first, then the modules with ``slow`` tests,
so that the longest shares start at once and the many short tests fill the workers at the end;
every test is handed out alone, except a module's ``xdist_group``, which goes to one worker whole.

Every test's robot runs are a production installation's with a ledger key of their own
(``ROBOT_ENV`` defaults to production; ``splitpayout.adapters.ledger_key``): the key is set here, in this
process's environment (each worker's), so the runs the tests start in subprocesses inherit it. A test
of what happens without a key removes it itself (through ``monkeypatch``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

TEST_LEDGER_KEY = "test-ledger-key-Wq7Zp2Kx9Lm4Tc8Rb3Nv6Hs1Jd5Gf0Ae"

os.environ.setdefault("LEDGER_FINGERPRINT_KEY", TEST_LEDGER_KEY)

# A generated example's speed says nothing of its correctness: on a loaded machine (parallel workers,
# one core) the default 200 ms deadline would fail tests that are right.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The ``xdist_group`` modules first (each runs whole on one worker: the longest shares), then
    the modules with ``slow`` tests, then the rest (a stable sort: the same order in every worker,
    each module's tests still together); under ``--dist loadgroup``, each test of an
    ``xdist_group`` named by its group."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(
        key=lambda item: (item.get_closest_marker("xdist_group") is None, item.path not in slow_modules)
    )
    if getattr(config.option, "loadgroup", False):  # set in the workers of --dist loadgroup
        for item in items:
            _name_group(item)


def _name_group(item: pytest.Item) -> None:
    """Add ``@<group>`` to the test's id, as pytest-xdist 3.8 does, for pytest 9.2 too: xdist sets
    ``item._nodeid``, which pytest 9.2 no longer reads (its id is ``item._id``)."""
    groups = {
        str(m.args[0] if m.args else m.kwargs.get("name", "default"))
        for m in item.iter_markers("xdist_group")
    }
    suffix = "@" + "_".join(sorted(groups))
    node_id = getattr(item, "_id", None)
    if groups and node_id is not None and not item.nodeid.endswith(suffix):
        item._id = type(node_id).parse(item.nodeid + suffix)
