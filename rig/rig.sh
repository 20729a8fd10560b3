#!/usr/bin/env bash
# rig.sh - run a command inside the "nested rig": QEMU (TCG, emulated AMD SVM + NPT) booting
# Debian's cloud kernel with kvm-amd loaded, so /dev/kvm inside is hardware-style KVM.
# See rig/README.md. Exits with the command's exit status, or 125 when the rig itself failed.
set -euo pipefail

readonly RIG_FAIL=125
readonly DEFAULT_JDK=/usr/lib/jvm/temurin-25-jdk-amd64
readonly RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly REPO_DIR=$(dirname "$RIG_DIR")

usage() {
    cat <<'EOF'
Usage: rig/rig.sh [OPTIONS] -- COMMAND [ARGS...]

Runs COMMAND inside the nested rig (QEMU TCG emulating AMD SVM+NPT, Debian cloud kernel with
kvm-amd loaded, so /dev/kvm is hardware-style KVM) and exits with COMMAND's exit status.
COMMAND's stdout and stderr are streamed, merged, to this script's stdout. Progress and errors
of the rig itself go to stderr. Exit status 125 means the rig failed (bad options, boot
failure, timeout: no status from COMMAND).

Options:
  --cpus N          vCPUs of the rig (default 2)
  --tcg-thread single|multi
                    QEMU's TCG threading (default multi): single runs every vCPU of the rig
                    on one host thread, slower but free of the HotSpot crashes and hangs we
                    saw under multi-threaded TCG with 2 vCPUs
  --memory-mb N     memory of the rig in MiB (default 3072)
  --timeout S       seconds from QEMU start until the rig is killed (default 600)
  --include PATH    copy PATH (file or directory tree, .git skipped) into the rig at the same
                    absolute path; repeatable. Nothing else of the host is visible inside.
  --workdir DIR     directory COMMAND starts in (default: the current directory; created
                    empty inside the rig if not included)
  --env K=V         set environment variable K for COMMAND; repeatable
  --print-jre       link the rig's runtime if needed (for these --include paths and
                    RIG_JRE_MODULES), print its host path, and exit: no COMMAND, no boot
  -h, --help        this text

Inside the rig: JAVA_HOME is a jlinked JDK runtime (java.base, jdk.unsupported, java.logging)
and its bin is first on PATH; busybox provides the usual tools, bash is present; you run as
root; HOME and FLINT_CACHE are the host's values; /tmp and /run are tmpfs (unless something was
included under them).

Environment:
  FLINT_CACHE       cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/flint); the rig uses
                    $FLINT_CACHE/rig/kernel-<release>/ and $FLINT_CACHE/rig/jre-<version>-cds/
  FLINT_JAVA_HOME, JAVA_HOME
                    JDK (>= 22, with jlink) to build the rig's runtime from; default
                    /usr/lib/jvm/temurin-25-jdk-amd64
  RIG_DEBUG=1       show the whole console (kernel boot, init) on stderr, boot without 'quiet'
  RIG_TIMING=1      print the time of each phase on stderr
  RIG_JRE_MODULES   extra JDK modules for the rig's runtime, comma-separated (e.g.
                    java.management,jdk.jfr); cached as jre-<version>-cds-<hash>/. JDK modules
                    that included modular jars require (module-info) are added by themselves.
  RIG_QEMU_MACHINE  QEMU machine (default q35; microvm boots ~0.5 s faster, see README)
  RIG_QEMU_ARGS     extra QEMU arguments (word-split)
  RIG_TUNING        rig kernel boot-time flags (default "tsc=reliable no_timer_check
                    cryptomgr.notests mitigations=off"; empty for none)
  RIG_APPEND        extra kernel command line
EOF
}

say() { printf 'rig: %s\n' "$*" >&2; }
die() { printf 'rig: error: %s\n' "$*" >&2; exit "$RIG_FAIL"; }
now() { printf "%s" "${EPOCHREALTIME//[!0-9]/}"; }           # microseconds
elapsed() { local us=$(( $(now) - $1 )); printf '%d.%02ds' $((us / 1000000)) $(( (us % 1000000) / 10000 )); }
# POSIX-shell single quoting.
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

