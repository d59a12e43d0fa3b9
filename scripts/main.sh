#!/usr/bin/env bash
# The main job (README.md): builds berth, prepares the busybox base image
# offline (Debian's busybox-static, no registry), and brings up the example
# stack in examples/hello-stack: a web server on 127.0.0.1:8080, a worker
# that waits for it to be healthy, and a one-shot job seeding a volume.
# The stack stays up; `berth -f examples/hello-stack/compose.yaml down`
# removes it (MAIN_DOWN=1 does that at the end of this script).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
bin=$(./scripts/build-release.sh)
berth=$bin/berth
stack=examples/hello-stack/compose.yaml

echo "== base image: busybox:latest from Debian's busybox-static"
rootfs=$(mktemp --suffix=.tar)
trap 'rm -f "$rootfs"' EXIT
./scripts/make-busybox-rootfs.sh "$rootfs"
"$berth" import "$rootfs" busybox:latest
"$berth" images busybox

echo "== berth config (examples/hello-stack)"
"$berth" -f "$stack" config

echo "== berth up -d (examples/hello-stack)"
"$berth" -f "$stack" up -d
"$berth" -f "$stack" compose ps

echo "== the web service answers on the host"
/bin/busybox wget -q -O - http://127.0.0.1:8080/

echo "== the worker reached web by name and read the seeded volume"
for _ in $(seq 1 50); do
    logs=$("$berth" -f "$stack" compose logs --no-color worker)
    [ "$(printf '%s\n' "$logs" | wc -l)" -ge 2 ] && break
    sleep 0.2
done
printf '%s\n' "$logs"

if [ "${MAIN_DOWN:-0}" = 1 ]; then
    echo "== berth down -v"
    "$berth" -f "$stack" down -v
else
    echo "== the stack is up; remove it with: $berth -f $stack down -v"
fi
