#!/usr/bin/env bash
# The main job (README.md): builds berth, prepares the busybox base image
# offline (Debian's busybox-static, no registry), and works on the example
# stack in examples/hello-stack.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
swift build -c release --product berth
berth=.build/release/berth

echo "== base image: busybox:latest from Debian's busybox-static"
rootfs=$(mktemp --suffix=.tar)
trap 'rm -f "$rootfs"' EXIT
./scripts/make-busybox-rootfs.sh "$rootfs"
"$berth" import "$rootfs" busybox:latest
"$berth" images busybox

echo "== berth config (examples/hello-stack)"
"$berth" -f examples/hello-stack/compose.yaml config
