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
- wait for a new state, never for time (no fixed sleeps, no wall-clock limits, no hypothesis deadline).

A test of more than a few seconds is marked ``slow``; ``scripts/test.sh --fast`` leaves those out.

Every test's robot runs are a production installation's with a ledger key of their own
(``ROBOT_ENV`` defaults to production; ``splitpayout.adapters.ledger_key``): the key is set here, in this
process's environment (each worker's), so the runs the tests start in subprocesses inherit it. A test
of what happens without a key removes it itself (through ``monkeypatch``).
"""

from __future__ import annotations

import os

from hypothesis import settings

TEST_LEDGER_KEY = "test-ledger-key-Wq7Zp2Kx9Lm4Tc8Rb3Nv6Hs1Jd5Gf0Ae"

os.environ.setdefault("LEDGER_FINGERPRINT_KEY", TEST_LEDGER_KEY)

# A generated example's speed says nothing of its correctness: on a loaded machine (parallel workers,
# one core) the default 200 ms deadline would fail tests that are right.
settings.register_profile("project", deadline=None)
settings.load_profile("project")