# ---------------------------------------------------------------- arguments
cpus=2 memory_mb=3072 timeout_s=600 workdir=$PWD tcg_thread=multi print_jre=0
includes=() envs=()
need_arg() { [[ $# -ge 2 ]] || { printf 'rig: %s needs a value\n' "$1" >&2; exit "$RIG_FAIL"; }; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --cpus) need_arg "$@"; cpus=$2; shift 2 ;;
        --cpus=*) cpus=${1#*=}; shift ;;
        --tcg-thread) need_arg "$@"; tcg_thread=$2; shift 2 ;;
        --tcg-thread=*) tcg_thread=${1#*=}; shift ;;
        --memory-mb) need_arg "$@"; memory_mb=$2; shift 2 ;;
        --memory-mb=*) memory_mb=${1#*=}; shift ;;
        --timeout) need_arg "$@"; timeout_s=$2; shift 2 ;;
        --timeout=*) timeout_s=${1#*=}; shift ;;
        --include) need_arg "$@"; includes+=("$2"); shift 2 ;;
        --include=*) includes+=("${1#*=}"); shift ;;
        --workdir) need_arg "$@"; workdir=$2; shift 2 ;;
        --workdir=*) workdir=${1#*=}; shift ;;
        --env) need_arg "$@"; envs+=("$2"); shift 2 ;;
        --env=*) envs+=("${1#*=}"); shift ;;
        --print-jre) print_jre=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) printf 'rig: unknown option %s (see --help)\n' "$1" >&2; exit "$RIG_FAIL" ;;
        *) break ;;
    esac
