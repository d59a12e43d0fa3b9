#!/usr/bin/env bash
# Compose orchestration side by side: berth (release build) vs docker-compose
# v1 (Debian's docker-compose 1.29 on docker.io 20.10) vs podman-compose
# (Debian's 1.0.3 on podman 4.3), on the same machine, in one run.
#
#   bench/compose/orchestrate.sh            # up/down of both stacks + logs
#   bench/compose/orchestrate.sh updown     # only `up -d` / `down`
#   bench/compose/orchestrate.sh logs       # only the 1,000,000-line logs
#   TOOLS="berth docker-compose" RUNS=10 PEER_RUNS=5 SETTLE=70 bench/compose/orchestrate.sh
#
# Measured (hyperfine, medians), for five/compose.yaml (five services) and
# replicas/compose.yaml (one service, deploy.replicas: 20), per tool:
#   cold   `up -d` with the project down before every run (--prepare down)
#   noop   `up -d` of the running, unchanged project
#   down   `down -v` with the project up before every run (--prepare up -d)
# and for logs/compose.yaml (a container printing 1,000,000 lines, then exiting):
#   `berth compose logs --no-color talker`, `berth logs CONTAINER`,
#   `docker logs CONTAINER`, `docker-compose logs --no-color talker`,
#   `podman logs CONTAINER`, `podman-compose logs talker` (output to /dev/null).
# Plus the peak RSS of a cold `berth up -d` (/usr/bin/time -v).
#
# Idempotent and self-cleaning: every project is brought down before and
# after; berth runs in a private root (/tmp/bench-berth, never /var/lib/berth);
# dockerd is started only when not running and then stopped again, with the
# netfilter chains and docker0 link it left behind.
# Results: bench/compose/results/*.json (hyperfine exports), summary.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results=${RESULTS:-$here/results}
what=${1:-all}
tools=${TOOLS:-"berth docker-compose podman-compose"}
runs=${RUNS:-10}            # berth
peer_runs=${PEER_RUNS:-3}   # docker-compose, podman-compose (seconds per run)
work=/tmp/bench-compose-work
mkdir -p "$results" "$work"

if [ "$(id -u)" != 0 ]; then echo "orchestrate.sh: run as root" >&2; exit 1; fi

# --- tools -------------------------------------------------------------------
"$repo/scripts/apt-ensure.sh" hyperfine docker-compose docker.io podman podman-compose runc time
# Debian's docker CLI (20.10), not whatever else is first on PATH.
docker=/usr/bin/docker

if [ -z "${SKIP_BUILD:-}" ]; then
    "$repo/scripts/build-release.sh" >/dev/null 2>&1
fi
berth="$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)/berth"
export BERTH_ROOT=/tmp/bench-berth/root BERTH_RUN=/tmp/bench-berth/run
mkdir -p "$BERTH_ROOT" "$BERTH_RUN"

# podman on this machine: crun 1.8 refuses the hybrid cgroup layout (cgroup v1
# controllers plus a cgroup2 mount that holds the hugetlb controller: "cgroups
# in hybrid mode not supported"), and without CAP_SYS_RESOURCE podman's
# default rlimits (nofile=1048576, nproc) cannot be set. A bench-private
# containers.conf picks runc and limits this machine allows.
export CONTAINERS_CONF="$work/containers.conf"
cat > "$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF

