#!/usr/bin/env bash
# Sets up everything the robot and its tests need on a Debian/Ubuntu machine:
# Chromium, its headless shell and chromedriver (Debian packages), a Python virtual environment in .venv,
# the pinned Python dependencies from requirements.txt and axe-core (npm, package-lock.json) for the
# browser tests' accessibility checks. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

apt_packages=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || apt_packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_packages+=(chromium-driver)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
python_bin=${PYTHON:-python3}
"$python_bin" -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_packages+=(python3-venv)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: installing ${apt_packages[*]} from the operating system's packages"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
# The headless-only Chromium the robot prefers for unattended runs: much lighter per page.
# Older releases do not package it; the robot then runs full Chromium headless.
install_headless_shell() { "${sudo_cmd[@]}" apt-get install -y -qq chromium-headless-shell >/dev/null 2>&1; }
if ! command -v chromium-headless-shell >/dev/null 2>&1; then
  echo "setup: installing chromium-headless-shell from the operating system's packages"
  # A package list older than the package: refresh it once and try again.
  install_headless_shell || { "${sudo_cmd[@]}" apt-get update -qq && install_headless_shell; } \
    || echo "setup: chromium-headless-shell is not available here; headless runs use chromium"
fi

"$python_bin" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: Python 3.11 or newer is needed, found {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python_bin" -m venv .venv
fi

# pip and setuptools come into a new venv from Python's own bundle (setuptools 65.5.0 with
# Python 3.11), with known CVEs that newer releases fix: setuptools before 78.1.1
# (CVE-2022-40897, CVE-2024-6345, CVE-2025-47273) and pip before 25.3 (CVE-2023-5752,
# CVE-2025-8869). Checked at every setup, so an existing .venv is upgraded too.
if ! .venv/bin/python - <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

def at_least(name: str, wanted: tuple[int, ...]) -> bool:
    try:
        found = tuple(int(part) for part in version(name).split(".")[:3] if part.isdigit())
    except PackageNotFoundError:
        return True  # not installed: nothing vulnerable either
    return found >= wanted

sys.exit(0 if at_least("pip", (25, 3)) and at_least("setuptools", (78, 1, 1)) else 1)
PY
then
  echo "setup: upgrading pip and setuptools (known vulnerabilities in the venv's bundled versions)"
  .venv/bin/python -m pip install --quiet --upgrade "pip>=25.3" "setuptools>=78.1.1"
fi

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "setup: installing Python dependencies (requirements.txt)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$wanted" > "$stamp"
fi
# The robot's own code (libraries/, the stand-in, swedish_rules) is importable from the venv,
# as robot.yaml's PYTHONPATH makes it under rcc.
site_packages=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n%s\n' "$PWD" "$PWD/libraries" > "$site_packages/split-payout-robot.pth"

# axe-core for the browser tests' accessibility checks (WCAG 2.1 AA), pinned in package-lock.json;
# the tests read node_modules/axe-core/axe.min.js and fetch nothing at run time.
npm_stamp=node_modules/.package-lock.sha256
npm_wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_wanted" ]; then
  echo "setup: installing axe-core for the browser tests (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_wanted" > "$npm_stamp"
fi

browser=chromium
command -v chromium-headless-shell >/dev/null 2>&1 && browser=chromium-headless-shell
echo "setup: ready ($(.venv/bin/python --version), $(chromedriver --version | cut -d' ' -f1-2), headless runs use $browser)"
