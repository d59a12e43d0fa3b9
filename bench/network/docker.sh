#!/usr/bin/env bash
# Docker's userland proxy (docker-proxy) for comparison with run.sh: the
# same wrk runs against the same busybox httpd, in a Docker container
# published on 127.0.0.1 (Docker sends host → 127.0.0.1:P through
# docker-proxy: its iptables rules exclude 127.0.0.0/8).
#
# Starts a private dockerd (own data-root, exec-root and socket) with
# --iptables=false --ip-forward=false --ip-masq=false, so it leaves no
# iptables rules and changes no sysctl; its bridge is named brt-dkbench (a
# berth-looking name, so a leak check would find it) on 10.254.253.0/24.
# Stops it and removes the bridge and its files at exit.
# Usage: sudo bench/network/docker.sh [seconds per wrk run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
work=$(mktemp -d /tmp/berth-bench-docker.XXXXXX)
sock=$work/docker.sock
bridge=brt-dkbench
dpid=
cleanup() {
    set +e
    if [ -S "$sock" ]; then
        docker -H "unix://$sock" rm -f bench >/dev/null 2>&1
    fi
    if [ -n "$dpid" ]; then
        kill "$dpid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$dpid" 2>/dev/null
    fi
    # dockerd's managed containerd and shims go with it; unmount what is left under $work.
    grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
    ip link del "$bridge" 2>/dev/null
    # Empty iptables-nft tables that appeared during the run (docker's
    # startup probes) go too; nothing that was there before is touched.
    for t in "ip nat" "ip filter" "ip6 nat" "ip6 filter"; do
        if ! grep -qx "table $t" "$work/tables.before" && nft list table $t 2>/dev/null | grep -q . \
            && ! nft list table $t | grep -qE '^\s+(ip|ip6|meta|iifname|oifname|counter|jump|accept|drop|tcp|udp|ct)\b'; then
            nft delete table $t
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
nft list tables > "$work/tables.before"

ip link add "$bridge" type bridge
ip addr add 10.254.253.1/24 dev "$bridge"
ip link set "$bridge" up
dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" -H "unix://$sock" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --userland-proxy=true \
    --bridge "$bridge" >"$work/dockerd.log" 2>&1 &
dpid=$!
for _ in $(seq 300); do [ -S "$sock" ] && docker -H "unix://$sock" info >/dev/null 2>&1 && break; sleep 0.1; done
export DOCKER_HOST=unix://$sock
docker version --format 'docker server {{.Server.Version}}'

scripts/make-busybox-rootfs.sh "$work/busybox.tar"
docker import "$work/busybox.tar" bench-busybox >/dev/null
mkdir -p "$work/www"
echo ok > "$work/www/small"
head -c 10000000 /dev/zero > "$work/www/big"
port=$((20000 + RANDOM % 20000))
docker run -d --name bench -p "127.0.0.1:$port:80" -v "$work/www:/www" bench-busybox httpd -f -p 80 -h /www >/dev/null
cip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' bench)
sleep 0.5
pgrep -af docker-proxy | sed 's/^/proxy: /' | head -2

echo "== wrk, ${secs}s each, 2 threads, 32 connections"
nft list tables | sed 's/^/during: /'
for file in small big; do
    for target in "$cip:80" "127.0.0.1:$port"; do
        printf '%-8s %-22s ' "$file" "$target"
        wrk -t2 -c32 -d"${secs}s" "http://$target/$file" | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} END {printf "%10s req/s %12s/s\n", r, t}'
    done
done
