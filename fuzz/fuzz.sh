#!/usr/bin/env bash
# fuzz.sh: runs Flint's coverage-guided fuzz targets with Jazzer (libFuzzer in the JVM), the
# body of `./flint fuzz`. Each target is a test class with a static fuzzerTestOneInput(byte[]);
# its seeds and every input that broke it live in <module>/src/test/resources/<package>/
# <Class>Inputs/replay/, which `mvn test` replays through the class's @FuzzTest method.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

# name module class: one line per target.
TARGETS="
virtqueue    virtio       dev.flint.virtio.queue.VirtqueueFuzzTest
mmio         virtio       dev.flint.virtio.mmio.VirtioMmioFuzzTest
vsock        virtio       dev.flint.virtio.vsock.VsockFuzzTest
blk          virtio       dev.flint.virtio.blk.VirtioBlkFuzzTest
net-tx       virtio       dev.flint.virtio.net.VirtioNetTxFuzzTest
egress       virtio       dev.flint.virtio.net.EgressFilterFuzzTest
fuse         virtio       dev.flint.virtio.fs.FuseFuzzTest
agent-frames guest-agent  dev.flint.agent.AgentFrameFuzzTest
machine-json machine      dev.flint.machine.wire.MachineJsonFuzzTest
image-json   machine      dev.flint.machine.wire.ImageJsonFuzzTest
image-config image        dev.flint.image.config.ImageConfigFuzzTest
manifest     image        dev.flint.image.registry.ManifestFuzzTest
layer-tar    image        dev.flint.image.tree.LayerIndexFuzzTest
elf-kernel   vmm          dev.flint.vmm.boot.ElfKernelFuzzTest
bzimage      vmm          dev.flint.vmm.boot.BzImageFuzzTest
snapshot     vmm          dev.flint.vmm.snapshot.SnapshotFileFuzzTest
"

usage() {
    cat <<'USAGE'
Usage: ./flint fuzz [--minutes N] [TARGET...]
       ./flint fuzz --list

Runs coverage-guided fuzz targets (Jazzer, in-process) for N minutes in all: split evenly between
the targets named, or every target when none is (default N: 1 per target). Inputs that break a
target (an exception the target does not expect, a hang over 10 s, an OutOfMemoryError in a 512 MiB
heap, an allocation over its bound) are written as crash-*/timeout-*/oom-* next to the target's
seeds, where `mvn test` replays them: keep them, fix the bug, and the replay passes.
New coverage found goes to <module>/target/fuzz/<TARGET>/corpus (not kept).

Options:
  --minutes N   total fuzzing time in minutes (fractions allowed: 0.5)
  --list        list the targets: name, module, class
USAGE
}

die() { printf 'flint fuzz: %s\n' "$*" >&2; exit 2; }

target_line() { awk -v n="$1" '$1 == n' <<<"$TARGETS"; }

minutes= chosen=()
while [[ $# -gt 0 ]]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --list) awk 'NF { printf "%-13s %-12s %s\n", $1, $2, $3 }' <<<"$TARGETS"; exit 0 ;;
        --minutes) [[ $# -ge 2 ]] || die "--minutes needs a number"; minutes=$2; shift 2 ;;
        --minutes=*) minutes=${1#--minutes=}; shift ;;
        -*) die "unknown option $1 (see ./flint fuzz --help)" ;;
        *) [[ -n $(target_line "$1") ]] || die "no fuzz target '$1'; ./flint fuzz --list shows them"
           chosen+=("$1"); shift ;;
    esac
done
if [[ ${#chosen[@]} -eq 0 ]]; then
    mapfile -t chosen < <(awk 'NF { print $1 }' <<<"$TARGETS")
fi
[[ -z $minutes ]] && minutes=${#chosen[@]}
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--minutes wants a number of minutes, got '$minutes'"
seconds=$(awk -v m="$minutes" -v n="${#chosen[@]}" 'BEGIN { s = int(m * 60 / n); print (s < 10 ? 10 : s) }')

modules=$(for t in "${chosen[@]}"; do target_line "$t" | awk '{ print $2 }'; done | sort -u | paste -sd, -)
printf 'flint fuzz: building %s (test classes and their class path)...\n' "$modules" >&2
# One reactor run, so sibling modules resolve to this checkout's target/classes, not ~/.m2.
(cd "$ROOT" && mvn -B -q -Dstyle.color=never -pl "$modules" -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz-classpath.txt >&2)

summary=()
for t in "${chosen[@]}"; do
    read -r _ module class <<<"$(target_line "$t")"
    dir=$ROOT/$module
    inputs=$dir/src/test/resources/$(tr . / <<<"${class%.*}")/${class##*.}Inputs/replay
    work=$dir/target/fuzz/$t
    mkdir -p "$inputs" "$work/corpus"
    printf 'flint fuzz: %s for %ss (seeds and crashers: %s)\n' "$t" "$seconds" "${inputs#"$ROOT"/}" >&2
    log=$work/jazzer.log
    # Without JUnit's launcher on the class path Jazzer runs fuzzerTestOneInput standalone, where
    # -max_total_time, --keep_going and -artifact_prefix apply (its JUnit mode would take @FuzzTest).
    classpath=$(tr : '\n' <"$dir/target/fuzz-classpath.txt" | grep -v '/junit-platform-launcher-' | paste -sd: -)
    status=0
    (cd "$work" && "$JAVA_HOME/bin/java" -Xmx512m -XX:+EnableDynamicAgentLoading --enable-native-access=ALL-UNNAMED \
        --sun-misc-unsafe-memory-access=allow -Djava.util.logging.config.file=/dev/null \
        -cp "$dir/target/test-classes:$dir/target/classes:$classpath" \
        com.code_intelligence.jazzer.Jazzer --target_class="$class" --instrumentation_includes='dev.flint.**' \
        --keep_going=20 --reproducer_path="$work" -artifact_prefix="$inputs/" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        "$work/corpus" "$inputs") >"$log" 2>&1 || status=$?
    execs=$(awk '/stat::number_of_executed_units/ { n = $2 } END { print n + 0 }' "$log")
    findings=$(grep -c '^== Java Exception\|^==[0-9]*== ERROR: libFuzzer' "$log" || true)
    summary+=("$(printf '%-13s %10s execs %5ss  %s finding(s)  log: %s' "$t" "$execs" "$seconds" "$findings" "${log#"$ROOT"/}")")
    if [[ $status -ne 0 && $findings -eq 0 ]]; then
        summary+=("              jazzer exited $status without a finding; see the log")
    fi
done
printf '%s\n' "${summary[@]}"
