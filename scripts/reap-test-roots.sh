#!/usr/bin/env bash
# Converges what an interrupted earlier test run left in its test roots
# (${TMPDIR:-/tmp}/berth-test-*): every compose project goes with `berth down`,
# every other container with `berth rm -f`, networks with `berth network prune`,
# then the root itself. This is the same recovery a user gets after a crash.
set -u
cd "$(dirname "$0")/.."
berth=${BERTH:-$PWD/.build/debug/berth}
[ -x "$berth" ] || exit 0
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
echo 'services: {}' > "$empty/compose.yaml"

for dir in "${TMPDIR:-/tmp}"/berth-test-*/; do
    dir=${dir%/}   # the table name hashes the root path: no doubled slash
    [ -d "$dir/root" ] || continue
    export BERTH_ROOT=$dir/root BERTH_RUN=$dir/run
    echo "reap-test-roots: converging $dir" >&2
    projects=$(grep -h -o '"com.docker.compose.project" *: *"[^"]*"' "$dir"/root/containers/*/config.json 2>/dev/null \
        | sed 's/.*: *"\(.*\)"/\1/' | sort -u)
    for p in $projects; do
        (cd "$empty" && "$berth" down -p "$p" --remove-orphans -v -t 0 >/dev/null 2>&1)
    done
    ids=$("$berth" ps -aq 2>/dev/null)
    [ -n "$ids" ] && "$berth" rm -f $ids >/dev/null 2>&1
    "$berth" network prune -f >/dev/null 2>&1
    # Whatever is still mounted below the root (a killed monitor's rootfs).
    grep -F " $dir/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$dir"
done
exit 0
