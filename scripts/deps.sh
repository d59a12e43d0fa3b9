#!/usr/bin/env bash
# Installs every system package berth's build, tests and main job need.
# Idempotent: installs only what is missing. Needs root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    pkg-config libyaml-dev zlib1g-dev   # build: CYAML, CZlib (the release build links their .a)
    libc6-dev linux-libc-dev             # build: CNetlink, berth-linkdel, berth-init (libc and kernel headers); libc.a: the static release berth
    gcc libstdc++-12-dev                 # release build: gcc names the multiarch and libstdc++.a paths; that archive is linked in
    binutils                             # release build: readelf checks the objects' function sections
    libzstd-dev                          # build: CZstd (tar+zstd layers)
    libnftables-dev libnftables1         # build: CNFTables header; at run time berth dlopens libnftables.so.1
    busybox-static                       # base image for the main job and tests; wget for HTTP checks
    nftables iproute2                    # tests and leak-check read nft and link state (nft, ip)
    bpftool                              # tests and leak-check list loaded eBPF programs (socket redirect)
    util-linux procps bsdutils           # tests: nsenter, unshare, timeout; leak-check: ps; pty tests: script
    gzip zstd                            # tests: compressed rootfs imports (gzip -c, zstd -c)
    skopeo umoci                         # image format interop tests
    debootstrap                          # scripts/make-debian-rootfs.sh
    wrk                                  # bench/network load generator
)
./scripts/apt-ensure.sh "${packages[@]}"