started_dockerd=""
uses() { case " $tools " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if uses docker-compose && ! $docker info >/dev/null 2>&1; then
    setsid /usr/sbin/dockerd >"$work/dockerd.log" 2>&1 </dev/null &
    started_dockerd=$!
    for _ in $(seq 1 60); do $docker info >/dev/null 2>&1 && break; sleep 0.5; done
fi

# The same busybox root filesystem for every tool, as busybox:latest.
tarball="$work/busybox.tar"
[ -s "$tarball" ] || "$repo/scripts/make-busybox-rootfs.sh" "$tarball" >/dev/null
"$berth" image inspect busybox:latest >/dev/null 2>&1 || "$berth" import "$tarball" busybox:latest >/dev/null
if uses docker-compose; then
    $docker image inspect busybox:latest >/dev/null 2>&1 || $docker import "$tarball" busybox:latest >/dev/null
fi
if uses podman-compose; then
    podman image exists busybox:latest || podman import "$tarball" busybox:latest >/dev/null 2>&1
fi
# SETTLE=70: wait out ext4's recently-deleted window before measuring (as in
# bench/runtime: without a journal every new inode scans past those deleted in
# the last 30-60 s, and an earlier bench's clean-up deleted thousands).
sleep "${SETTLE:-0}"

# --- one command line per tool and action ------------------------------------
# cmd TOOL STACK ACTION -> the command line (no shell needed: hyperfine -N).
cmd() {
    local tool=$1 stack=$2 action=$3 file="$here/$2/compose.yaml" project="bench$2"
    local base
    case $tool in
        berth) base="$berth compose -p $project -f $file" ;;
        docker-compose) base="docker-compose -p $project -f $file" ;;
        podman-compose) base="podman-compose -p $project -f $file" ;;
    esac
    case $action in
        up) echo "$base up -d" ;;
        down) echo "$base down -v" ;;
    esac
}
quiet() { "$@" >/dev/null 2>&1 || true; }
down_all() {
    for stack in five replicas logs; do
        quiet "$berth" compose -p "bench$stack" -f "$here/$stack/compose.yaml" down -v
        if uses docker-compose; then quiet docker-compose -p "bench$stack" -f "$here/$stack/compose.yaml" down -v; fi
        if uses podman-compose; then quiet podman-compose -p "bench$stack" -f "$here/$stack/compose.yaml" down -v; fi
    done
}
finish() {
    down_all
    if uses podman-compose; then
        # podman-compose leaves its pods and networks behind on some paths.
        for stack in five replicas logs; do
            quiet podman pod rm -f "pod_bench$stack"
            quiet podman network rm -f "bench${stack}_default"
        done
    fi
    if [ -n "$started_dockerd" ]; then
        kill "$started_dockerd" 2>/dev/null || true
        while kill -0 "$started_dockerd" 2>/dev/null; do sleep 0.2; done
        # dockerd leaves its netfilter chains and bridge; take them out again.
        for chain in DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER; do
            while iptables -D FORWARD -j "$chain" 2>/dev/null; do :; done
        done
        while iptables -D FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null; do :; done
        while iptables -D FORWARD -o docker0 -j DOCKER 2>/dev/null; do :; done
        while iptables -D FORWARD -i docker0 ! -o docker0 -j ACCEPT 2>/dev/null; do :; done
        while iptables -D FORWARD -i docker0 -o docker0 -j ACCEPT 2>/dev/null; do :; done
        iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER 2>/dev/null || true
        iptables -t nat -D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER 2>/dev/null || true
        while iptables -t nat -D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE 2>/dev/null; do :; done
        for chain in DOCKER-USER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER; do
            iptables -F "$chain" 2>/dev/null && iptables -X "$chain" 2>/dev/null || true
        done
        iptables -t nat -F DOCKER 2>/dev/null && iptables -t nat -X DOCKER 2>/dev/null || true
        ip link del docker0 2>/dev/null || true
    fi
}
trap finish EXIT
down_all

load() { cut -d' ' -f1-3 /proc/loadavg; }
summary="$results/summary.txt"
[ "$what" = logs ] || : > "$summary"
{ echo "# $(date -u +%FT%TZ) load $(load) on $(nproc) cores"; } >> "$summary"

# bench NAME RUNS [hyperfine args...]: one hyperfine run exported as NAME.json,
# with the load average before it noted in the summary.
bench() {
    local name=$1 n=$2; shift 2
    local before; before=$(load)
    hyperfine -N --style basic --runs "$n" --export-json "$results/$name.json" "$@" >"$work/$name.log" 2>&1 \
        || { cat "$work/$name.log" >&2; echo "orchestrate.sh: $name failed" >&2; return 1; }
    python3 - "$results/$name.json" "$name" "$before" <<'PY' | tee -a "$summary"
import json, sys
path, name, load = sys.argv[1:]
for r in json.load(open(path))["results"]:
    print(f"{name + ': ' + r['command']:<60} median {r['median']*1000:9.1f} ms  min {r['min']*1000:9.1f}  max {r['max']*1000:9.1f}"
          f"  user {r['user']*1000:7.1f}  sys {r['system']*1000:7.1f}  (load before {load})")
PY
}

