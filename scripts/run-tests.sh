#!/usr/bin/env bash
# Runs the whole suite as two pytest processes side by side: the end-to-end layer
# (mostly waiting on QEMU guests and whole clouds) and the in-process layers (unit,
# functional, security, integration), so each keeps one of the machine's cores busy.
# Each prints its own per-layer count; the run fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/pytest -q -p no:cacheprovider --durations=10)
e2e_log=$(mktemp -t nimbo-e2e.XXXXXX)
trap 'rm -f "$e2e_log"' EXIT

"${PYTEST[@]}" tests/e2e >"$e2e_log" 2>&1 &
e2e_pid=$!
"${PYTEST[@]}" tests/unit tests/functional tests/security tests/integration
rest=$?
wait "$e2e_pid"
e2e=$?

echo
echo "===== end-to-end layer (tests/e2e) ====="
cat "$e2e_log"
echo
echo "in-process layers: exit $rest; end-to-end layer: exit $e2e"
[ "$rest" -eq 0 ] && [ "$e2e" -eq 0 ]
