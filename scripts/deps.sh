#!/usr/bin/env bash
# Installs every system package berth's build, tests and main job need.
# Idempotent: installs only what is missing. Needs root (apt-get).
set -euo pipefail

packages=(
    pkg-config libyaml-dev zlib1g-dev   # build: CYAML, CZlib
    libzstd-dev                          # build: CZstd (tar+zstd layers)
    busybox-static                       # base image for examples and tests
    debootstrap                          # scripts/make-debian-rootfs.sh
    nftables iproute2                    # networking tests read nft/netlink state
    libnftables-dev wrk                  # build: CNFTables; bench/network load generator
    skopeo umoci                         # image format interop tests
    docker-registry                      # registry tests (127.0.0.1 only)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian registry package starts a service on install; berth's tests run
# their own instance on a loopback port, so make sure no stray one is left.
if command -v systemctl >/dev/null 2>&1; then systemctl stop docker-registry >/dev/null 2>&1 || true; fi
