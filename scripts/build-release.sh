#!/usr/bin/env bash
# The release build every script uses (main job, benchmarks): berth with the
# Swift runtime and Foundation linked statically (startup 7.7 ms instead of
# 12.5 ms for `berth --version`, measured with hyperfine), berth-monitor
# (a static executable), berth-dns, berth-init (static C, the `--init` PID 1)
# and berth-linkdel (static C, deletes bridges in the background),
# side by side in one bin directory.
# libyaml, zlib and libzstd are linked statically too (fewer shared objects to
# load and relocate at every start; bench/README.md has the numbers): the
# pkg-config files SwiftPM reads (PKG_CONFIG_PATH) point -lyaml/-lz/-lzstd at
# a directory holding only their .a archives. libnftables is not linked at all
# (dlopen-ed at first use). berth itself ends up a static executable (below).
# Prints that directory.
set -euo pipefail
cd "$(dirname "$0")/.."
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
static_libs=$PWD/.build/static-libs
mkdir -p "$static_libs/pkgconfig"
for pc in yaml-0.1:libyaml zlib:libz libzstd:libzstd; do
    name=${pc%%:*} lib=${pc##*:}
    archive=/usr/lib/$multiarch/$lib.a
    original=$(pkg-config --variable=pcfiledir "$name")/$name.pc
    [ -f "$archive" ] || { echo "build-release: $archive missing (scripts/deps.sh installs it)" >&2; exit 1; }
    ln -sf "$archive" "$static_libs/$lib.a"
    # Same Cflags (so nothing recompiles); Libs point at the archive only.
    sed "s|^Libs:.*|Libs: -L$static_libs -l${lib#lib}|" "$original" > "$static_libs/pkgconfig/$name.pc.tmp"
    mv "$static_libs/pkgconfig/$name.pc.tmp" "$static_libs/pkgconfig/$name.pc"
done
export PKG_CONFIG_PATH=$static_libs/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
# libstdc++ (the Swift runtime's C++ library) linked in as well: the
# toolchain asks for `-lstdc++`, which finds this archive first in
# $static_libs (searched before the system directories). ld.so then no
# longer maps libstdc++.so, applies its relocations and looks up the ~770
# C++ type-info symbols of the Swift runtime in it at every start:
# `berth --version` 3.5 → 2.3 ms. (GCC's runtime library exception allows
# linking it into any program.)
libstdcxx=$(gcc -print-file-name=libstdc++.a)
[ -f "$libstdcxx" ] || { echo "build-release: libstdc++.a missing (scripts/deps.sh installs libstdc++-12-dev)" >&2; exit 1; }
ln -sf "$libstdcxx" "$static_libs/libstdc++.a"
flags=(-c release --static-swift-stdlib)
# Type metadata is reached through direct accessor calls instead of mangled
# type names: the runtime otherwise demangles each generic type the first
# time each call site needs it, checking its generic requirements by
# scanning the binary's protocol conformances (215 demanglings in a
# `config` of 200 services, ~1 ms; 86 remain, from the prebuilt runtime
# and Foundation). Costs ~0.2 MB of code.
flags+=(-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors)
# No symbol of the executables is exported (SwiftPM links executables with
# --export-dynamic): 13k fewer dynamic symbols for ld.so to hash and look
# through at every start, and for the runtime's `dladdr` at start to walk
# (~0.15 ms of a `berth --version`). Nothing looks berth's own symbols up
# dynamically (dlsym is only used on libc and the dlopen-ed libnftables,
# which then cannot bind to the libraries linked into berth either).
flags+=(-Xlinker --no-export-dynamic)
# Position-dependent executables (the Swift driver links them as PIE): the
# ~88k R_X86_64_RELATIVE relocations of the Swift metadata and witness
# tables no longer wait for ld.so at every start, and the ~260 pages of
# .data.rel.ro and .data they patched stay shared with the page cache
# instead of being copied on write. `berth --version` 4.3 → 3.3 ms (packed
# DT_RELR relocations through lld: 4.4 ms, the copies remain). What this
# gives up is the randomized load address of the executable image itself;
# its libraries, heap, stacks and mappings are still randomized (as for
# Go's default static binaries, e.g. Docker's).
flags+=(-Xlinker -no-pie)
# Every function in a section of its own (as the Swift runtime's and
# Foundation's archives already have them), so that berth's link can put
# the functions a `run` executes next to each other (scripts/berth.order).
# The compiler rewrites an object only when its code changed, and this flag
# changes none of it: objects from a build before it would keep their
# single .text, so they are rebuilt once here.
flags+=(-Xswiftc -Xfrontend -Xswiftc -function-sections)
flags+=(-Xlinker -L"$static_libs")
bin=$(swift build "${flags[@]}" --show-bin-path)
probe=$bin/Runtime.build/Launcher.swift.o
if [ -f "$probe" ] && ! readelf -SW "$probe" | grep -q ' \.text\.'; then
    find "$bin" -name '*.swift.o' -delete
fi
# Extra products named as arguments (a bench's harness) get the same flags,
# so that no build with other flags recompiles the shared modules.
for product in berth berth-monitor berth-dns berth-init berth-linkdel "$@"; do
    swift build "${flags[@]}" --product "$product" >&2
done
# berth itself becomes a static executable, as berth-monitor is: no dynamic
# loader mapping and relocating libc, libm and libgcc_s at every start (exec
# to the first thing `run` does: 1.75–1.89 → 0.88 ms, medians of 24 runs).
# SwiftPM has no per-product way to say so in a --static-swift-stdlib build
# (linkerSettings apply to debug builds too, whose Foundation cannot link
# statically), so the link command it runs for berth is run again with
# -static-executable instead of -static-stdlib. glibc's static dlopen still
# loads libnftables (same glibc, this machine's), and getpwuid (`top`) still
# reads /etc/passwd; the linker warns about both.
# That link goes through lld (the toolchain's own ld.lld), not gold: its
# layout puts the read-only data (Swift's metadata sections, .rodata,
# .eh_frame) in a segment of its own before the code, and a start touches
# fewer 64 KiB fault-around windows: `berth --version` 352 → 289 page
# faults, 2.2 → 1.8 ms (fresh copies, `perf stat -r 50`). lld also puts the
# functions `run` executes first, next to each other (scripts/berth.order,
# made by scripts/make-berth-order.sh; a name it no longer finds is
# skipped): the CLI's page faults in a `run --rm` 384 → 301 (482 with
# function sections and no order). berth-monitor
# gains nothing from lld alone (96 → 98 faults) and its resident set grows
# (1052 → 1200 kB), so it stays with gold.
rm -f "$bin/berth"
link=$(swift build "${flags[@]}" --product berth -v 2>&1 | grep -F -- " -emit-executable " | grep -F -- " -o $bin/berth " | tail -n 1)
[ -n "$link" ] && [ "${link/ -static-stdlib / }" != "$link" ] || {
    echo "build-release: SwiftPM's link command for berth not found" >&2; exit 1; }
order=(-use-ld=lld -Xlinker --symbol-ordering-file="$PWD/scripts/berth.order" -Xlinker --no-warn-symbol-ordering)
if ! eval "${link/ -static-stdlib / -static-executable ${order[*]} }" > "$bin/berth-static-link.log" 2>&1; then
    cat "$bin/berth-static-link.log" >&2
    exit 1
fi
echo "$bin"
