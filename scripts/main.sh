#!/usr/bin/env bash
# The main job (README.md): builds berth and validates the example stack.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
swift build -c release --product berth
berth=.build/release/berth

echo "== berth config (examples/hello-stack)"
"$berth" -f examples/hello-stack/compose.yaml config
