#!/usr/bin/env bash
# Fails if anything of berth is left on this machine: mounts, network links,
# network namespaces, nftables tables, cgroups or processes. The test command
# runs it after the whole suite; run it by hand after `berth down`.
#
#   leak-check.sh                  everything berth-looking is a leak
#   leak-check.sh --record FILE    write what is there now (before a suite)
#   leak-check.sh --since FILE     only objects not already in FILE are leaks
set -u

mode=all file=
case "${1:-}" in
    --record) mode=record file=$2 ;;
    --since)  mode=since file=$2 ;;
esac

# One line per object: "<kind> <name>".
objects() {
    grep -i -E 'berth' /proc/self/mountinfo | awk '{print "mount " $5}'
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -i -E '^(brt|vb|berth)' | sed 's/^/link /'
    ip netns list 2>/dev/null | grep -i berth | sed 's/^/netns /'
    if command -v nft >/dev/null 2>&1; then
        nft list tables 2>/dev/null | grep -i -E 'berth|brt' | sed 's/^/nftables /'
    fi
    # The socket redirect's eBPF programs (attached to the cgroup2 root).
    if command -v bpftool >/dev/null 2>&1; then
        bpftool prog show 2>/dev/null | grep -o 'name brt4[^ ]*' | sed 's/^name /bpf-program /'
    fi
    # The containers' cgroups (`berth-<id>` below every hierarchy's root).
    find /sys/fs/cgroup -maxdepth 4 -type d -iname '*berth*' 2>/dev/null \
        | sed 's/^/cgroup /'
    # Zombies hold nothing but a pid; reaping them is their parent's (here
    # init's) job, so a monitor that just exited is not a leak.
    ps -eo pid,stat,args | awk '$2 !~ /^Z/' | grep -E '[b]erth-(monitor|dns)|[b]erth-test-' \
        | grep -v -E 'leak-check|swift-(build|test)' | sed 's/^ */process /'
}

now=$(objects | sort -u)
if [ "$mode" = record ]; then
    printf '%s\n' "$now" > "$file"
    [ -n "$now" ] && echo "leak-check: $(printf '%s\n' "$now" | wc -l) berth objects already here before the suite (not counted)" >&2
    exit 0
fi
if [ "$mode" = since ] && [ -f "$file" ]; then
    now=$(comm -23 <(printf '%s\n' "$now") <(sort -u "$file") | grep -v '^$' || true)
fi
if [ -n "$now" ]; then
    printf 'leak-check: %s\n' "$now" >&2
    echo "leak-check: FAILED: berth left objects behind (listed above)" >&2
    exit 1
fi
echo "leak-check: nothing of berth left on this machine"
