#!/usr/bin/env bash
# Network benchmarks (root, loopback and test namespaces only):
#  1. create/remove a network, attach/detach a container (library calls);
#  2. wrk against busybox httpd in a network namespace: straight to the
#     container address vs through the published port on 127.0.0.1 and on
#     the host's own address (TCP: both through berth's connect-time socket
#     redirect; kernel DNAT when the redirect cannot be loaded).
# Usage: sudo [ROUNDS=3] [CLIENT="-t1 -c4"] bench/network/run.sh [seconds per wrk run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
# The release build every script shares (same flags), with the harness.
bin=$(scripts/build-release.sh berth-netbench)
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

# CLIENT: wrk's threads and connections (e.g. CLIENT="-t1 -c4", a light client).
client=${CLIENT:--t2 -c32}
echo "== wrk, ${secs}s each, $client"
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
# ROUNDS rounds, each running every target once in turn, so that a change of
# load during the run hits all paths alike; medians and ratios to the direct
# path at the end.
rounds=${ROUNDS:-3}
results=$work/results
# The order turns each round: every path follows each other one alike. That
# matters because busybox httpd closes each connection first, so a run leaves
# thousands of connections in TIME_WAIT inside the container for 60 s, and
# the direct path and the redirected 127.0.0.1 path share their 4-tuples
# (gateway address → container:80): whichever runs second has SYNs land on
# the first one's TIME_WAIT entries.
targets=(direct:$cip:80 loopback:127.0.0.1:$port hostaddr:$hostip:$port)
for round in $(seq 1 "$rounds"); do
    shift=$(( (round - 1) % ${#targets[@]} ))
    ordered=("${targets[@]:shift}" "${targets[@]:0:shift}")
    for file in small big; do
        for target in "${ordered[@]}"; do
            name=${target%%:*} addr=${target#*:}
            out=$(wrk $client -d"${secs}s" "http://$addr/$file")
            req=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
            # Bytes per second, from wrk's "Transfer/sec: 1.50GB".
            bytes=$(echo "$out" | awk '/Transfer\/sec/ {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", v);
                m = (u == "KB") ? 1024 : (u == "MB") ? 1048576 : (u == "GB") ? 1073741824 : 1; printf "%.0f", v * m}')
            # Failed connects or reads count against a path: shown, not hidden.
            errors=$(echo "$out" | awk '/Socket errors|Non-2xx/ {$1=$1; printf "  [%s]", $0}')
            printf 'round %d  %-5s  %-8s %-22s %10s req/s %8.2f MB/s%s\n' "$round" "$file" "$name" "$addr" "$req" \
                "$(echo "$bytes" | awk '{print $1 / 1048576}')" "$errors"
            echo "$file $name $req $bytes $round" >> "$results"
        done
    done
done
echo "== medians over $rounds rounds; ratio of medians to direct, and median (min–max) of the per-round ratios"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def values(file, name, col):
    return {r[4]: float(r[col]) for r in rows if r[0] == file and r[1] == name}
for file, col, unit, scale in (("small", 2, "req/s", 1), ("big", 3, "MB/s", 1 / 1048576)):
    direct = values(file, "direct", col)
    base = statistics.median(direct.values())
    for name in ("direct", "loopback", "hostaddr"):
        v = values(file, name, col)
        ratios = [v[k] / direct[k] for k in v if direct.get(k)]
        print(f"{file:5}  {name:8}  {statistics.median(v.values()) * scale:10.1f} {unit:5}  "
              f"{statistics.median(v.values()) / base:5.2f}x   per round {statistics.median(ratios):4.2f}x "
              f"({min(ratios):4.2f}–{max(ratios):4.2f})")
PY
