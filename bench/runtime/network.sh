#!/usr/bin/env bash
# What networking adds to `berth run --rm … true` (root): the same container
# with --network none (own namespace with lo, /etc files), on the default
# bridge (pinned namespace, veth, address, route; released at exit) and on a
# user-defined network, in one hyperfine run. Uses the release binaries
# (swift build -c release --product berth / berth-monitor / berth-dns) and a
# private state root that is removed afterwards.
#
#   flock /tmp/berth-itest.lock bench/runtime/network.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-40}
B=${BERTH:-$PWD/.build/release/berth}
scripts/apt-ensure.sh hyperfine busybox-static
WORK=$(mktemp -d /tmp/berth-bench-network.XXXXXX)
export BERTH_ROOT=$WORK/root BERTH_RUN=$WORK/run
cleanup() {
    "$B" rm -f $("$B" ps -aq) >/dev/null 2>&1 || true
    "$B" network rm benchnet >/dev/null 2>&1 || true
    "$B" network prune -f >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc"
cp /bin/busybox "$ROOTFS/bin/"
for a in sh true; do ln -s busybox "$ROOTFS/bin/$a"; done
"$B" network create benchnet >/dev/null
# Sanity, and the default bridge exists before timing.
"$B" run --rm --rootfs "$ROOTFS" bench /bin/true
"$B" run --rm --network none --rootfs "$ROOTFS" bench /bin/true
"$B" run --rm --network benchnet --rootfs "$ROOTFS" bench /bin/true

mkdir -p bench/results
OUT=bench/results/run-network-$(date -u +%Y%m%dT%H%M%SZ).json
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$OUT" \
    -n "network none" "$B run --rm --network none --rootfs $ROOTFS bench /bin/true" \
    -n "default bridge" "$B run --rm --rootfs $ROOTFS bench /bin/true" \
    -n "user network benchnet" "$B run --rm --network benchnet --rootfs $ROOTFS bench /bin/true" >&2
echo "medians (ms), and what each adds to --network none:"
jq -r '(.results[0].median) as $none | .results[]
       | "\(.command)\t\(.median * 1000 | . * 10 | round / 10) ms\t+\((.median - $none) * 1000 | . * 10 | round / 10) ms"' "$OUT"
echo "raw: $OUT"