# --- up / down ----------------------------------------------------------------
updown() {
    local stack tool n up down
    for stack in five replicas; do
        for tool in $tools; do
            n=$runs; [ "$tool" = berth ] || n=$peer_runs
            up=$(cmd "$tool" "$stack" up); down=$(cmd "$tool" "$stack" down)
            bench "$stack-cold-up-$tool" "$n" --prepare "$down" -n "$tool up -d ($stack, cold)" "$up"
            # Sanity: the stack must really be running before the next phases.
            check_running "$tool" "$stack"
            local noop_runs=$n; [ "$tool" = berth ] && noop_runs=$((n * 2))
            bench "$stack-noop-up-$tool" "$noop_runs" --warmup 1 -n "$tool up -d ($stack, running, unchanged)" "$up"
            bench "$stack-down-$tool" "$n" --prepare "$up" -n "$tool down -v ($stack)" "$down"
            quiet $down
        done
    done
    # Peak RSS of the CLI for a cold `berth up -d` of each stack.
    for stack in five replicas; do
        /usr/bin/time -v $(cmd berth "$stack" up) >/dev/null 2>"$work/time-$stack.txt"
        echo "berth up -d ($stack, cold) peak RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$work/time-$stack.txt") KB" | tee -a "$summary"
        quiet $(cmd berth "$stack" down)
    done
}

# check_running TOOL STACK: counts the stack's running containers.
check_running() {
    local tool=$1 stack=$2 want got
    case $stack in five) want=4 ;; replicas) want=20 ;; esac
    case $tool in
        berth) got=$("$berth" ps --filter "label=com.docker.compose.project=bench$stack" -q 2>/dev/null | wc -l) ;;
        docker-compose) got=$($docker ps --filter "label=com.docker.compose.project=bench$stack" -q | wc -l) ;;
        podman-compose) got=$(podman ps --filter "label=io.podman.compose.project=bench$stack" -q | wc -l) ;;
    esac
    if [ "$got" != "$want" ]; then
        echo "note: $tool $stack: $got running containers after up -d (expected $want)" | tee -a "$summary"
    fi
}

# --- logs ---------------------------------------------------------------------
logs() {
    local file="$here/logs/compose.yaml" project=benchlogs lines
    local args=()
    if uses berth; then
        "$berth" compose -p $project -f "$file" up -d >/dev/null 2>&1
        "$berth" wait benchlogs-talker-1 >/dev/null
        lines=$("$berth" logs benchlogs-talker-1 | wc -l)
        echo "berth logs: $lines lines" | tee -a "$summary"
        args+=(-n "berth compose logs --no-color talker" "$berth compose -p $project -f $file logs --no-color talker"
               -n "berth logs CONTAINER" "$berth logs benchlogs-talker-1")
    fi
    if uses docker-compose; then
        docker-compose -p $project -f "$file" up -d >/dev/null 2>&1
        $docker wait benchlogs_talker_1 >/dev/null
        lines=$($docker logs benchlogs_talker_1 | wc -l)
        echo "docker logs: $lines lines" | tee -a "$summary"
        args+=(-n "docker logs CONTAINER" "$docker logs benchlogs_talker_1")
    fi
    if uses podman-compose; then
        podman-compose -p $project -f "$file" up -d >/dev/null 2>&1
        podman wait benchlogs_talker_1 >/dev/null
        lines=$(podman logs benchlogs_talker_1 | wc -l)
        echo "podman logs: $lines lines" | tee -a "$summary"
        args+=(-n "podman logs CONTAINER" "podman logs benchlogs_talker_1")
    fi
    bench logs-1M "$runs" --warmup 1 "${args[@]}"
    # The compose front ends of the peers are much slower (Python); fewer runs.
    args=()
    if uses docker-compose; then
        args+=(-n "docker-compose logs --no-color talker" "docker-compose -p $project -f $file logs --no-color talker")
    fi
    if uses podman-compose; then
        args+=(-n "podman-compose logs talker" "podman-compose -p $project -f $file logs talker")
    fi
    if [ ${#args[@]} -gt 0 ]; then bench logs-1M-compose "$peer_runs" "${args[@]}"; fi
}

case $what in
    all) updown; logs ;;
    updown) updown ;;
    logs) logs ;;
    *) echo "usage: orchestrate.sh [all|updown|logs]" >&2; exit 2 ;;
esac
echo "# done $(date -u +%FT%TZ) load $(load)" >> "$summary"
echo "summary: $summary"
