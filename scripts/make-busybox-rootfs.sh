#!/usr/bin/env bash
# Builds a busybox root filesystem tarball from Debian's busybox-static
# package, with no registry: the static /bin/busybox, a symlink for every
# applet at the path `busybox --list-full` gives, /etc/passwd and /etc/group
# with root and nobody, and the usual empty directories (/tmp is 1777).
# The output is deterministic: sorted names, mtime 0, owner root:root.
#
#   scripts/make-busybox-rootfs.sh OUT.tar
#   berth import OUT.tar busybox:latest      # runs /bin/sh by default
set -euo pipefail

out=${1:?usage: make-busybox-rootfs.sh OUTPUT.tar}
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
    echo "make-busybox-rootfs: $busybox not found; install Debian's busybox-static (scripts/deps.sh)" >&2
    exit 1
fi
if ! "$busybox" --list-full >/dev/null 2>&1; then
    echo "make-busybox-rootfs: $busybox does not support --list-full" >&2
    exit 1
fi
if command -v file >/dev/null 2>&1 && ! file -L "$busybox" | grep -q 'statically linked'; then
    echo "make-busybox-rootfs: $busybox is not statically linked (install busybox-static, not busybox)" >&2
    exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,var/tmp,var/www,var/log,run,home,root,mnt}
install -m 0755 "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while read -r applet; do
    [ "$applet" = "bin/busybox" ] && continue
    dir=$(dirname "$applet")
    mkdir -p "$stage/$dir"
    # Relative links so the tree works wherever it is mounted.
    up=""
    if [ "$dir" != "." ]; then
        up=$(echo "$dir" | awk -F/ '{ for (i = 1; i <= NF; i++) printf "../" }')
    fi
    ln -sf "${up}bin/busybox" "$stage/$applet"
done
[ -e "$stage/bin/sh" ] || ln -s busybox "$stage/bin/sh"

cat >"$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$stage/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
GROUP
printf 'hosts: files dns\n' >"$stage/etc/nsswitch.conf"
chmod 0755 "$stage" "$stage"/{bin,sbin,usr,usr/bin,usr/sbin,etc,dev,proc,sys,var,var/www,var/log,run,home,mnt}
chmod 0644 "$stage/etc/passwd" "$stage/etc/group" "$stage/etc/nsswitch.conf"
chmod 1777 "$stage/tmp" "$stage/var/tmp"
chmod 0700 "$stage/root"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$stage" -cf "$out.tmp.$$" .
mv "$out.tmp.$$" "$out"
echo "$out: busybox $("$busybox" | head -1 | awk '{print $2}'), $("$busybox" --list | wc -l) applets"
