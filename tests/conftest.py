"""Every test's robot runs are a production installation's with a ledger key of their own
(``ROBOT_ENV`` defaults to production; ``splitpayout.ledger_key``): the key is set here, in this
process's environment, so the runs the tests start in subprocesses inherit it. A test of what
happens without a key removes it itself."""

from __future__ import annotations

import os

TEST_LEDGER_KEY = "test-ledger-key-Wq7Zp2Kx9Lm4Tc8Rb3Nv6Hs1Jd5Gf0Ae"

os.environ.setdefault("LEDGER_FINGERPRINT_KEY", TEST_LEDGER_KEY)
