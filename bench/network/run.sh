#!/usr/bin/env bash
# Network benchmarks (root, loopback and test namespaces only):
#  1. create/remove a network, attach/detach a container (library calls);
#  2. wrk against busybox httpd in a network namespace: straight to the
#     container address vs through the published port on 127.0.0.1 (berth's
#     stateless loopback path) and on the host's address (kernel DNAT).
# Usage: sudo bench/network/run.sh [seconds per wrk run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
# Same flags as scripts/build-release.sh, so the two share one build.
swift build -c release --static-swift-stdlib --product berth-netbench >/dev/null
swift build -c release --static-swift-stdlib --product berth-dns >/dev/null
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
work=$(mktemp -d /tmp/berth-bench-net.XXXXXX)
root=$work/root run=$work/run
export BERTH_DNS_HELPER=$bin/berth-dns
sleeper= httpd=
cleanup() {
    [ -n "$httpd" ] && kill -9 "$httpd" 2>/dev/null || true
    "$bin/berth-netbench" teardown "$root" "$run" || true
    [ -n "$sleeper" ] && kill -9 "$sleeper" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== timings (20 rounds)"
"$bin/berth-netbench" timings "$root" "$run" 20

echo "== wrk, ${secs}s each, 2 threads, 32 connections"
mkdir -p "$work/www"
echo ok > "$work/www/small"
head -c 10000000 /dev/zero > "$work/www/big"
unshare --net sleep 600 & sleeper=$!
sleep 0.2
port=$((20000 + RANDOM % 20000))   # a busy port makes setup fail with a clear error
cip=$("$bin/berth-netbench" setup "$root" "$run" "$sleeper" "$port")
nsenter --net=/proc/$sleeper/ns/net busybox httpd -f -p 80 -h "$work/www" & httpd=$!
sleep 0.2
hostip=$(ip -4 -o addr show scope global | awk '$2 !~ /^brt/ {sub("/.*","",$4); print $4; exit}')
for file in small big; do
    for target in "$cip:80" "127.0.0.1:$port" "$hostip:$port"; do
        printf '%-8s %-22s ' "$file" "$target"
        wrk -t2 -c32 -d"${secs}s" "http://$target/$file" | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} END {printf "%10s req/s %12s/s\n", r, t}'
    done
done
