#!/usr/bin/env bash
# Quick start, command one: install eclictl in .venv, start the built-in demo panel, take a short tour.
# Uses a throw-away config directory, so your own profiles are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e . 
export PATH="$PWD/.venv/bin:$PATH"
export ECLICTL_CONFIG_DIR="$(mktemp -d)"
log="$ECLICTL_CONFIG_DIR/sandbox.log"
eclictl sandbox --write-profile sandbox >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$ECLICTL_CONFIG_DIR"' EXIT
for _ in $(seq 1 100); do grep -q "saved as profile" "$log" 2>/dev/null && break; sleep 0.1; done
export ECLICTL_PROFILE=sandbox
# -- output helpers (tests/test_scripts_friendly.py runs this block) --
# Bold command lines on a terminal only: a log file or a pipe gets plain text, never raw escapes.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-}" != dumb ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@" || echo "(exit $?)"; }
# -- end of output helpers --
cat "$log" | head -2
step eclictl whoami
step eclictl users list --limit 5
step eclictl users list --query spam.test -o json --redact --columns id,email,firstName,suspended
step eclictl users list --query spam.test -o ids
step eclictl roles list
step eclictl roles show moderator
step eclictl fraud list --limit 5 --redact
step eclictl fraud dismiss --all-matching --reason-contains spam --dry-run -o json
step eclictl servers list --limit 5 --redact=all
step eclictl tickets list --limit 5
step eclictl nodes list
step eclictl nodes health
step eclictl search example.org --type users,orders --limit 3 --redact
step eclictl flags list
step eclictl stats --counts-only
step eclictl plans list
step sh -c 'eclictl users list --query spam.test -o ids | eclictl users suspend - --yes --concurrency 4 --journal "$ECLICTL_CONFIG_DIR/suspend.jsonl"'
step eclictl api GET /health
step eclictl doctor --no-drift
printf '\nThe sandbox is a stand-in for a real panel: point --url/ECLICTL_URL at yours and run eclictl auth login.\n'
