#!/usr/bin/env bash
# selftest.sh - checks that the nested rig works: /dev/kvm, the JDK and the cloud kernel inside,
# kvm-amd with nested paging, a real KVM_RUN of a tiny guest (when gcc is there to build it),
# exit statuses, quoting, --env/--workdir/--include, and the failure path (exit 125).
# Usage: rig/selftest.sh [RIG OPTIONS...]   (e.g. --cpus 1); prints PASS/FAIL lines, exits 0 if all pass.
set -euo pipefail
RIG=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/rig.sh
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flint-rig-selftest.XXXXXXXX")
trap 'rm -rf "$tmp"' EXIT

pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
expect_rc() {   # expect_rc NAME WANT RIG-ARGS...
    local name=$1 want=$2 rc=0; shift 2
    "$RIG" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    if [[ $rc == "$want" ]]; then pass "$name (exit $rc)"; else fail "$name: exit $rc, wanted $want"; sed 's/^/    /' "$tmp/out" "$tmp/err"; fi
}

start=$(date +%s.%N)
out=$("$RIG" "$@" -- sh -c 'ls -l /dev/kvm; java -version 2>&1; uname -r; cat /sys/module/kvm_amd/parameters/nested /sys/module/kvm_amd/parameters/npt; dmesg | grep -i -e "svm" -e "kvm"; echo "JAVA_HOME=$JAVA_HOME"; command -v java' 2>"$tmp/err") || { fail "basic run"; cat "$tmp/err"; }
printf '%s\n' "$out" | sed 's/^/    /'
printf '    (%.1f s)\n' "$(echo "$(date +%s.%N) - $start" | bc)"
grep -q '^crw.* /dev/kvm$' <<<"$out" && pass "/dev/kvm is a character device" || fail "/dev/kvm missing"
grep -q 'version "2[2-9]\|version "[3-9][0-9]' <<<"$out" && pass "java >= 22 runs" || fail "java -version"
grep -q -- '-cloud-amd64$' <<<"$out" && pass "cloud kernel" || fail "uname -r is not the cloud kernel"
grep -q 'Nested Paging enabled' <<<"$out" && pass "kvm-amd loaded with nested paging" || fail "kvm-amd/NPT"

if command -v gcc >/dev/null && gcc -static -O2 -o "$tmp/kvm-smoke" "$(dirname "$RIG")/selftest/kvm-smoke.c" 2>/dev/null; then
    out=$("$RIG" "$@" --include "$tmp/kvm-smoke" -- "$tmp/kvm-smoke" 2>"$tmp/err") && rc=0 || rc=$?
    printf '    %s\n' "$out"
    [[ $rc == 0 ]] && pass "KVM_RUN of a real-mode guest inside the rig" || { fail "kvm-smoke (exit $rc)"; cat "$tmp/err"; }
else
    printf 'SKIP kvm-smoke (no gcc with static libc)\n'
fi

expect_rc "false exits 1" 1 "$@" -- false
expect_rc "sh -c 'exit 7' exits 7" 7 "$@" -- sh -c 'exit 7'
expect_rc "missing command exits 127" 127 "$@" -- /no/such/command
expect_rc "missing --include is an error" 125 "$@" --include /no/such/path -- true
expect_rc "timeout gives 125" 125 "$@" --timeout 1 -- true

mkdir -p "$tmp/inc/sub/.git"; echo hello >"$tmp/inc/sub/file"; echo secret >"$tmp/inc/sub/.git/config"
out=$("$RIG" "$@" --include "$tmp/inc" --workdir "$tmp/inc/sub" --env "GREETING=it's a \"test\" \$HOME" \
    -- bash -c 'printf "%s|%s|%s|%s|%s\n" "$PWD" "$(cat file)" "$GREETING" "$1" "$(ls -A)"; printf "no-newline"' _ 'a b  c' 2>"$tmp/err") || { fail "include/env run"; cat "$tmp/err"; }
want="$tmp/inc/sub|hello|it's a \"test\" \$HOME|a b  c|file
no-newline"
[[ $out == "$want" ]] && pass "--include (without .git), --workdir, --env, argv quoting, output without final newline" \
    || { fail "include/env/quoting"; diff <(printf '%s\n' "$want") <(printf '%s\n' "$out") | sed 's/^/    /'; }

leftover=$(ls -d "${TMPDIR:-/tmp}"/flint-rig.* 2>/dev/null || true)
[[ -z $leftover ]] && pass "no temp dirs left" || fail "temp dirs left: $leftover"

if [[ $fails == 0 ]]; then echo "selftest: all passed"; else echo "selftest: $fails failed"; exit 1; fi
