#!/usr/bin/env bash
# Container start benchmark: berth's full setup (bench-only driver
# berth-bench-spawn: namespaces, cgroup with memory+pids limits, Docker's
# default caps, seccomp, masked/read-only paths, /dev) versus `crun run` and
# `runc run` of an equivalent OCI bundle, each running busybox `true`.
# Also compares three link modes of the driver: dynamic Swift stdlib,
# -static-stdlib, and -static-executable.
# Usage (root): bench/runtime/run.sh [RUNS]     → medians + ratios on stdout,
#                                                 raw JSON in bench/results/ (ignored by git)
set -euo pipefail
. "$(dirname "$0")/oci-bundle.sh"
cd "$(dirname "$0")/../.."
RUNS=${1:-100}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

scripts/apt-ensure.sh crun runc hyperfine jq busybox-static

echo "building berth-bench-spawn (dynamic, -static-stdlib, -static-executable)…" >&2
swift build -c release --product berth-bench-spawn >/dev/null
swift build -c release --product berth-bench-spawn --static-swift-stdlib --scratch-path .build-static >/dev/null
swift build -c release --product berth-bench-spawn --static-swift-stdlib -Xswiftc -static-executable \
    --scratch-path .build-static-exe >/dev/null
DYN=$PWD/.build/release/berth-bench-spawn
STD=$PWD/.build-static/release/berth-bench-spawn
EXE=$PWD/.build-static-exe/release/berth-bench-spawn

WORK=$(mktemp -d /tmp/berth-bench-runtime.XXXXXX)
cleanup() { umount -R "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/etc"
cp /bin/busybox "$WORK/bundle/rootfs/bin/"
for a in sh true; do ln -s busybox "$WORK/bundle/rootfs/bin/$a"; done
ROOT=$WORK/bundle/rootfs

make_bundle "$WORK/bundle"

# Sanity: every runner works before timing.
"$DYN" "$ROOT"; "$STD" "$ROOT"; "$EXE" "$ROOT"
crun_commands "$WORK/bundle" berth-bench-crun
runc run --bundle "$WORK/bundle" berth-bench-runc

mkdir -p bench/results
OUT=bench/results/runtime-start-$(date -u +%Y%m%dT%H%M%SZ).json
hyperfine --shell=none --warmup 10 --runs "$RUNS" --export-json "$OUT" \
    -n "berth (dynamic stdlib)" "$DYN $ROOT" \
    -n "berth (-static-stdlib)" "$STD $ROOT" \
    -n "berth (-static-executable)" "$EXE $ROOT" \
    -n "berth (-static-executable, no cgroup)" "$EXE --no-cgroup $ROOT" \
    -n "crun run" "$CRUN" \
    -n "crun wrapper only" "$WRAP" \
    -n "runc run" "runc run --bundle $WORK/bundle berth-bench-runc" >&2

echo "crun invoked as: $CRUN"
echo "medians (ms) and ratio to crun:"
jq -r '(.results[] | select(.command == "crun run") | .median) as $crun
       | .results[] | "\(.command)\t\(.median * 1000 | . * 100 | round / 100) ms\t\(.median / $crun | . * 100 | round / 100)x"' "$OUT"
echo "binary sizes:"; ls -la "$DYN" "$STD" "$EXE" | awk '{print $5, $9}'
echo "raw: $OUT"
