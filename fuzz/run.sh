#!/bin/sh
# Builds the libFuzzer harness and runs it.
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags…]     (default 600 seconds)
# The seed corpus is made at run time from ../shared/corpus (never copied into
# the repository): fuzz/corpus-run/ (gitignored) keeps what libFuzzer finds
# between runs; crashes land in fuzz/artifacts/ (gitignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
seconds=${1:-600}
[ $# -gt 0 ] && shift

swift build --package-path "$here" -c debug \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
bin=$(swift build --package-path "$here" -c debug --show-bin-path)/BerthFuzz

corpus="$here/corpus-run"
mkdir -p "$corpus" "$here/artifacts"
shared="$repo/../shared/corpus/compose"
if [ -d "$shared" ]; then
    # Content-addressed names: re-seeding is idempotent.
    find "$shared" -type f \( -name '*.yaml' -o -name '*.yml' \) | while read -r f; do
        cp "$f" "$corpus/seed-$(sha1sum "$f" | cut -c1-16)"
    done
fi

# Leak checking stays on; only one-time global initializers are suppressed.
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec "$bin" "$corpus" \
    -dict="$here/yaml.dict" \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$here/artifacts/" \
    "$@"
