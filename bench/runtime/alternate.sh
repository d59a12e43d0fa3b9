#!/usr/bin/env bash
# Before/after for `berth run --rm busybox true` on a noisy machine: runs the
# berth of each given release bin directory in turn, one run each per round
# (N rounds), so that load drifting over the minutes hits all of them alike
# (hyperfine times each command's runs back to back). Prints the median and
# the minimum per bin directory and network mode.
#
#   flock /tmp/berth-itest.lock bench/runtime/alternate.sh BEFORE_BIN_DIR AFTER_BIN_DIR
#   N=50 NETWORKS="none bridge" flock /tmp/berth-itest.lock bench/runtime/alternate.sh A B C
#   WITH_CRUN=1 … alternate.sh A B   # crun run of the equivalent bundle (and
#                                    # its wrapper alone) in every round too
#   SETTLE=40 … alternate.sh A B     # wait 40 s after the set-up (see below)
#
# Root only; a private root (/var/lib/bench-alternate, run directory
# /run/bench-alternate: not below /tmp, see cli.sh), removed at the end.
# Each bin directory runs from a fresh copy (bench/runtime/fresh-bin-copy.sh), so
# that builds of different ages compare alike (see that script).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ $# -ge 1 ] || { echo "usage: $0 BIN_DIR..." >&2; exit 2; }
N=${N:-30}
NETWORKS=${NETWORKS:-"none bridge"}
WORK=$(mktemp -d /tmp/bench-alternate.XXXXXX)
BINS=/var/lib/bench-alternate-bins
export BERTH_ROOT=/var/lib/bench-alternate BERTH_RUN=/run/bench-alternate
declare -A copy=()
i=0
for b in "$@"; do
    i=$((i + 1))
    copy[$b]=$(bench/runtime/fresh-bin-copy.sh "$b" "$BINS/$i")
done
first=${copy[$1]}
cleanup() {
    "$first/berth" rm -f $("$first/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
    "$first/berth" network prune -f >/dev/null 2>&1 || true
    rm -rf "$WORK" "$BERTH_ROOT" "$BERTH_RUN" "$BINS"
}
trap cleanup EXIT
mkdir -p "$BERTH_ROOT" "$BERTH_RUN"
scripts/make-busybox-rootfs.sh "$WORK/busybox.tar" >/dev/null
"$first/berth" import "$WORK/busybox.tar" busybox:latest >/dev/null
if [ -n "${WITH_CRUN:-}" ]; then
    . bench/runtime/oci-bundle.sh
    mkdir -p "$WORK/bundle/rootfs"
    tar -xf "$WORK/busybox.tar" -C "$WORK/bundle/rootfs"
    make_bundle "$WORK/bundle"
    crun_commands "$WORK/bundle" bench-alternate-crun
fi
# stats NAME TIMES: the line printed for one entry.
stats() {
    local sorted median min
    sorted=$(tr ' ' '\n' <<<"$2" | grep . | sort -n)
    median=$(awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}' <<<"$sorted")
    min=$(head -1 <<<"$sorted" | awk '{printf "%.1f", $1/1000}')
    echo "$1  median $median ms  min $min ms  ($N runs)"
}
if [ -n "${WITH_CRUN:-}" ]; then
    crun_times="" wrap_times=""
    for _ in $(seq 3); do eval "$CRUN"; eval "$WRAP"; done   # warm-up
fi
# SETTLE=40: wait that many seconds first. On a journal-less ext4 every new
# inode scans past those deleted in the last seconds, or minutes while the
# inode table block is unwritten (recently_deleted), so the previous bench's
# clean-up (an unpacked image: ~400 inodes) and a fresh copy's writeback
# slow the first half minute of runs here. No longer than ~50 s: this VM's
# DAMON pages out what was not touched for 60 s (the executables and the
# image's files included), and the runs after such a settle read them back
# from the disk (see README, round 11).
sleep "${SETTLE:-0}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for net in $NETWORKS; do
    declare -A times=()
    for b in "$@"; do "${copy[$b]}/berth" run --rm --network "$net" busybox true; done   # warm-up
    for _ in $(seq "$N"); do
        for b in "$@"; do
            s=$(date +%s%N)
            "${copy[$b]}/berth" run --rm --network "$net" busybox true
            e=$(date +%s%N)
            times[$b]+="$(( (e - s) / 1000 )) "
        done
        if [ -n "${WITH_CRUN:-}" ]; then
            s=$(date +%s%N); eval "$CRUN"; e=$(date +%s%N)
            crun_times+="$(( (e - s) / 1000 )) "
            s=$(date +%s%N); eval "$WRAP"; e=$(date +%s%N)
            wrap_times+="$(( (e - s) / 1000 )) "
        fi
    done
    for b in "$@"; do stats "$b  --network $net" "${times[$b]}"; done
    unset times
done
if [ -n "${WITH_CRUN:-}" ]; then
    stats "crun run (in its wrapper)" "$crun_times"
    stats "crun wrapper alone" "$wrap_times"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
