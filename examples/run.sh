#!/usr/bin/env bash
# examples/run.sh: builds Flint's examples against the Flint installed in ~/.m2 (./flint install)
# and runs each, printing its output; exits non-zero if any example fails.
#
#   examples/run.sh [--no-build | --build-only] [EXAMPLE...]   (default: Hello Files Fork, and
#                                                               Image when FLINT_EXAMPLE_IMAGE names
#                                                               an OCI layout or docker save archive)
#
# Running them needs a /dev/kvm that can boot a stock Linux guest, and the guest kernel and
# initramfs in FLINT_CACHE (./flint build). Where only the nested rig can (PVM hosts), build
# here and run there, where there is no Maven:
#   examples/run.sh --build-only
#   ./flint rig --timeout 1200 --include "$PWD/examples" -- examples/run.sh --no-build
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ALL=(Hello Files Fork)
build=1 run=1 examples=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-build) build=0 ;;
        --build-only) run=0 ;;
        -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) printf 'run.sh: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
        *) examples+=("$1") ;;
    esac
    shift
done
if [[ ${#examples[@]} -eq 0 ]]; then
    examples=("${ALL[@]}")
    # Image runs a command in an OCI image loaded from a layout or a docker save archive.
    [[ -z ${FLINT_EXAMPLE_IMAGE:-} ]] || examples+=(Image)
fi

if (( build )); then
    command -v mvn >/dev/null 2>&1 || { printf 'run.sh: mvn is not on PATH; install Maven, or build elsewhere and pass --no-build\n' >&2; exit 2; }
    printf 'run.sh: building the examples against dev.flint:flint-machine in ~/.m2 (./flint install puts it there)\n' >&2
    # The runtime jars beside the classes: the examples then run with plain java, no Maven.
    mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" compile dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$HERE/target/lib" >&2 \
        || { printf 'run.sh: the build failed; if flint-machine was not found, run ./flint install first\n' >&2; exit 2; }
fi
(( run )) || exit 0

[[ -d $HERE/target/classes && -d $HERE/target/lib ]] \
    || { printf 'run.sh: %s has no build; run examples/run.sh --build-only first\n' "$HERE/target" >&2; exit 2; }
java=java
[[ -n ${JAVA_HOME:-} ]] && java=$JAVA_HOME/bin/java

failed=()
for example in "${examples[@]}"; do
    printf '== %s\n' "$example"
    # Flint calls KVM and libc through FFM, a restricted API: native access for the class path.
    args=()
    [[ $example != Image ]] || args=("${FLINT_EXAMPLE_IMAGE:?Image runs in the OCI layout or archive FLINT_EXAMPLE_IMAGE names}")
    if "$java" --enable-native-access=ALL-UNNAMED -cp "$HERE/target/classes:$HERE/target/lib/*" \
            "dev.flint.examples.$example" "${args[@]}"; then
        printf '== %s: ok\n' "$example"
    else
        printf '== %s: FAILED (exit %d)\n' "$example" "$?"
        failed+=("$example")
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'run.sh: %d of %d examples failed: %s\n' "${#failed[@]}" "${#examples[@]}" "${failed[*]}" >&2
    exit 1
fi
printf 'run.sh: all %d examples ran\n' "${#examples[@]}" >&2
