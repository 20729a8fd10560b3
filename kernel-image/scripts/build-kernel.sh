#!/usr/bin/env bash
# Builds Flint's guest kernel (vmlinux and bzImage) from Debian's linux-source-6.1 with the
# config fragment kept in this repository, cached under $FLINT_CACHE/kernel/<key>, where <key>
# is the first 16 hex digits of the fragment's sha256. A cached build costs nothing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=$HERE/../src/main/resources/dev/flint/kernel/guest-kernel.config
FLINT_CACHE=${FLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flint}
SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz
BUILD_PACKAGES=(linux-source-6.1 flex bison bc libelf-dev libssl-dev xz-utils make gcc)

usage() {
    cat <<'USAGE'
Usage: kernel-image/scripts/build-kernel.sh [--print-dir] [-h|--help]

Builds Flint's guest kernel from Debian's linux-source-6.1: `make tinyconfig`, plus the
fragment kernel-image/src/main/resources/dev/flint/kernel/guest-kernel.config, then
`make vmlinux bzImage`. Output: $FLINT_CACHE/kernel/<key>/{vmlinux,bzImage,config}, where
<key> is the first 16 hex digits of the fragment's sha256 (FLINT_CACHE defaults to
~/.cache/flint). If that directory is complete, nothing is built. Installs its build tools
with apt-get when missing. Prints the output directory as its last line.

  --print-dir   print the output directory and exit, building nothing
USAGE
}

say() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { printf 'build-kernel: error: %s\n' "$*" >&2; exit 1; }

KEY=$(sha256sum "$FRAGMENT" | cut -c1-16)
OUT=$FLINT_CACHE/kernel/$KEY

case ${1:-} in
    -h|--help) usage; exit 0 ;;
    --print-dir) echo "$OUT"; exit 0 ;;
    "") ;;
    *) printf 'build-kernel: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
esac

if [[ -f $OUT/vmlinux && -f $OUT/bzImage ]]; then
    echo "$OUT"
    exit 0
fi

# One build at a time: concurrent makes in one build tree corrupt each other's objects. The
# lock is an open file descriptor, so it is released however this script ends (make's children
# inherit it, so an orphaned make keeps it until it finishes).
mkdir -p "$FLINT_CACHE/kernel"
exec 9>"$FLINT_CACHE/kernel/.build.lock"
if ! flock -n 9; then
    say "another kernel build is running (lock $FLINT_CACHE/kernel/.build.lock); waiting for it..."
    flock 9
fi
if [[ -f $OUT/vmlinux && -f $OUT/bzImage ]]; then
    echo "$OUT"
    exit 0
fi

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
missing=()
[[ -f $SOURCE_TARBALL ]] || missing+=(linux-source-6.1)
for tool in flex bison bc make gcc xz; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[[ -f /usr/include/libelf.h ]] || missing+=(libelf-dev)
[[ -f /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing build tools: ${BUILD_PACKAGES[*]}"
    install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${BUILD_PACKAGES[@]}" >&2; }
    install || { as_root apt-get update -q >&2 && install; } || die "could not install ${BUILD_PACKAGES[*]}"
fi

SRC=$FLINT_CACHE/kernel-src/linux-source-6.1
if [[ ! -f $SRC/Makefile ]]; then
    say "unpacking $SOURCE_TARBALL..."
    mkdir -p "$FLINT_CACHE/kernel-src"
    rm -rf "$SRC.partial"
    mkdir -p "$SRC.partial"
    tar -xJf "$SOURCE_TARBALL" -C "$SRC.partial" --strip-components=1
    mv "$SRC.partial" "$SRC"
fi

BUILD=$FLINT_CACHE/kernel-build/$KEY
mkdir -p "$BUILD"
say "configuring (tinyconfig + $(basename "$FRAGMENT"), key $KEY)..."
make -s -C "$SRC" O="$BUILD" ARCH=x86_64 tinyconfig >"$BUILD/config.log" 2>&1
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" "$FRAGMENT" >/dev/null
make -s -C "$SRC" O="$BUILD" ARCH=x86_64 olddefconfig >&2

dropped=()
while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=y$ ]]; then
        grep -qx "${BASH_REMATCH[1]}=y" "$BUILD/.config" || dropped+=("${BASH_REMATCH[1]}")
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        if grep -qx "${BASH_REMATCH[1]}=[ym]" "$BUILD/.config"; then dropped+=("${BASH_REMATCH[1]}(forced on)"); fi
    fi
done < "$FRAGMENT"
[[ ${#dropped[@]} -eq 0 ]] || die "olddefconfig dropped these options of $(basename "$FRAGMENT") (missing dependencies?): ${dropped[*]}"

say "compiling vmlinux and bzImage with $(nproc) jobs (about 5 minutes on 2 cores)..."
start=$SECONDS
log=$BUILD/build.log
make -C "$SRC" O="$BUILD" ARCH=x86_64 -j"$(nproc)" vmlinux bzImage >"$log" 2>&1 &
make_pid=$!
trap 'kill $make_pid 2>/dev/null || true' EXIT INT TERM
while kill -0 "$make_pid" 2>/dev/null; do
    sleep 30
    kill -0 "$make_pid" 2>/dev/null && say "... $((SECONDS - start)) s, $(grep -c '^  CC' "$log" || true) files compiled"
done
wait "$make_pid" || { tail -n 30 "$log" >&2; die "kernel build failed; full log: $log"; }
trap - EXIT INT TERM

# The VMM loads vmlinux's PT_LOAD segments at their physical addresses and enters at e_entry.
entry=$(readelf -h "$BUILD/vmlinux" | awk '/Entry point address:/ {print $4}')
[[ $entry == 0x1000000 ]] || die "vmlinux entry point is $entry, expected physical 0x1000000"

rm -rf "$OUT.partial"
mkdir -p "$OUT.partial"
cp "$BUILD/vmlinux" "$OUT.partial/vmlinux"
cp "$BUILD/arch/x86/boot/bzImage" "$OUT.partial/bzImage"
cp "$BUILD/.config" "$OUT.partial/config"
rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
say "built in $((SECONDS - start)) s: $OUT"
echo "$OUT"
