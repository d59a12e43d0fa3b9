#!/usr/bin/env bash
# Builds a minimal Debian root filesystem tarball with debootstrap, for
# `berth import OUT.tar debian:bookworm`. Needs root and Debian's archive
# (MIRROR, default: the first deb.debian.org-style URI apt is configured
# with, else http://deb.debian.org/debian).
#
#   scripts/make-debian-rootfs.sh OUT.tar [SUITE]
#
# When the archive cannot be reached (offline machine), the script says so
# and exits 2 without writing OUT.tar. Fallbacks, in order:
#   1. point MIRROR at a reachable mirror or a local `apt-cacher-ng`;
#   2. build on a machine that can reach it and carry the tarball over
#      (`berth import` needs nothing else), or `berth save`/`berth load`
#      the resulting image;
#   3. use the busybox image (scripts/make-busybox-rootfs.sh), which needs
#      only the local busybox-static package.
# The output is reproducible up to package versions: SOURCE_DATE_EPOCH
# (default 0) sets every mtime, names are sorted, owners are numeric.
set -euo pipefail

out=${1:?usage: make-debian-rootfs.sh OUTPUT.tar [SUITE]}
suite=${2:-bookworm}
if [ "$(id -u)" != 0 ]; then
    echo "make-debian-rootfs: needs root (debootstrap chroots and creates device nodes)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "make-debian-rootfs: debootstrap not found; install it (scripts/deps.sh)" >&2
    exit 1
fi
mirror=${MIRROR:-http://deb.debian.org/debian}
if command -v curl >/dev/null 2>&1 && ! curl -fsS -m 15 -o /dev/null "$mirror/dists/$suite/Release"; then
    echo "make-debian-rootfs: cannot reach $mirror/dists/$suite/Release; see the fallbacks at the top of this script" >&2
    exit 2
fi

stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'umount -R "$stage/proc" 2>/dev/null || true; rm -rf "$stage"' EXIT
debootstrap --variant=minbase --include=ca-certificates "$suite" "$stage" "$mirror"
# Caches and logs that make the tree differ run to run.
rm -rf "$stage"/var/cache/apt/*.bin "$stage"/var/lib/apt/lists/* "$stage"/var/log/* \
       "$stage"/var/cache/debconf/*-old "$stage"/var/lib/dpkg/*-old "$stage"/tmp/* "$stage"/root/.bash_history
: >"$stage/etc/machine-id"
echo "$suite" >"$stage/etc/hostname"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@"${SOURCE_DATE_EPOCH:-0}" --numeric-owner --xattrs --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$stage" -cf "$out.tmp.$$" .
mv "$out.tmp.$$" "$out"
echo "$out: Debian $suite ($(du -h "$out" | cut -f1))"
