#!/usr/bin/env bash
# Sets everything up, then runs the robot's main job (Split payouts) on the bundled demo data
# against the stand-in payout system, which it starts and stops itself.
# Options: --dry-run (plan only), --fresh (empty payout system and ledger), --count N,
# --console (start the stand-in and the console instead, until Ctrl+C).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
