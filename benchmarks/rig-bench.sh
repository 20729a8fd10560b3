#!/usr/bin/env bash
# rig-bench.sh: Flint against QEMU microvm, end to end, in ONE nested-rig session.
# See benchmarks/README.md ("End-to-end benchmarks in the nested rig") and --help.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: benchmarks/rig-bench.sh [--rounds N] [--exec N] [--exec-1mib N] [--timeout S] [--out FILE]
                               [--no-peer-exec] [--no-peer-restore] [--restore] [--no-devices] [--keep-log]
       benchmarks/rig-bench.sh --kernel-trace [--timeout S] [--out FILE]

Boots one nested rig (QEMU TCG with nested SVM, see rig/README.md) and measures inside it, each
round, with the same guest kernel, initramfs, command line, 256 MiB and 1 vCPU:
  - Flint in a fresh JVM: process start to the guest's 'flint-agent: ready' line, split into
    JVM start, host setup (to the first KVM_RUN, step by step), kernel to init (boot marker), init
    to ready; once with the JVM's defaults, once as ./flint starts a one-shot command (its JVM
    options, and an AOT cache trained by one untimed boot in the same rig session);
  - QEMU microvm (pit/pic/rtc off, -enable-kvm -cpu host, a virtio-rng as Flint has): process
    start to the same line, then exec(["true"]) and a 1 MiB exec over vhost-vsock with Flint's own
    agent client;
  - Flint's Machine.create in a warm JVM to agent-ready, then the same execs;
  - QEMU microvm restoring the same guest, saved once at agent-ready (QMP stop + migrate
    "exec:cat > FILE"), from a fresh process with -incoming "exec:cat FILE" + QMP cont to the
    agent's HELLO over vhost-vsock, then the first exec(["true"]);
  - with --restore, Flint's restore from a snapshot (warm JVM and fresh JVM), fork, pool checkout;
  - device throughput (unless --no-devices): a 64 MiB raw disk read and written with dd, and 16 MiB
    each way through a forwarded port, on Flint's devices and on QEMU's virtio-blk-device and
    -netdev user (the same libslirp), in MiB/s.
Writes benchmarks/results/rig-<date>.json (samples, median, p90, min, max per metric; Flint/peer
ratios with their measured noise) and a PNG chart beside it, and prints the tables.

Options:
  --rounds N       rounds of boots, each measuring all three (default 5)
  --exec N         exec(["true"]) round trips per machine and round (default 50)
  --exec-1mib N    1 MiB execs per machine and round (default 5)
  --timeout S      kill the rig after S seconds (default 1500)
  --out FILE       result JSON (default benchmarks/results/rig-<date>.json)
  --no-peer-exec   time the peer's boot only (no vhost-vsock device, so no peer restore either)
  --no-peer-restore  skip QEMU's restore from its migration file
  --no-devices     skip the disk and NAT throughput rows
  --restore        also time Flint's snapshot restore, fork and warm-pool checkout (needs
                   Flint's snapshot support, issue 13)
  --keep-log       keep the rig's whole output beside the result (FILE.log)
  --kernel-trace   measure nothing: boot each side once with initcall_debug printk.time=1 and write
                   the guests' dmesg, lines prefixed 'qemu| ', 'flint-cold| ' (Flint's first boot
                   in the JVM) and 'flint| ' (its second), to FILE (default
                   benchmarks/results/kernel-trace-<date>.txt), to see where each kernel waits
  -h, --help       this text

Compare the result with a baseline: benchmarks/guard.sh benchmarks/baseline/rig-*.json RESULT.json
Exit status: 0 measured; 2 bad options; 3 a tool is missing; otherwise the rig's or the
benchmark's failure (the output above says what happened).
USAGE
}

die() { printf 'rig-bench: %s\n' "$*" >&2; exit 3; }

