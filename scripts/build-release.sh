#!/usr/bin/env bash
# The release build every script uses (main job, benchmarks): berth with the
# Swift runtime and Foundation linked statically (startup 7.7 ms instead of
# 12.5 ms for `berth --version`, measured with hyperfine), berth-monitor
# (a static executable), berth-dns and berth-init (static C, the `--init` PID 1),
# side by side in one bin directory.
# Prints that directory.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in berth berth-monitor berth-dns berth-init; do
    swift build -c release --static-swift-stdlib --product "$product" >&2
done
swift build -c release --static-swift-stdlib --show-bin-path
