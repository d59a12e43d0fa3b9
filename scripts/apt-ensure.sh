#!/usr/bin/env bash
# usage: scripts/apt-ensure.sh PACKAGE... — installs the Debian packages that
# are not installed yet (idempotent; needs root). Shared by scripts/deps.sh and
# the benchmarks, which install their peers (crun, docker-compose, …) themselves.
set -euo pipefail
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "apt-ensure: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