rounds=5 exec=50 exec_1mib=5 timeout=1500 out="" peer_exec=1 peer_restore=1 flint_restore=0 devices=1 keep_log=0
trace=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --rounds) rounds=${2:?--rounds needs a value}; shift 2 ;;
        --exec) exec=${2:?--exec needs a value}; shift 2 ;;
        --exec-1mib) exec_1mib=${2:?--exec-1mib needs a value}; shift 2 ;;
        --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --no-peer-exec) peer_exec=0; shift ;;
        --no-peer-restore) peer_restore=0; shift ;;
        --restore) flint_restore=1; shift ;;
        --no-devices) devices=0; shift ;;
        --keep-log) keep_log=1; shift ;;
        --kernel-trace) trace=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'rig-bench: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$rounds" "$exec" "$exec_1mib" "$timeout"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { printf 'rig-bench: %s is not a positive integer\n' "$n" >&2; exit 2; }
done

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
FLINT_CACHE=${FLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flint}
export FLINT_CACHE
date=$(date +%Y-%m-%d-%H%M)
if [[ $trace == 1 ]]; then
    out=${out:-$BENCH_DIR/results/kernel-trace-$date.txt}
else
    out=${out:-$BENCH_DIR/results/rig-$date.json}
fi
mkdir -p "$(dirname "$out")"

# The host-side tools (report, chart) come from the benchmarks jar; jar-env.sh finds a JDK >= 22
# and rebuilds the jar (and so the module's own jar, which the rig runs) when sources changed.
source "$BENCH_DIR/jar-env.sh"
# A jar, not target/classes: the JVM's AOT cache (the launcher-started fresh JVM) takes no class directory.
bench_classes=$(ls "$BENCH_DIR"/target/flint-benchmarks-*.jar | grep -v -- '-sources\.jar$' | head -n1)

# The peer runs on the host's QEMU, installed here as rig.sh installs its own.
if ! command -v qemu-system-x86_64 >/dev/null; then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    echo "rig-bench: installing qemu-system-x86 (the peer) ..." >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends qemu-system-x86 >&2 \
        || die "could not install qemu-system-x86: install it (apt-get install qemu-system-x86) and run again"