done
[[ $# -gt 0 || $print_jre == 1 ]] || { printf 'rig: no COMMAND given (see --help)\n' >&2; exit "$RIG_FAIL"; }
for v in cpus memory_mb timeout_s; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { printf 'rig: --%s must be a positive integer, got %q\n' "${v//_/-}" "${!v}" >&2; exit "$RIG_FAIL"; }
done
[[ $tcg_thread == single || $tcg_thread == multi ]] \
    || { printf 'rig: --tcg-thread must be single or multi, got %q\n' "$tcg_thread" >&2; exit "$RIG_FAIL"; }
for e in "${envs[@]}"; do
    [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { printf 'rig: --env wants K=V, got %q\n' "$e" >&2; exit "$RIG_FAIL"; }
done
[[ $workdir == /* ]] || workdir=$PWD/$workdir
abs_includes=()
for p in "${includes[@]}"; do
    [[ $p == /* ]] || p=$PWD/$p
    [[ -e $p || -L $p ]] || { printf 'rig: --include %s: no such file or directory\n' "$p" >&2; exit "$RIG_FAIL"; }
    abs_includes+=("$p")
done

debug=${RIG_DEBUG:-0}; [[ $debug == 0 || -z $debug ]] && debug=0 || debug=1
timing=${RIG_TIMING:-0}; [[ $timing == 0 || -z $timing ]] && timing=0 || timing=1
t_start=$(now)

# ---------------------------------------------------------------- cleanup
tmp="" qemu_pid="" watchdog_pid="" partial=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $watchdog_pid ]]; then kill "$watchdog_pid" 2>/dev/null || true; wait "$watchdog_pid" 2>/dev/null || true; fi
    if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$qemu_pid" 2>/dev/null || true
    fi
    [[ -n $qemu_pid ]] && { wait "$qemu_pid" 2>/dev/null || true; }
    local d
    for d in "${partial[@]}" "$tmp"; do
        [[ -n $d && -e $d ]] || continue
        rm -rf -- "$d" 2>/dev/null || { chmod -R u+rwX -- "$d" 2>/dev/null; rm -rf -- "$d"; }
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- host tools
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
apt_install() {
    say "installing $* ..."
    local opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install "${opts[@]}" "$@" >&2; then
        $SUDO apt-get update -q -o DPkg::Lock::Timeout=600 >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install "${opts[@]}" "$@" >&2
    fi
}
is_static() { [[ -x $1 ]] && ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
find_busybox() {
    local b
    for b in /bin/busybox /usr/bin/busybox /usr/lib/initramfs-tools/bin/busybox; do
        is_static "$b" && { printf '%s' "$b"; return 0; }
    done
    return 1
}
pkgs=()
command -v qemu-system-x86_64 >/dev/null || pkgs+=(qemu-system-x86)
find_busybox >/dev/null || pkgs+=(busybox-static)
command -v unzip >/dev/null || pkgs+=(unzip)
command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || die "apt-get and dpkg-deb are required (Debian-like host)"
[[ ${#pkgs[@]} -eq 0 ]] || apt_install "${pkgs[@]}"
BUSYBOX=$(find_busybox) || die "no static busybox found after installing busybox-static"
BASH_BIN=$(command -v bash)

flint_cache=${FLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flint}
[[ $flint_cache == /* ]] || flint_cache=$PWD/$flint_cache
cache=$flint_cache/rig
mkdir -p "$cache"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flint-rig.XXXXXXXX")

# ---------------------------------------------------------------- rig JRE
java_major() {   # prints the feature version of the JDK at $1, or fails
    local v
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)"/\1/p' "$1/release" 2>/dev/null) || return 1
    [[ -n $v ]] || return 1
    v=${v#1.}; printf '%s' "${v%%[.+-]*}"
}
pick_jdk() {
    local c m
    for c in "${FLINT_JAVA_HOME:-}" "${JAVA_HOME:-}" "$DEFAULT_JDK" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
        c=${c%/}
        [[ -n $c && -x $c/bin/jlink ]] || continue
        m=$(java_major "$c") || continue
        (( m >= 22 )) && { printf '%s' "$c"; return 0; }
    done
    return 1
}
t0=$(now)
jdk=$(pick_jdk) || die "no JDK >= 22 with jlink found (set FLINT_JAVA_HOME)"
jver=$(sed -n 's/^JAVA_RUNTIME_VERSION="\([^"]*\)"/\1/p' "$jdk/release")
[[ -n $jver ]] || jver=$(sed -n 's/^JAVA_VERSION="\([^"]*\)"/\1/p' "$jdk/release")
# JDK modules that the modular jars among the includes require (e.g. commons-compress and
# commons-lang3 require java.desktop): without them `java -p ...` cannot even resolve its boot
# layer. Read from their module-info with javap; cached per set of jars (path, size, mtime).
included_jdk_modules() {
    local jars=() key f list=() j e
    [[ ${#abs_includes[@]} -gt 0 ]] || return 0
    mapfile -t jars < <(find "${abs_includes[@]}" -name .git -prune -o -name '*.jar' -type f -printf '%p %s %T@\n' 2>/dev/null | sort)
    [[ ${#jars[@]} -gt 0 ]] || return 0
    key=$(printf '%s\n' "$jver" "${jars[@]}" | sha1sum | cut -c1-16)
    f=$cache/modules/$key
    if [[ ! -f $f ]]; then
        for j in "${jars[@]}"; do
            j=${j% * *}
            while IFS= read -r e; do list+=("jar:file:$j!/$e"); done < <(unzip -Z1 "$j" 2>/dev/null | grep -E '^(META-INF/versions/[0-9]+/)?module-info\.class$')
        done
        mkdir -p "$cache/modules"
        if [[ ${#list[@]} -gt 0 ]]; then
            "$jdk/bin/javap" "${list[@]}" 2>/dev/null \
                | sed -n -e 's/^ *requires \(transitive \)\{0,1\}\(\(java\|jdk\)\.[A-Za-z0-9_.]*\);$/\2/p' \
                | sort -u >"$f.$$" || true
        fi
        touch "$f.$$"; mv -f "$f.$$" "$f"
    fi
    cat "$f"
}
jmods=java.base,jdk.unsupported,java.logging
rig_jre_modules=${RIG_JRE_MODULES:-}
extra_mods=$(printf "%s\n" ${rig_jre_modules//,/ }; included_jdk_modules)
# "-cds": the runtime carries its CDS archive (older caches do not; a new name relinks them).
jre=$cache/jre-$jver-cds
if [[ -n ${extra_mods//[[:space:]]/} ]]; then
    all_mods=$("$jdk/bin/java" --list-modules | sed 's/@.*//')
    for m in $extra_mods; do
        grep -qx -- "$m" <<<"$all_mods" || die "JDK module $m (RIG_JRE_MODULES or an included jar's module-info) is not in $jdk"
    done
    jmods=$(printf '%s\n' ${jmods//,/ } $extra_mods | sort -u | paste -s -d, -)
    [[ $jmods == java.base,java.logging,jdk.unsupported ]] || jre+=-$(printf '%s' "$jmods" | sha1sum | cut -c1-8)
fi
if [[ ! -e $jre/.complete ]]; then
    say "linking JRE $jver ($jmods) from $jdk ..."
    jpart=$jre.partial.$$; partial+=("$jpart")
    rm -rf "$jpart"
    # --generate-cds-archive: a jlinked runtime has no class data sharing archive of its own, and
    # without one every JVM start in the rig parses the JDK's classes anew (java -version took
    # 5.3 s there instead of 2.1 s). The rig's heap is small: the compressed-oops archive is enough.
    "$jdk/bin/jlink" --add-modules "$jmods" --generate-cds-archive \
        --strip-debug --no-man-pages --no-header-files --output "$jpart" >&2
    rm -f "$jpart"/lib/server/classes_nocoops*.jsa
    touch "$jpart/.complete"
    if ! mv -T "$jpart" "$jre" 2>/dev/null; then rm -rf "$jpart"; fi
    partial=()
fi
t_jre=$(elapsed "$t0")
# --print-jre: the runtime is all the caller wants (the launcher trains its AOT cache on the host).
if (( print_jre )); then printf '%s\n' "$jre"; exit 0; fi

# ---------------------------------------------------------------- rig kernel
# The versioned package that linux-image-cloud-amd64 depends on, e.g. linux-image-6.1.0-56-cloud-amd64.
cloud_kernel_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-cloud-amd64$/ { print $2; exit }'
}
t0=$(now)
# apt-cache takes ~0.7 s: remember its answer until the package lists change.
lists_key=$(stat -c %Y /var/lib/apt/lists 2>/dev/null || echo none)
kpkg=""
if [[ -f $cache/cloud-kernel-pkg ]]; then
    read -r c_key c_pkg <"$cache/cloud-kernel-pkg" || true
    [[ ${c_key:-} == "$lists_key" ]] && kpkg=${c_pkg:-}
fi
if [[ -z $kpkg ]]; then
    kpkg=$(cloud_kernel_pkg || true)
    if [[ -n $kpkg ]]; then
        printf '%s %s\n' "$lists_key" "$kpkg" >"$cache/cloud-kernel-pkg.$$"
        mv -f "$cache/cloud-kernel-pkg.$$" "$cache/cloud-kernel-pkg"
    fi
fi
if [[ -z $kpkg ]]; then
    # No package lists: use a cached kernel if there is one, else update the lists.
    kdir=$(ls -d "$cache"/kernel-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z $kdir ]]; then
        say "apt-get update (to find linux-image-cloud-amd64) ..."
        $SUDO apt-get update -q -o DPkg::Lock::Timeout=600 >&2
        kpkg=$(cloud_kernel_pkg || true)
        [[ -n $kpkg ]] || die "cannot resolve linux-image-cloud-amd64 to a versioned kernel package"
    fi
fi
if [[ -n $kpkg ]]; then
    kdir=$cache/kernel-${kpkg#linux-image-}
fi
kver=${kdir##*/kernel-}
if [[ ! -e $kdir/.complete ]]; then
    say "fetching kernel $kpkg ..."
    dl=$tmp/deb; mkdir -p "$dl"
    dl_opts=(-qq)
    [[ $(id -u) -ne 0 ]] || dl_opts+=(-o APT::Sandbox::User=root)   # else _apt cannot write to $dl
    (cd "$dl" && apt-get download "${dl_opts[@]}" "$kpkg" >&2) || {
        $SUDO apt-get update -q -o DPkg::Lock::Timeout=600 >&2
        (cd "$dl" && apt-get download "${dl_opts[@]}" "$kpkg" >&2)
    } || die "apt-get download $kpkg failed"
    kpart=$kdir.partial.$$; partial+=("$kpart")
    rm -rf "$kpart"; mkdir -p "$kpart"
    dpkg-deb -x "$dl"/*.deb "$kpart"
    rm -rf "$dl"
    # Modules may ship compressed (.ko.xz / .ko.zst) in newer kernels; the rig wants plain .ko.
    while IFS= read -r -d '' z; do
        case $z in
            *.ko.xz) xz -d "$z" 2>/dev/null || "$BUSYBOX" unxz "$z" ;;
            *.ko.zst) zstd -q -d --rm "$z" ;;
            *.ko.gz) gzip -d "$z" ;;
        esac
    done < <(find "$kpart/lib/modules" -path '*/kvm*' -name '*.ko.*' -print0 -o -name 'irqbypass.ko.*' -print0 2>/dev/null)
    touch "$kpart/.complete"
    if ! mv -T "$kpart" "$kdir" 2>/dev/null; then rm -rf "$kpart"; fi    # lost a race: fine
    partial=()
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[[ -f $vmlinuz ]] || die "no vmlinuz in $kdir"
modules=()
for m in irqbypass kvm kvm-amd; do
    f=$(find "$kdir/lib/modules" -name "$m.ko" -print -quit)
    [[ -n $f ]] || die "module $m.ko not found under $kdir/lib/modules"
    modules+=("$f")
done
t_kernel=$(elapsed "$t0")


# ---------------------------------------------------------------- rootfs
t0=$(now)
say "building rootfs ..."
stage=$tmp/root
mkdir -p "$stage"
# Mirror the host's merged-/usr layout so that libraries and tools live at their host paths.
for d in bin sbin lib lib32 lib64 libx32; do
    if [[ -L /$d ]]; then
        t=$(readlink "/$d")
        [[ $t == /* ]] && mkdir -p "$stage$t" || mkdir -p "$stage/$t"
        ln -s "$t" "$stage/$d"
    fi
done
mkdir -p "$stage"/{proc,sys,dev,tmp,run,root,etc,rig/modules,opt,usr/bin,usr/sbin,usr/lib,bin,sbin}
chmod 1777 "$stage/tmp"

copy_file() {   # copy host file $1 (dereferenced) to the same path in the stage
    local dst=$stage$1
    [[ -e $dst ]] && return 0
    mkdir -p "$(dirname "$dst")"
    cp -L --preserve=mode "$1" "$dst"
}
copy_file "$BASH_BIN"
cp "$BUSYBOX" "$stage/bin/busybox"     # /init makes the applet symlinks (busybox --install -s)
ln -s busybox "$stage/bin/sh"

# JRE, and the host shared libraries that it and bash need.
cp -a "$jre" "$stage/opt/jre"
rm -f "$stage/opt/jre/.complete"
libs=()
while IFS= read -r l; do libs+=("$l"); done < <(
    # (not the GUI/sound natives of java.desktop: X11 and ALSA are of no use in the rig)
    { LC_ALL=C ldd "$BASH_BIN" "$jre/bin/java" "$jre/bin/"* $(find "$jre/lib" -name '*.so' \
        ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libsplashscreen.so' ! -name 'libjsound.so') 2>/dev/null || true; } \
        | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' \
        | grep -v "^$jre/" | sort -u)
for n in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libz.so.1 libgcc_s.so.1; do
    l=$(/sbin/ldconfig -p 2>/dev/null | awk -v n="$n" '$1 == n && /x86-64/ { print $NF; exit }' || true)
    [[ -n $l && -e $l ]] && libs+=("$l")
done
[[ ${#libs[@]} -gt 0 ]] || die "ldd found no libraries for java"
for l in "${libs[@]}"; do copy_file "$l"; done
[[ -d /usr/lib/locale/C.utf8 ]] && { mkdir -p "$stage/usr/lib/locale"; cp -a /usr/lib/locale/C.utf8 "$stage/usr/lib/locale/"; }

for f in "${modules[@]}"; do cp "$f" "$stage/rig/modules/"; done

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"
printf '127.0.0.1 localhost rig\n::1 localhost ip6-localhost\n' >"$stage/etc/hosts"
printf 'rig\n' >"$stage/etc/hostname"

# --include PATH..., at their absolute paths.
for p in "${abs_includes[@]}"; do
    srcs=("$p")
    [[ -L $p ]] && srcs+=("$(readlink -f "$p")")      # a symlink: bring its target too
    for s in "${srcs[@]}"; do
        [[ -e $s || -L $s ]] || die "--include $p: $s does not exist"
        tar -C / --exclude=.git -cf - "${s#/}" | tar -C "$stage" -xf - \
            || die "--include $p: copying failed"
    done
done
mkdir -p "$stage$workdir"
# The initramfs keeps no mtimes (CpioArchive writes 0); /init gives the included jars their host
# ones back, since the JVM's AOT cache checks the mtime of every jar on the module path.
if [[ ${#abs_includes[@]} -gt 0 ]]; then
    find "${abs_includes[@]}" -name .git -prune -o -name '*.jar' -type f -printf '%Ts %p\n' >"$stage/rig/mtimes"
fi

# The command, its environment, and the run's marker strings.
nonce=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
start_marker="RIG-COMMAND-START-$nonce"
exit_marker="RIG-EXIT-STATUS-$nonce="
{
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(shq "$a")"; done
    printf '\n'
} >"$stage/rig/cmd"
{
    printf 'export JAVA_HOME=/opt/jre\n'
    printf 'export PATH=/opt/jre/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
    # Same HOME and FLINT_CACHE as on the host, so that ~/.m2 and cache paths given to
    # --include resolve the same inside; --env overrides them.
    printf 'export HOME=%s FLINT_CACHE=%s LANG=C.UTF-8 TERM=dumb\n' "$(shq "${HOME:-/root}")" "$(shq "$flint_cache")"
    for e in "${envs[@]}"; do printf 'export %s=%s\n' "${e%%=*}" "$(shq "${e#*=}")"; done
    printf 'RIG_WORKDIR=%s\n' "$(shq "$workdir")"
    printf 'RIG_START=%s\n' "$(shq "$start_marker")"
    printf 'RIG_EXIT=%s\n' "$(shq "$exit_marker")"
    printf 'RIG_DEBUG=%s\n' "$debug"
} >"$stage/rig/env"
cp "$RIG_DIR/init.sh" "$stage/init"
chmod 755 "$stage/init"
t_stage=$(elapsed "$t0")

# Pack the stage into a newc cpio: Flint's InitramfsTool (kernel-image) when it is built, else cpio.
t0=$(now)
initrd=$tmp/initrd.cpio
packer=""
m2=${MAVEN_REPO:-$HOME/.m2/repository}
pom_dep_version() {   # pom_dep_version POM ARTIFACT_ID: the <version> of that dependency in POM
    awk -v a="<artifactId>$2</artifactId>" 'index($0, a) { found = 1; next }
        found && /<version>/ { gsub(/.*<version>|<\/version>.*/, ""); print; exit }' "$1" 2>/dev/null
}
m2_jar() {   # m2_jar GROUP_PATH ARTIFACT [VERSION]: the jar in the local Maven repository
    local v=${3:-}
    [[ -n $v && -f $m2/$1/$2/$v/$2-$v.jar ]] \
        || v=$(ls "$m2/$1/$2" 2>/dev/null | sort -V | while read -r d; do [[ -f $m2/$1/$2/$d/$2-$d.jar ]] && echo "$d"; done | tail -n 1)
    [[ -n $v ]] && printf '%s' "$m2/$1/$2/$v/$2-$v.jar"
}
tool_cp=""
ki_jar=$(ls "$REPO_DIR"/kernel-image/target/flint-kernel-image-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -n 1 || true)
[[ -z $ki_jar && -f $REPO_DIR/kernel-image/target/classes/dev/flint/kernel/InitramfsTool.class ]] \
    && ki_jar=$REPO_DIR/kernel-image/target/classes
if [[ -n $ki_jar ]]; then
    cc_ver=$(sed -n 's:.*<commons-compress.version>\(.*\)</commons-compress.version>.*:\1:p' "$REPO_DIR/pom.xml" | head -n 1)
    cc_jar=$(m2_jar org/apache/commons commons-compress "$cc_ver" || true)
    if [[ -n $cc_jar ]]; then
        cc_pom=${cc_jar%.jar}.pom
        io_jar=$(m2_jar commons-io commons-io "$(pom_dep_version "$cc_pom" commons-io)" || true)
        lang_jar=$(m2_jar org/apache/commons commons-lang3 "$(pom_dep_version "$cc_pom" commons-lang3)" || true)
        [[ -n $io_jar && -n $lang_jar ]] && tool_cp=$ki_jar:$cc_jar:$io_jar:$lang_jar
    fi
fi
if [[ -n $tool_cp ]]; then
    if "$jdk/bin/java" -Xshare:auto -XX:TieredStopAtLevel=1 -cp "$tool_cp" dev.flint.kernel.InitramfsTool pack "$stage" "$initrd" >/dev/null; then
        packer=InitramfsTool
    else
        say "InitramfsTool failed; packing with cpio instead"
    fi
fi
if [[ -z $packer ]]; then
    if command -v cpio >/dev/null && cpio --version 2>/dev/null | grep -q GNU; then
        (cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) >"$initrd"
    else
        (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc) >"$initrd" 2>/dev/null
    fi
    packer=cpio
fi
rm -rf "$stage"
t_pack=$(elapsed "$t0")
initrd_mb=$(( $(stat -c %s "$initrd") / 1048576 ))

# ---------------------------------------------------------------- boot
# Host TSC frequency in kHz (TCG's guest TSC is the host TSC), or nothing when unknown.
host_tsc_khz() {
    local mhz
    mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
        -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n 1)
    if [[ -z $mhz ]] && grep -qw hypervisor /proc/cpuinfo && grep -qw constant_tsc /proc/cpuinfo; then
        mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)   # in a VM: the TSC rate
    fi
    [[ -n $mhz ]] && awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }'
}
machine=${RIG_QEMU_MACHINE:-q35}
append="console=ttyS0 panic=-1 rdinit=/init"
[[ $debug == 1 ]] || append+=" quiet"
# Measured to cut ~0.4 s of boot (rig/README.md); RIG_TUNING= boots without them.
append+=" ${RIG_TUNING-tsc=reliable no_timer_check cryptomgr.notests mitigations=off}"
if [[ $machine == microvm* && " ${RIG_APPEND:-} " != *" tsc_early_khz="* ]]; then
    # microvm has no HPET/ACPI PM timer: the kernel calibrates the TSC against the PIT alone, which
    # fails on a busy host and then hangs the boot. Hand it the frequency instead.
    khz=$(host_tsc_khz || true)
    if [[ -n $khz ]]; then append+=" tsc_early_khz=$khz"
    else say "warning: host TSC rate unknown; microvm may hang in TSC calibration (pass RIG_APPEND=tsc_early_khz=...)"; fi
fi
append+=" ${RIG_APPEND:-}"
# shellcheck disable=SC2206
extra=(${RIG_QEMU_ARGS:-})
qemu=(qemu-system-x86_64 -M "$machine" -accel "tcg,thread=$tcg_thread" -cpu EPYC,+svm,+npt
      -smp "$cpus" -m "$memory_mb" -nographic -no-reboot
      -kernel "$vmlinuz" -initrd "$initrd" -append "$append" "${extra[@]}")
[[ $debug == 1 ]] && say "qemu: ${qemu[*]}"
say "booting (kernel $kver, initramfs ${initrd_mb} MiB) ..."

mkfifo "$tmp/console" "$tmp/tick"
t_boot=$(now)
"${qemu[@]}" </dev/null >"$tmp/console" 2>"$tmp/qemu.err" &
qemu_pid=$!

# Watchdog: kills QEMU at the deadline or when this script dies (even by SIGKILL); no children.
main_pid=$$
(
    trap - EXIT INT TERM HUP
    exec 9<>"$tmp/tick" 3<&- 1>/dev/null 2>&1
    deadline=$(( $(printf '%(%s)T' -1) + timeout_s ))
    while (( $(printf '%(%s)T' -1) < deadline )); do
        kill -0 "$main_pid" 2>/dev/null || { kill -KILL "$qemu_pid" 2>/dev/null; rm -rf "$tmp"; exit 0; }
        kill -0 "$qemu_pid" 2>/dev/null || exit 0
        read -r -t 1 -u 9 _ || true
    done
    : >"$tmp/timed-out"
    kill "$qemu_pid" 2>/dev/null
) &
watchdog_pid=$!

exec 3<"$tmp/console"
started=0 status="" tail_lines=() t_cmd=""
remember() {
    tail_lines+=("$1")
    (( ${#tail_lines[@]} <= 40 )) || tail_lines=("${tail_lines[@]:1}")
}
while :; do
    line="" eol=1
    if ! IFS= read -r -u 3 line; then
        [[ -n $line ]] || break
        eol=0
    fi
    if [[ $line == *"$exit_marker"* ]]; then
        pre=${line%%"$exit_marker"*}
        status=${line#*"$exit_marker"}; status=${status%%[!0-9]*}
        [[ -n $pre ]] && printf '%s' "$pre"
        [[ $debug == 1 ]] && printf '%s\n' "$line" >&2
        break
    fi
    if (( started )); then
        if (( eol )); then printf '%s\n' "$line"; else printf '%s' "$line"; fi
        remember "$line"
    elif [[ $line == *"$start_marker"* ]]; then
        started=1
        t_cmd=$(now)
        [[ $debug == 1 ]] && printf '%s\n' "$line" >&2
    else
        remember "$line"
        if [[ $debug == 1 ]]; then printf '%s\n' "$line" >&2
        elif [[ $line == "rig: "* ]]; then printf '%s\n' "${line%$'\r'}" >&2
        fi
    fi
done

if [[ -z $status ]]; then
    qrc=0
    wait "$qemu_pid" 2>/dev/null || qrc=$?
    qemu_pid=""
    if [[ -e $tmp/timed-out ]]; then
        say "error: timed out after ${timeout_s}s ($([[ $started == 1 ]] && echo "the command was running" || echo "the command had not started"))"
    else
        say "error: QEMU exited (status $qrc) without an exit status from the command"
    fi
    if [[ ${#tail_lines[@]} -gt 0 ]]; then
        say "last console lines:"
        printf '  | %s\n' "${tail_lines[@]%$'\r'}" >&2
    fi
    if grep -v -q "TCG doesn't support requested feature" "$tmp/qemu.err" 2>/dev/null; then
        say "QEMU said:"
        grep -v "TCG doesn't support requested feature" "$tmp/qemu.err" | tail -n 10 | sed 's/^/  | /' >&2
    fi
    exit "$RIG_FAIL"
fi

# Give the guest a moment to power off by itself, then the EXIT trap kills what is left.
for _ in $(seq 1 30); do kill -0 "$qemu_pid" 2>/dev/null || break; read -r -t 0.1 -u 3 _ || true; done
[[ $debug == 1 && -s $tmp/qemu.err ]] && sed 's/^/qemu: /' "$tmp/qemu.err" >&2
if [[ $timing == 1 ]]; then
    say "timing: kernel ${t_kernel}, jre ${t_jre}, stage ${t_stage}, pack ${t_pack} (${packer}, ${initrd_mb} MiB)," \
        "boot-to-command $( [[ -n $t_cmd ]] && printf '%d.%02ds' $(( (t_cmd - t_boot) / 1000000 )) $(( (t_cmd - t_boot) % 1000000 / 10000 )) )," \
        "command+poweroff $( [[ -n $t_cmd ]] && elapsed "$t_cmd"), total $(elapsed "$t_start")"
fi
exit "$status"
