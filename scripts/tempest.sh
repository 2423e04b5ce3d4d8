#!/usr/bin/env bash
# Run Tempest against the running cloud: scripts/tempest.sh [regex] (default tempest.api.identity).
# Tempest lives in its own virtualenv (.tempest/venv); the cloud's data dir comes from
# $NIMBOSTACK_DATA_DIR (default ~/.local/share/nimbostack).
set -euo pipefail
cd "$(dirname "$0")/.."
regex="${1:-tempest.api.identity}"
data_dir="${NIMBOSTACK_DATA_DIR:-$HOME/.local/share/nimbostack}"
[ -f "$data_dir/status.json" ] || { echo "no running cloud in $data_dir (run: make up)"; exit 1; }
if [ ! -x .tempest/venv/bin/tempest ]; then
  python3 -m venv .tempest/venv
  .tempest/venv/bin/pip install -q tempest
fi
ws="${TEMPEST_WORKSPACE:-.tempest/workspace}"
[ -d "$ws" ] || .tempest/venv/bin/tempest init "$ws" >/dev/null
.venv/bin/python scripts/tempest_conf.py "$data_dir" "$ws/etc/tempest.conf" >/dev/null
venv="$(pwd)/.tempest/venv"
cd "$ws"
"$venv"/bin/tempest run --regex "$regex" --concurrency "${TEMPEST_CONCURRENCY:-2}" | tee tempest-last.log | tail -25
