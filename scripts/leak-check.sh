#!/usr/bin/env bash
# Fails if anything of berth is left on this machine: mounts, network links,
# network namespaces, nftables tables, cgroups or processes. The test command
# runs it after the whole suite; run it by hand after `berth down`.
set -u

leaks=0
report() { echo "leak-check: $*" >&2; leaks=1; }

m=$(grep -i -E 'berth' /proc/self/mountinfo | awk '{print $5}')
[ -n "$m" ] && report "mounts:"$'\n'"$m"

l=$(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -i -E '^(brt|vb|berth)' || true)
[ -n "$l" ] && report "links: $l"

n=$(ip netns list 2>/dev/null | grep -i berth || true)
[ -n "$n" ] && report "network namespaces: $n"

if command -v nft >/dev/null 2>&1; then
    t=$(nft list tables 2>/dev/null | grep -i -E 'berth|brt' || true)
    [ -n "$t" ] && report "nftables tables: $t"
fi

c=$(find /sys/fs/cgroup -maxdepth 3 -type d -iname '*berth*' 2>/dev/null || true)
[ -n "$c" ] && report "cgroups:"$'\n'"$c"

p=$(ps -eo pid,args | grep -E '[b]erth-(monitor|dns)|[b]erth-test-' | grep -v -E 'leak-check|swift-(build|test)' || true)
[ -n "$p" ] && report "processes:"$'\n'"$p"

if [ "$leaks" -ne 0 ]; then
    echo "leak-check: FAILED: berth left objects behind (listed above)" >&2
    exit 1
fi
echo "leak-check: nothing of berth left on this machine"
