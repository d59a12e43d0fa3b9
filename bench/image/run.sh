#!/usr/bin/env bash
# Image unpack benchmark (issue 3): berth's load of a generated ~200 MB,
# 5-layer image vs GNU tar extracting the same gzip layers, and vs
# `skopeo copy docker-archive:… oci:…`. Needs root (berth load mounts
# overlays), hyperfine, skopeo. Results go to bench/results/image/.
#
#   bench/image/run.sh [path/to/berth]      (default .build/release/berth)
#
# ratio = tar time / berth time: ≥ 1.0 means berth loads at least as fast
# as GNU tar extracts. berth's time includes what tar does not do: storing
# and fsyncing the blobs, verifying both digests of every layer, and one
# syncfs per snapshot. The tar run ends with `sync` to be comparable.
set -euo pipefail
cd "$(dirname "$0")/../.."
berth=$(realpath "${1:-.build/release/berth}")
work=bench/results/image
mkdir -p "$work"
[ -f "$work/image.tar" ] || python3 bench/image/generate.py "$work"
# SCRATCH_DIR=/dev/shm measures without the disk (tmpfs), which on a shared,
# I/O-bound machine is the steadier comparison of the work each tool does.
scratch=$(mktemp -d "${SCRATCH_DIR:-/var/tmp}/berth-bench-XXXXXX")
trap 'rm -rf "$scratch"' EXIT

tar_cmd="mkdir -p $scratch/tar && for l in $work/layers/layer*.tar.gz; do tar -xzf \$l -C $scratch/tar; done && sync"
berth_cmd="BERTH_ROOT=$scratch/root BERTH_RUN=$scratch/run $berth load -q -i $work/image.tar"
skopeo_cmd="skopeo copy -q docker-archive:$work/image.tar oci:$scratch/oci:bench"

hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$work/hyperfine${SCRATCH_DIR:+-$(basename "$SCRATCH_DIR")}.json" \
    --prepare "rm -rf $scratch/tar $scratch/root $scratch/run $scratch/oci; sync" \
    -n "tar -xzf (5 layers)" "$tar_cmd" \
    -n "berth load" "$berth_cmd" \
    -n "skopeo copy docker-archive→oci" "$skopeo_cmd"

python3 - "$work/hyperfine${SCRATCH_DIR:+-$(basename "$SCRATCH_DIR")}.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
tar, berth, skopeo = r["tar -xzf (5 layers)"], r["berth load"], r["skopeo copy docker-archive→oci"]
print(f"tar -xzf: {tar:.3f}s  berth load: {berth:.3f}s  skopeo copy: {skopeo:.3f}s")
print(f"ratio tar/berth = {tar / berth:.2f}  (goal ≥ 1.0)")
print(f"ratio skopeo/berth = {skopeo / berth:.2f}")
PY
