#!/usr/bin/env bash
# Run the whole suite on every supported Python found on this machine (3.10 to 3.13), each in its
# own .venv-3.X. Not part of .ci/run (CI machines may have one Python); run it before a release.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for v in 3.10 3.11 3.12 3.13; do
  py="$(command -v "python$v" || true)"
  if [ -z "$py" ]; then echo "python$v: not installed, skipped"; continue; fi
  venv=".venv-$v"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]" >/dev/null 2>&1
  printf 'python%s: ' "$v"
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider -o addopts="" "$@" | tail -1; then :; else status=1; fi
done
exit $status
