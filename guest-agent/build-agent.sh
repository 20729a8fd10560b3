#!/usr/bin/env bash
# Builds the static guest agent at $FLINT_CACHE/agent/flint-agent (where the initramfs builder
# takes it from), rebuilt only when the source's sha256 changes; prints its path as the last line.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=$HERE/src/main/c/flint-agent.c
FLINT_CACHE=${FLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flint}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    cat <<'USAGE'
Usage: guest-agent/build-agent.sh

Compiles guest-agent/src/main/c/flint-agent.c into a static binary (gcc -static) at
$FLINT_CACHE/agent/flint-agent, with the source's sha256 beside it: an unchanged source
costs nothing. Installs gcc and libc6-dev with apt-get when missing.
USAGE
    exit 0
fi

KEY=$(sha256sum "$SOURCE" | cut -d' ' -f1)
OUT=$FLINT_CACHE/agent/flint-agent
if [[ -x $OUT && $(cat "$OUT.sha256" 2>/dev/null) == "$KEY" ]]; then
    echo "$OUT"
    exit 0
fi
if ! command -v gcc >/dev/null || [[ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]]; then
    as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
    echo "build-agent: installing gcc and libc6-dev" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc libc6-dev >&2 \
        || { as_root apt-get update -q >&2 && as_root env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends gcc libc6-dev >&2; }
fi
mkdir -p "$(dirname "$OUT")"
gcc -static -Os -Wall -Wextra -Werror -o "$OUT.partial" "$SOURCE"
mv "$OUT.partial" "$OUT"
echo "$KEY" > "$OUT.sha256"
echo "build-agent: built $OUT" >&2
echo "$OUT"
