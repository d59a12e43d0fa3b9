#!/usr/bin/env bash
# Container start benchmark: berth's full setup (bench-only driver
# berth-bench-spawn: namespaces, cgroup with memory+pids limits, Docker's
# default caps, seccomp, masked/read-only paths, /dev) versus `crun run` and
# `runc run` of an equivalent OCI bundle, each running busybox `true`.
# Also compares three link modes of the driver: dynamic Swift stdlib,
# -static-stdlib, and -static-executable.
# Usage (root): bench/runtime/run.sh [RUNS]     → medians + ratios on stdout,
#                                                 raw JSON in bench/results/ (ignored by git)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-100}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }

"$(dirname "$0")/../../scripts/apt-ensure.sh" crun runc hyperfine jq busybox-static

echo "building berth-bench-spawn (dynamic, -static-stdlib, -static-executable)…" >&2
swift build -c release --product berth-bench-spawn >/dev/null
swift build -c release --product berth-bench-spawn --static-swift-stdlib --scratch-path .build-static >/dev/null
swift build -c release --product berth-bench-spawn --static-swift-stdlib -Xswiftc -static-executable \
    --scratch-path .build-static-exe >/dev/null
DYN=$PWD/.build/release/berth-bench-spawn
STD=$PWD/.build-static/release/berth-bench-spawn
EXE=$PWD/.build-static-exe/release/berth-bench-spawn

WORK=$(mktemp -d /tmp/berth-bench-runtime.XXXXXX)
cleanup() { umount -R "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/etc"
cp /bin/busybox "$WORK/bundle/rootfs/bin/"
for a in sh true; do ln -s busybox "$WORK/bundle/rootfs/bin/$a"; done
ROOT=$WORK/bundle/rootfs

# The OCI bundle: runc's default spec + what berth sets up by default.
cd "$WORK/bundle"
runc spec
deny='["mount","umount2","unshare","setns","pivot_root","fsopen","fsconfig","fsmount","fspick","open_tree","move_mount","mount_setattr","quotactl","swapon","swapoff","bpf","perf_event_open","open_by_handle_at","init_module","finit_module","delete_module","reboot","settimeofday","clock_settime","clock_adjtime","syslog","acct","iopl","ioperm","kexec_load","kexec_file_load","keyctl","add_key","request_key","userfaultfd","io_uring_setup","io_uring_enter","io_uring_register"]'
caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
jq --argjson deny "$deny" --argjson caps "$caps" '
  .process.args = ["/bin/true"] | .process.terminal = false | .root.readonly = false | .hostname = "bench"
  | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
  | .linux.namespaces += [{type: "cgroup"}]
  | .linux.resources.memory = {limit: 268435456} | .linux.resources.pids = {limit: 256}
  | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
                      syscalls: [{names: $deny, action: "SCMP_ACT_ERRNO", errnoRet: 1}]}
' config.json > config.tmp && mv config.tmp config.json
cd - >/dev/null

# Sanity: every runner works before timing.
"$DYN" "$ROOT"; "$STD" "$ROOT"; "$EXE" "$ROOT"
# crun 1.8 refuses hybrid cgroup hosts whose v2 mount has a controller
# ("cgroups in hybrid mode not supported", even with --cgroup-manager=disabled).
# There crun runs in a mount namespace without the v2 mount; the wrapper's own
# cost is measured as its own row ("wrapper only") so it can be subtracted.
CRUN="crun run --bundle $WORK/bundle berth-bench-crun"
WRAP_TRUE="true"
if ! crun run --bundle "$WORK/bundle" berth-bench-crun 2>/dev/null; then
    CRUN="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun run --bundle $WORK/bundle berth-bench-crun'"
    WRAP_TRUE="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec true'"
    sh -c "$CRUN"
fi
runc run --bundle "$WORK/bundle" berth-bench-runc

mkdir -p bench/results
OUT=bench/results/runtime-start-$(date -u +%Y%m%dT%H%M%SZ).json
hyperfine --shell=none --warmup 10 --runs "$RUNS" --export-json "$OUT" \
    -n "berth (dynamic stdlib)" "$DYN $ROOT" \
    -n "berth (-static-stdlib)" "$STD $ROOT" \
    -n "berth (-static-executable)" "$EXE $ROOT" \
    -n "berth (-static-executable, no cgroup)" "$EXE --no-cgroup $ROOT" \
    -n "crun run" "$CRUN" \
    -n "crun wrapper only" "$WRAP_TRUE" \
    -n "runc run" "runc run --bundle $WORK/bundle berth-bench-runc" >&2

echo "crun invoked as: $CRUN"
echo "medians (ms) and ratio to crun:"
jq -r '(.results[] | select(.command == "crun run") | .median) as $crun
       | .results[] | "\(.command)\t\(.median * 1000 | . * 100 | round / 100) ms\t\(.median / $crun | . * 100 | round / 100)x"' "$OUT"
echo "binary sizes:"; ls -la "$DYN" "$STD" "$EXE" | awk '{print $5, $9}'
echo "raw: $OUT"
