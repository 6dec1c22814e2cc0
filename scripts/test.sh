#!/usr/bin/env bash
# Sets everything up, then runs every check: lint (ruff, mypy, robocop) and all tests
# (unit, integration, browser and Robot Framework acceptance suites, through pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== lint"
ruff check .
ruff format --check .
mypy libraries swedish_rules payout_system console webcommon
robocop check tasks resources tests/acceptance

echo "== tests"
python -m pytest "$@"
