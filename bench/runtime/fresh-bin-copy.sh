#!/usr/bin/env bash
# fresh-bin-copy.sh BIN_DIR DEST: copies berth's executables from BIN_DIR
# into DEST (replaced) through write(2), as an installer writes them, and
# prints DEST. Benchmarks run what they compare from such copies, taken at
# their start: on this VM the page cache of an executable ages (DAMON's
# proactive reclaim pages out its cold pages, which come back through exec's
# faults, 4 KiB at a time), and an hour-old copy ran `berth run --rm
# busybox true` 0.6-0.9 ms slower than a fresh copy of the same bytes
# (interleaved, 60 runs each, copies made half an hour apart); a freshly linked one sits in the linker's
# 4 KiB pages (`berth --version`: 324 page faults and 1.6 ms of CPU,
# against 311 and 1.35 ms for a fresh copy).
#
# EVICTED=1: the copies are then written back and dropped from the page
# cache (fadvise DONTNEED), so that the runs fault them in as they would
# after such a page-out: the aged state, for a comparison with an installed
# program that has been sitting on this VM (crun).
set -euo pipefail
src=$1 dest=$2
rm -rf "$dest"
mkdir -p "$dest"
for f in berth berth-monitor berth-dns berth-init berth-linkdel; do
    [ -e "$src/$f" ] || continue
    cat "$src/$f" > "$dest/$f"
    chmod 755 "$dest/$f"
    if [ -n "${EVICTED:-}" ]; then
        sync "$dest/$f"
        dd if="$dest/$f" iflag=nocache count=0 status=none
    fi
done
echo "$dest"
