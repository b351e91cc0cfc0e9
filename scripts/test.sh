#!/usr/bin/env bash
# Quick start, command two: set everything up on a fresh machine and run the whole test suite.
# Creates .venv (if missing), installs eclictl with its test extras, runs pytest (unit, section,
# contract and end-to-end tests against the built-in sandbox panel). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
exec .venv/bin/python -m pytest "$@"
