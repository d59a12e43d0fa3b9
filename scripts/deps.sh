#!/usr/bin/env bash
# Installs every system package berth's build, tests and main job need.
# Idempotent: installs only what is missing. Needs root (apt-get).
set -euo pipefail

packages=(
    pkg-config libyaml-dev zlib1g-dev   # build: CYAML, CZlib
    libzstd-dev libnftables-dev          # build: CZstd (tar+zstd layers), CNFTables (header; berth dlopens libnftables1)
    busybox-static                       # base image for the main job and tests; wget for HTTP checks
    nftables iproute2                    # tests and leak-check read nft and link state (nft, ip)
    util-linux procps                    # tests: nsenter, unshare; leak-check: ps
    skopeo umoci                         # image format interop tests
    debootstrap                          # scripts/make-debian-rootfs.sh
    wrk                                  # bench/network load generator
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
