#!/usr/bin/env bash
# Sets everything up, then runs every check: lint (ruff, mypy, robocop) and all tests
# (unit, integration, browser and Robot Framework acceptance suites, through pytest), in parallel
# workers (pytest-xdist), and prints how long it took. Extra arguments go to pytest
# (e.g. `scripts/test.sh tests/unit -k split`, `scripts/test.sh -n 0` for one process).
#
#   scripts/test.sh --fast [pytest arguments]
#       the inner loop: the domain and unit tests (tests/unit) without the `slow` ones, no setup
#       and no lint.
#
# TEST_WORKERS sets the number of workers (default: three times the cores, at least 4: the browser
# and server tests mostly wait for a page, a subprocess or a client's timeout; with twice the cores
# the two cores of a test machine were busy about half of the time). The modules kept on one worker
# (`xdist_group`: their module-scoped fixtures are costly) and those with slow tests start first;
# every other test is handed out alone; tests/conftest.py says how.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
cores=$(nproc 2>/dev/null || echo 2)
workers=${TEST_WORKERS:-$((cores * 3 > 4 ? cores * 3 : 4))}
distribute=(--dist loadgroup --no-loadscope-reorder)

if [ "${1:-}" = "--fast" ]; then
  shift
  exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-$cores}" "${distribute[@]}" -m "not slow" tests/unit "$@"
fi

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "setup done after $((SECONDS - started)) s"

echo "== lint"
ruff check .
ruff format --check .
mypy libraries swedish_rules payout_system console webcommon
robocop check tasks resources tests/acceptance
echo "lint done after $((SECONDS - started)) s"

echo "== tests ($workers workers)"
status=0
python -m pytest -n "$workers" "${distribute[@]}" --durations=30 "$@" || status=$?
echo "== all checks took $((SECONDS - started)) s"
exit "$status"