fi
qemu=$(command -v qemu-system-x86_64)
rig_kernel_dir() { ls -d "$FLINT_CACHE"/rig/kernel-*/lib/modules/*/kernel 2>/dev/null | tail -n1 || true; }
rig_kernel_dir=$(rig_kernel_dir)
if [[ $peer_exec == 1 && -z $rig_kernel_dir ]]; then
    # The peer's vhost-vsock modules come from the rig's kernel, which rig.sh fetches on its first boot.
    echo "rig-bench: fetching the rig's kernel (one empty rig boot, first run on this host only) ..." >&2
    "$REPO_DIR/rig/rig.sh" --timeout 600 -- true >&2 || die "the rig did not boot: see rig/README.md"
    rig_kernel_dir=$(rig_kernel_dir)
fi

includes=(--include "$qemu" --include /usr/share/qemu --include "$bench_classes")
# QEMU's shared libraries: the rig's root is an initramfs holding only what is included.
while IFS= read -r lib; do includes+=(--include "$lib"); done < <(
    ldd "$qemu" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
# vhost-vsock for the peer's exec: the rig kernel's modules (Debian cloud kernel, uncompressed).
vsock_modules="net/vmw_vsock/vsock.ko net/vmw_vsock/vmw_vsock_virtio_transport_common.ko
    drivers/vhost/vhost_iotlb.ko drivers/vhost/vhost.ko drivers/vhost/vhost_vsock.ko"
if [[ $peer_exec == 1 && -n $rig_kernel_dir ]]; then
    for m in $vsock_modules; do
        [[ -f $rig_kernel_dir/$m ]] && includes+=(--include "$rig_kernel_dir/$m")
    done
fi

host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
conditions=(--condition "date=$date" --condition "host=$(hostname)"
    --condition "host_cpu=$host_cpu x $(nproc)"
    --condition "host_load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    --condition "host_kvm=$([[ -d /sys/module/kvm_pvm ]] && echo 'PVM (cannot boot Linux)' || echo 'not PVM')"
    --condition "commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    --condition "rig=QEMU $("$qemu" -version | head -n1 | sed 's/.*version //') TCG, EPYC+svm+npt, 1 vCPU, nested KVM")
bench_args=(--qemu "$qemu" --module-path "$REPO_DIR/machine/target/lib" --classes "$bench_classes"
    --rounds "$rounds" --exec "$exec" --exec-1mib "$exec_1mib")
[[ $peer_exec == 1 ]] || bench_args+=(--no-peer-exec)
[[ $peer_restore == 1 ]] || bench_args+=(--no-peer-restore)
[[ $flint_restore == 0 ]] || bench_args+=(--restore)
[[ $devices == 1 ]] || bench_args+=(--no-devices)

# Runs inside the rig (busybox sh): load vhost-vsock, then the benchmark driver.
inside='mods="$FLINT_CACHE/rig/kernel-$(uname -r)/lib/modules/$(uname -r)/kernel"
for m in '"$(echo $vsock_modules)"'; do
    [ -f "$mods/$m" ] && { insmod "$mods/$m" 2>&1 || echo "rig-bench: insmod $m failed"; }
done
lib=$1; classes=$2; main=$3; shift 3
exec java --enable-native-access=ALL-UNNAMED,dev.flint.vmm -p "$lib" --add-modules dev.flint.machine \
    -cp "$classes" "dev.flint.benchmarks.rig.$main" "$@"'

if [[ $trace == 1 ]]; then
    printf 'rig-bench: one rig session, one traced boot on each side; about 4 min\n' >&2
    "$REPO_DIR/flint" rig --timeout "$timeout" "${includes[@]}" -- \
        sh -c "$inside" rig-bench "$REPO_DIR/machine/target/lib" "$bench_classes" KernelTrace "$qemu" \
        >"${out%.txt}.log" 2>&1 || true
    grep -E '^(flint|flint-cold|qemu)\| ' "${out%.txt}.log" >"$out" || true
    grep -q '^flint| ' "$out" && grep -q '^qemu| ' "$out" \
        || die "the traced boots gave no dmesg; the rig's output: ${out%.txt}.log"
    for side in flint-cold flint qemu; do
        printf '%s: slowest initcalls (usecs)\n' "$side"
        sed -n "s/^$side| .*initcall \([^ ]*\) returned .* after \([0-9]*\) usecs.*/\2 \1/p" "$out" | sort -rn | head -n 12
        printf '%s: longest waits between two kernel messages (ms, the message after the wait)\n' "$side"
        sed -n "s/^$side| \[ *\([0-9.]*\)\] /\1 /p" "$out" \
            | awk 'NR > 1 { printf "%.1f %s\n", ($1 - t) * 1000, $0 } { t = $1 }' | sort -rn | head -n 12
    done
    echo "kernel trace: $out"
    exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/rig-bench.XXXXXX.log")
trap 'rm -f "$log"' EXIT
printf 'rig-bench: one rig session, %s rounds (%s execs + %s x 1 MiB per machine and round); about %s min\n' \
    "$rounds" "$exec" "$exec_1mib" "$(( (rounds * 90 + 210) / 60 ))" >&2
set +e
"$REPO_DIR/flint" rig --timeout "$timeout" "${includes[@]}" -- \
    sh -c "$inside" rig-bench "$REPO_DIR/machine/target/lib" "$bench_classes" RigBench \
    "${bench_args[@]}" "${conditions[@]}" 2>&1 | tee "$log" | grep --line-buffered '^rig-bench' >&2
status=${PIPESTATUS[0]}
set -e
[[ $keep_log == 1 ]] && cp "$log" "${out%.json}.log"
if [[ $status -ne 0 ]] || ! grep -q '^=== rig-bench result end ===' "$log"; then
    printf 'rig-bench: the rig run failed (exit %s); its last output:\n' "$status" >&2
    tail -n 60 "$log" >&2
    exit $(( status == 0 ? 1 : status ))
fi
sed -n '/^=== rig-bench result begin ===$/,/^=== rig-bench result end ===$/p' "$log" | sed '1d;$d' >"$out"
"$JAVA" -cp "$BENCH_JAR" dev.flint.benchmarks.rig.RigReport "$out"
echo "result: $out"
