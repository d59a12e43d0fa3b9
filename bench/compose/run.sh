#!/bin/sh
# Times compose parse + normalize + validate: berth (release build) side by
# side with docker-compose v1 (`docker-compose config`), in one hyperfine run
# so the ratio is measured under the same load.
#   bench/compose/run.sh            # 200-service file + the whole corpus
#   SERVICES=500 RUNS=20 bench/compose/run.sh
# Results: bench/results/compose-*.{json,md} (gitignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results="$repo/bench/results"
services=${SERVICES:-200}
runs=${RUNS:-10}
mkdir -p "$results"

# Tools: hyperfine and docker-compose v1 come from apt; install when missing.
"$repo/scripts/apt-ensure.sh" hyperfine docker-compose

berth="$("$repo/scripts/build-release.sh" 2>/dev/null)/berth"

# The generated file lives in its own project directory (relative paths in it
# resolve there).
work="$results/compose-work"
rm -rf "$work"
mkdir -p "$work/big"
python3 "$here/generate.py" "$services" > "$work/big/compose.yaml"
big="$work/big/compose.yaml"

# Both tools must accept the file, or the timing means nothing.
"$berth" config -q -f "$big"
docker-compose -f "$big" config -q

hyperfine --warmup 3 --runs "$runs" -N \
    --export-json "$results/compose-big.json" \
    --export-markdown "$results/compose-big.md" \
    -n "berth config -q ($services services)" "$berth config -q -f $big" \
    -n "docker-compose config ($services services)" "docker-compose -f $big config"

# The corpus as a whole: every compose file under ../shared/corpus/compose,
# one process per file, errors ignored (some files are invalid on purpose or
# need variables their tests set), so both tools do the same work.
corpus="$repo/../shared/corpus/compose"
list="$work/corpus-files"
find "$corpus" -type f \( -name 'compose*.y*ml' -o -name 'docker-compose*.y*ml' \) | sort > "$list"
count=$(wc -l < "$list")
cat > "$work/corpus-berth.sh" <<SCRIPT
while read -r f; do "$berth" config -q -f "\$f" >/dev/null 2>&1 || true; done < "$list"
SCRIPT
cat > "$work/corpus-docker-compose.sh" <<SCRIPT
while read -r f; do docker-compose -f "\$f" config >/dev/null 2>&1 || true; done < "$list"
SCRIPT
hyperfine --warmup 1 --runs "${CORPUS_RUNS:-3}" \
    --export-json "$results/compose-corpus.json" \
    --export-markdown "$results/compose-corpus.md" \
    -n "berth config -q (corpus, $count files)" "sh $work/corpus-berth.sh" \
    -n "docker-compose config (corpus, $count files)" "sh $work/corpus-docker-compose.sh"

# Medians and ratios from hyperfine's JSON. User CPU time is printed too:
# on a loaded machine wall time is mostly waiting for a core.
python3 - "$results/compose-big.json" "$results/compose-corpus.json" <<'PY' | tee "$results/compose-summary.txt"
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))["results"]
    b, d = r[0], r[1]
    print(f"{b['command']}: median {b['median']*1000:.1f} ms (user CPU mean {b['user']*1000:.1f} ms)")
    print(f"{d['command']}: median {d['median']*1000:.1f} ms (user CPU mean {d['user']*1000:.1f} ms)")
    print(f"  ratio docker-compose/berth: {d['median']/b['median']:.1f}x wall (median), "
          f"{d['user']/b['user']:.1f}x user CPU (mean)")
PY
