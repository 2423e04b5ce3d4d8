#!/usr/bin/env bash
# Install the given Debian packages if any is missing (needs root; runs apt-get update once).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# The guest-image builder fetches .deb files, so package lists must exist even when
# nothing needs installing.
compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null || apt-get update -qq
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
