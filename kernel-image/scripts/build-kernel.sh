#!/usr/bin/env bash
# Builds Flint's guest kernel (vmlinux and bzImage) from Debian's linux-source-6.1 with the
# config fragment kept in this repository, cached under $FLINT_CACHE/kernel/<key>, where <key>
# is the first 16 hex digits of the fragment's sha256 (GuestImages computes the same key from
# the classpath resource). A cached build costs nothing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$(cd "$HERE/../src/main/resources/dev/flint/kernel" && pwd)/guest-kernel.config
FLINT_CACHE=${FLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flint}
SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz
BUILD_PACKAGES=(linux-source-6.1 flex bison bc libelf-dev libssl-dev xz-utils make gcc)

usage() {
    cat <<'USAGE'
Usage: kernel-image/scripts/build-kernel.sh [--print-dir] [-h|--help]

Builds Flint's guest kernel from Debian's linux-source-6.1: `make tinyconfig`, plus the
fragment kernel-image/src/main/resources/dev/flint/kernel/guest-kernel.config, then
`make vmlinux bzImage`. Output: $FLINT_CACHE/kernel/<key>/{vmlinux,bzImage,config}, where
<key> is the first 16 hex digits of the fragment's sha256 and FLINT_CACHE defaults to
${XDG_CACHE_HOME:-~/.cache}/flint. If that directory is complete, nothing is built.
Installs its build tools with apt-get when they are missing. A full build takes about
5 minutes on 2 cores; the build tree is kept, so a changed fragment rebuilds less.
Prints the output directory as its last line.

  --print-dir   print the output directory and exit, building nothing
USAGE
}

say() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { printf 'build-kernel: error: %s\n' "$*" >&2; exit 1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

install_tools() {
    local missing=()
    [[ -f $SOURCE_TARBALL ]] || missing+=(linux-source-6.1)
    for tool in flex bison bc make gcc xz readelf; do command -v "$tool" >/dev/null || missing+=("$tool"); done
    [[ -f /usr/include/libelf.h ]] || missing+=(libelf-dev)
    [[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
    [[ ${#missing[@]} -eq 0 ]] && return
    say "missing ${missing[*]}; installing ${BUILD_PACKAGES[*]}"
    apt_install() {
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${BUILD_PACKAGES[@]}" >&2
    }
    apt_install || { as_root apt-get update -q >&2 && apt_install; } || die "could not install ${BUILD_PACKAGES[*]}"
}

# Unpacks the kernel source once; reused by every later build.
unpack_source() {
    SRC=$FLINT_CACHE/kernel-src/linux-source-6.1
    [[ -f $SRC/Makefile ]] && return
    say "unpacking $SOURCE_TARBALL (once)..."
    mkdir -p "$FLINT_CACHE/kernel-src"
    rm -rf "$SRC.partial"
    mkdir -p "$SRC.partial"
    tar -xJf "$SOURCE_TARBALL" -C "$SRC.partial" --strip-components=1
    mv "$SRC.partial" "$SRC"
}

# tinyconfig + fragment + olddefconfig, then checks that the fragment's choices all survived.
configure() {
    say "configuring: tinyconfig + $(basename "$FRAGMENT") (key $KEY)"
    mkdir -p "$BUILD"
    make -s -C "$SRC" O="$BUILD" ARCH=x86_64 tinyconfig >"$BUILD/config.log" 2>&1 \
        || { cat "$BUILD/config.log" >&2; die "make tinyconfig failed"; }
    "$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" "$FRAGMENT" >>"$BUILD/config.log" 2>&1 \
        || { cat "$BUILD/config.log" >&2; die "merging $FRAGMENT failed"; }
    make -s -C "$SRC" O="$BUILD" ARCH=x86_64 olddefconfig >>"$BUILD/config.log" 2>&1 \
        || { cat "$BUILD/config.log" >&2; die "make olddefconfig failed"; }
    local dropped=() line
    while IFS= read -r line; do
        if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=y$ ]]; then
            grep -qx "${BASH_REMATCH[1]}=y" "$BUILD/.config" || dropped+=("${BASH_REMATCH[1]}")
        elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
            if grep -qx "${BASH_REMATCH[1]}=[ym]" "$BUILD/.config"; then dropped+=("${BASH_REMATCH[1]}(forced on)"); fi
        fi
    done <"$FRAGMENT"
    [[ ${#dropped[@]} -eq 0 ]] || die "olddefconfig did not keep these options of $FRAGMENT (missing dependencies?): ${dropped[*]}"
}

# make vmlinux bzImage in the background, with a progress line every 30 s.
compile() {
    say "compiling vmlinux and bzImage with $(nproc) jobs (a full build is about 5 minutes on 2 cores)..."
    local log=$BUILD/build.log start=$SECONDS
    make -C "$SRC" O="$BUILD" ARCH=x86_64 -j"$(nproc)" vmlinux bzImage >"$log" 2>&1 &
    make_pid=$!
    trap 'kill "$make_pid" 2>/dev/null || true' EXIT INT TERM
    while kill -0 "$make_pid" 2>/dev/null; do
        sleep 30 &
        wait $! || true
        if kill -0 "$make_pid" 2>/dev/null; then
            say "... $((SECONDS - start)) s, $(grep -c '^  CC' "$log" || true) files compiled, at: $(tail -n 1 "$log" | cut -c1-60)"
        fi
    done
    wait "$make_pid" || { tail -n 30 "$log" >&2; die "kernel build failed; full log: $log"; }
    trap - EXIT INT TERM
    say "compiled in $((SECONDS - start)) s"
}

main() {
    case ${1:-} in
        -h|--help) usage; exit 0 ;;
        --print-dir|"") ;;
        *) printf 'build-kernel: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
    esac
    KEY=$(sha256sum "$FRAGMENT" | cut -c1-16)
    OUT=$FLINT_CACHE/kernel/$KEY
    if [[ ${1:-} == --print-dir || ( -f $OUT/vmlinux && -f $OUT/bzImage ) ]]; then
        echo "$OUT"
        exit 0
    fi

    # One build at a time: two makes in one build tree corrupt each other's objects. The lock
    # is an open file descriptor, released however this script ends (make's children inherit
    # it, so an orphaned make keeps it until it finishes).
    mkdir -p "$FLINT_CACHE/kernel"
    exec 9>"$FLINT_CACHE/kernel/.build.lock"
    if ! flock -n 9; then
        say "another kernel build holds $FLINT_CACHE/kernel/.build.lock; waiting for it..."
        flock 9
        if [[ -f $OUT/vmlinux && -f $OUT/bzImage ]]; then
            echo "$OUT"
            exit 0
        fi
    fi

    install_tools
    unpack_source
    BUILD=$FLINT_CACHE/kernel-build/linux-6.1
    configure
    compile

    # The VMM loads vmlinux's PT_LOAD segments at their physical addresses and enters at e_entry.
    local entry
    entry=$(readelf -h "$BUILD/vmlinux" | awk '/Entry point address:/ {print $4}')
    [[ $entry == 0x1000000 ]] || die "vmlinux's entry point is $entry, expected physical 0x1000000"

    rm -rf "$OUT.partial"
    mkdir -p "$OUT.partial"
    cp "$BUILD/vmlinux" "$OUT.partial/vmlinux"
    cp "$BUILD/arch/x86/boot/bzImage" "$OUT.partial/bzImage"
    cp "$BUILD/.config" "$OUT.partial/config"
    rm -rf "$OUT"
    mv "$OUT.partial" "$OUT"
    say "vmlinux $(du -h "$OUT/vmlinux" | cut -f1), bzImage $(du -h "$OUT/bzImage" | cut -f1)"
    echo "$OUT"
}

# Everything runs from main, parsed in full before it starts: editing this file while a build
# runs cannot change what the running build does.
main "$@"
exit
