#!/usr/bin/env bash
# Regenerates scripts/berth.order: the functions `berth run --rm busybox
# true` executes in the CLI (default bridge network and `--network none`),
# in the order callgrind first lists them. build-release.sh links berth
# with them first (lld's --symbol-ordering-file; every function is in a
# section of its own): a start then touches far fewer 64 KiB fault-around
# windows of the 100 MB executable (`run --rm`: 384 → 301 page faults in
# the CLI; 482 with function sections and no order). Names missing from a later build are skipped by the link, so a
# stale list only orders less; rerun this after large changes to the start
# path. Root; needs valgrind (installed here) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
scripts/apt-ensure.sh valgrind
bin=$(scripts/build-release.sh)
work=$(mktemp -d /var/lib/berth-order.XXXXXX)
export BERTH_ROOT=$work/root BERTH_RUN=/run/berth-order.$$
cleanup() {
    "$work/bin/berth" rm -f $("$work/bin/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
    "$work/bin/berth" network prune -f >/dev/null 2>&1 || true
    rm -rf "$work" "$BERTH_RUN"
}
trap cleanup EXIT
mkdir -p "$BERTH_ROOT" "$BERTH_RUN"
bench/runtime/fresh-bin-copy.sh "$bin" "$work/bin" >/dev/null
# valgrind cannot read the toolchain's DWARF 5; the symbol table is enough.
objcopy --strip-debug "$bin/berth" "$work/bin/berth"
scripts/make-busybox-rootfs.sh "$work/busybox.tar" >/dev/null
"$work/bin/berth" import "$work/busybox.tar" busybox:latest >/dev/null
for net in bridge none; do
    "$work/bin/berth" run --rm --network "$net" busybox true   # the network's first use set up outside
    valgrind -q --tool=callgrind --demangle=no --callgrind-out-file="$work/$net.out" \
        "$work/bin/berth" run --rm --network "$net" busybox true
done
# fn=(id) name defines a name, fn=(id) and cfn=(id) refer to it.
awk '
    match($0, /^c?fn=\([0-9]+\)/) {
        id = substr($0, RSTART, RLENGTH); sub(/^c?fn=/, "", id)
        name = substr($0, RLENGTH + 2)
        if (name != "") names[id] = name; else name = names[id]
        if (name != "" && name !~ /^0x/ && !(name in seen)) { seen[name] = 1; print name }
    }
    FNR == 1 { delete names }
' "$work/bridge.out" "$work/none.out" > scripts/berth.order
echo "scripts/berth.order: $(wc -l < scripts/berth.order) functions"
