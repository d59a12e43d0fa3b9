#!/usr/bin/env bash
# `berth run --rm busybox true` (the CLI, berth-monitor, the container with
# namespaces, cgroup, Docker's capabilities and seccomp, log capture, and the
# --rm teardown) side by side with `crun run` of an equivalent OCI bundle, in
# one hyperfine run (-N -w 5 -r RUNS), so the ratio is measured under the same
# load. With BASELINE=<bin dir of another release build> that berth is timed
# in the same run too (before/after figures).
#
#   bench/runtime/cli.sh                 # builds with scripts/build-release.sh
#   SKIP_BUILD=1 RUNS=50 BASELINE=/tmp/main/.build/x86_64-unknown-linux-gnu/release bench/runtime/cli.sh
#
# Root only; berth runs in a private root (/var/lib/bench-cli-berth, run
# directory /run/bench-cli-berth: beside its defaults, as crun's state is in
# its default /run/crun), removed at the end. Not below /tmp: ext4 places a
# directory's files in its parent's block group, and on this journal-less
# disk every new inode is searched for past those freed in that group in the
# last minutes — the ~1000 files of the bench's own scratch copies of busybox
# (and of a previous bench's clean-up) made each of berth's new files cost
# 0.1–0.9 ms. crun 1.8 refuses this hybrid-cgroup VM ("cgroups in hybrid mode not
# supported"), so, as in run.sh, it runs inside `unshare -m` with the cgroup2
# mount unmounted; that wrapper is timed as its own row to subtract: the
# "(crun-wrapper)" ratios compare with crun itself (what the anchor's 8.8 ms
# measures), the others with crun in its wrapper.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/runtime/oci-bundle.sh
RUNS=${RUNS:-50}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
scripts/apt-ensure.sh crun runc hyperfine jq

if [ -z "${SKIP_BUILD:-}" ]; then scripts/build-release.sh >/dev/null; fi
# Each berth runs from a fresh copy of its bin directory, as an installer
# writes it (bench/runtime/fresh-bin-copy.sh: the page cache of a build
# ages on this VM; copies taken together compare alike). EVICTED=1: copies
# dropped from the page cache first, which the runs fault back in as after
# the VM's page-out of an idle program (the state crun is likely in).
BINS=/var/lib/bench-cli-bins
BIN=$(bench/runtime/fresh-bin-copy.sh "$(swift build -c release --static-swift-stdlib --show-bin-path)" "$BINS/new")
if [ -n "${BASELINE:-}" ]; then BASELINE=$(bench/runtime/fresh-bin-copy.sh "$BASELINE" "$BINS/baseline"); fi
WORK=$(mktemp -d /tmp/bench-cli.XXXXXX)
export BERTH_ROOT=/var/lib/bench-cli-berth BERTH_RUN=/run/bench-cli-berth
cleanup() {
    "$BIN/berth" rm -f $("$BIN/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
    # The default bridge the runs joined: its kernel side (link, nftables table) goes with prune.
    "$BIN/berth" network prune -f >/dev/null 2>&1 || true
    rm -rf "$WORK" "$BERTH_ROOT" "$BERTH_RUN" "$BINS"
}
trap cleanup EXIT
mkdir -p "$BERTH_ROOT" "$BERTH_RUN"
scripts/make-busybox-rootfs.sh "$WORK/busybox.tar" >/dev/null
"$BIN/berth" import "$WORK/busybox.tar" busybox:latest >/dev/null

mkdir -p "$WORK/bundle/rootfs"
tar -xf "$WORK/busybox.tar" -C "$WORK/bundle/rootfs"
make_bundle "$WORK/bundle"

crun_commands "$WORK/bundle" bench-cli-crun
"$BIN/berth" run --rm busybox true

# Default: the container joins the default `bridge` network (veth, address,
# route, /etc files) as under Docker; `--network none` is what crun's bundle
# gets (an own network namespace with nothing in it).
args=(-n "berth run --rm" "$BIN/berth run --rm busybox true"
      -n "berth run --rm --network none" "$BIN/berth run --rm --network none busybox true")
if [ -n "${BASELINE:-}" ]; then
    "$BASELINE/berth" run --rm busybox true
    args+=(-n "berth run --rm (baseline)" "$BASELINE/berth run --rm busybox true"
           -n "berth run --rm --network none (baseline)" "$BASELINE/berth run --rm --network none busybox true")
fi
args+=(-n "crun run" "$CRUN" -n "crun wrapper only" "$WRAP")
# CRUN_FIRST=1: crun's rows first. hyperfine times each command's runs in
# one block, in order, and the first block after the settle is the slowest
# here whichever command it is (see README, round 10): run the bench both
# ways and compare within each.
if [ -n "${CRUN_FIRST:-}" ]; then
    n=${#args[@]}
    args=("${args[@]:n-6:6}" "${args[@]:0:n-6}")
fi

# WARMUP=N: hyperfine warm-up runs per command (5).
# SETTLE=40: wait first, as long as alternate.sh explains: past ext4's
# recently_deleted window after the set-up's deletions and the copies'
# writeback, short of the 60 s after which this VM's DAMON pages out
# whatever the warm-up touched.
sleep "${SETTLE:-0}"
mkdir -p bench/results
OUT=bench/results/runtime-cli-$(date -u +%Y%m%dT%H%M%SZ).json
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w "${WARMUP:-5}" -r "$RUNS" --style basic --export-json "$OUT" "${args[@]}" >&2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
jq -r '(.results[] | select(.command == "crun run")) as $c
       | (.results[] | select(.command == "crun wrapper only")) as $w
       | .results[] | "\(.command)\tmean \(.mean * 1000 | . * 10 | round / 10) ms\tmedian \(.median * 1000 | . * 10 | round / 10) ms\tmean/crun \(.mean / $c.mean | . * 100 | round / 100)x\tmedian/crun \(.median / $c.median | . * 100 | round / 100)x\tmean/(crun-wrapper) \(.mean / ($c.mean - $w.mean) | . * 100 | round / 100)x\tmedian/(crun-wrapper) \(.median / ($c.median - $w.median) | . * 100 | round / 100)x"' "$OUT"
echo "raw: $OUT"
