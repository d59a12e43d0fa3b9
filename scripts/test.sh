#!/usr/bin/env bash
# The test command (README.md, .ci/run): installs what it needs, builds,
# runs the unit tests, then the root integration tests one suite at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh
swift build --build-tests

# An interrupted earlier run may have left test roots behind: converge them
# with berth itself, then note whatever berth-looking objects remain so the
# final check counts only what this run leaves.
./scripts/reap-test-roots.sh
baseline=$(mktemp)
trap 'rm -f "$baseline"' EXIT
./scripts/leak-check.sh --record "$baseline"

# Unit tests (pure, parallel), then integration tests (root, serialized).
swift test --skip-build --skip IntegrationTests
if [ -d Tests/IntegrationTests ]; then
    swift test --skip-build --filter IntegrationTests --no-parallel
fi

# Nothing of berth may be left behind by the suite.
./scripts/leak-check.sh --since "$baseline"
