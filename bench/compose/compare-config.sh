#!/bin/sh
# Compares what two berth binaries print for `berth config` on every compose
# file of the shared corpus, compose-samples/, examples/ and a generated
# 200-service file: stdout, stderr and exit status must be byte-identical
# (YAML and JSON output, --services/--images/--hash, --no-interpolate).
# Used to check that a loader optimization changes no behaviour.
#   bench/compose/compare-config.sh OLD_BERTH NEW_BERTH
# Prints one line per difference and a summary; exits 1 when any differ.
set -euf   # -f: no globbing ("--hash *" is passed as is)
old=$1
new=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/berth-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/big"
python3 "$here/generate.py" 200 > "$work/big/compose.yaml"
list="$work/files"
{
    find "$repo/../shared/corpus/compose" -type f \( -name '*.yml' -o -name '*.yaml' \) ! -path '*/expected-*'
    find "$repo/compose-samples" "$repo/examples" -type f \( -name '*.yml' -o -name '*.yaml' \)
    echo "$work/big/compose.yaml"
} | sort > "$list"
files=0
runs=0
ok=0
diffs=0
while read -r f; do
    files=$((files + 1))
    dir=$(dirname "$f")
    for args in "" "--format json" "--services" "--images" "--hash *" "--no-interpolate" "-q"; do
        runs=$((runs + 1))
        for which in old new; do
            eval bin=\$$which
            # shellcheck disable=SC2086
            (cd "$dir" && env -i HOME=/home/corpus PATH=/usr/bin:/bin "$bin" config $args -f "$f" \
                >"$work/$which.out" 2>"$work/$which.err"; echo $? >"$work/$which.rc") || true
        done
        [ "$(cat "$work/old.rc")" = 0 ] && ok=$((ok + 1))
        for part in out err rc; do
            if ! cmp -s "$work/old.$part" "$work/new.$part"; then
                diffs=$((diffs + 1))
                echo "DIFF ($part) config $args -f $f"
            fi
        done
    done
done < "$list"
echo "compared $runs runs over $files files ($ok exited 0): $diffs differences"
[ "$diffs" -eq 0 ]
