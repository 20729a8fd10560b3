#!/bin/bash
# build-test-images.sh OUTDIR: builds Flint's OCI test images with independent tools (umoci,
# debootstrap, skopeo, docker-registry) and caches them in OUTDIR/<key>/. See README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
LISTING="$HERE/tree-listing.sh"
REGISTRY_SH="$HERE/registry.sh"
T0=$(date +%s)
umask 022

log() { echo "build-test-images: [$(( $(date +%s) - T0 ))s] $*" >&2; }
die() { echo "build-test-images: ERROR: $*" >&2; exit 1; }

usage() {
  cat <<'USAGE'
usage: build-test-images.sh [--mirror URL] [--suite SUITE] OUTDIR

Builds, as root, into OUTDIR/<key>/ (key = sha256 of this script, tree-listing.sh and
registry.sh, the Debian mirror URL and the suite; an existing complete OUTDIR/<key>/ is reused
as is):
  layers/              OCI layout (umoci), tags t (root, workdir /), app (user app, workdir
                       /home/app), opq (t plus a hand-made layer with a real .wh..wh..opq)
  python/              OCI layout, tag 3: debootstrap --variant=minbase
                       --include=python3-minimal SUITE, one layer, Cmd ["python3"]
  expected-layers.txt  tree-listing.sh of `umoci unpack` (as root) of layers:t
  expected-layers-opq.txt  the same for layers:opq
  registry/            docker-registry storage root holding flint/layers:t, flint/layers:app,
                       flint/layers:opq, flint/layers-v2s2:t (Docker schema 2), flint/layers-zstd:t
                       (zstd layers, checked), flint/python:3
  images.txt           "name:tag digest" lines (manifest digests, as the registry serves them)
The last stdout line is the OUTDIR/<key> path. Progress goes to stderr.

Options:
  --mirror URL   Debian mirror (default: the one apt uses, from /etc/apt/sources.list or
                 /etc/apt/sources.list.d/*.sources / *.list)
  --suite SUITE  Debian suite for the python image (default bookworm)
Missing tools are installed with apt-get (docker-registry umoci skopeo debootstrap
busybox-static attr curl jq).
USAGE
}

MIRROR=""; SUITE=bookworm; OUTDIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --mirror) MIRROR=${2:?--mirror needs a URL}; shift 2 ;;
    --suite) SUITE=${2:?--suite needs a name}; shift 2 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) [ -z "$OUTDIR" ] || { usage >&2; die "one OUTDIR only"; }; OUTDIR=$1; shift ;;
  esac
done
[ -n "$OUTDIR" ] || { usage >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root (umoci unpack/repack must keep owners, devices, setuid)"

# ---------------------------------------------------------------------------------------------
# tools
apt_install() {
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  local o=(-o DPkg::Lock::Timeout=600)
  apt-get "${o[@]}" install -y --no-install-recommends "$@" >&2 \
    || { apt-get "${o[@]}" update >&2 && apt-get "${o[@]}" install -y --no-install-recommends "$@" >&2; } \
    || die "apt-get install $* failed"
}
need=()
for pair in docker-registry:docker-registry umoci:umoci skopeo:skopeo debootstrap:debootstrap \
            setfattr:attr getfattr:attr curl:curl jq:jq flock:util-linux unshare:util-linux; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${pair%%:*}" ] || need+=("${pair#*:}")
done
# a static busybox: the Debian "busybox" package's one is dynamic, busybox-static's is static
if ! [ -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then need+=(busybox-static); fi
if [ ${#need[@]} -gt 0 ]; then apt_install $(printf '%s\n' "${need[@]}" | sort -u); fi
export PATH="$PATH:/usr/sbin:/sbin"
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static"

# ---------------------------------------------------------------------------------------------
# the Debian mirror apt uses
find_mirror() {
  local f u
  # deb822: the URIs of a stanza whose Suites has SUITE (not -security/-updates)
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    u=$(awk -v suite="$SUITE" '
      BEGIN { RS=""; FS="\n" }
      { uris=""; ok=0; deb=0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/) continue
          if ($i ~ /^Types:/ && $i ~ /(^|[ \t])deb([ \t]|$)/) deb=1
          if ($i ~ /^URIs:/) { uris=$i; sub(/^URIs:[ \t]*/, "", uris); split(uris, a, /[ \t]+/); uris=a[1] }
          if ($i ~ /^Suites:/) { n=split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok=1 }
        }
        if (deb && ok && uris != "") { print uris; exit }
      }' "$f")
    [ -n "$u" ] && { echo "$u"; return; }
  done
  # one-line format: deb [options] URI SUITE COMPONENTS...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    u=$(awk -v suite="$SUITE" '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == suite) { print $i; exit } }' "$f")
    [ -n "$u" ] && { echo "$u"; return; }
  done
  return 1
}
if [ -z "$MIRROR" ]; then
  MIRROR=$(find_mirror) || die "no deb line for suite $SUITE in apt's sources; pass --mirror URL"
fi
MIRROR=${MIRROR%/}

KEY=$( { cat "$SELF" "$LISTING" "$REGISTRY_SH"; printf '%s\n%s\n' "$MIRROR" "$SUITE"; } \
       | sha256sum | cut -c1-64)
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
FINAL="$OUTDIR/$KEY"
if [ -f "$FINAL/images.txt" ]; then log "cached: $FINAL"; echo "$FINAL"; exit 0; fi

exec 9> "$OUTDIR/.lock"
log "waiting for $OUTDIR/.lock"; flock 9
if [ -f "$FINAL/images.txt" ]; then log "cached (built meanwhile): $FINAL"; echo "$FINAL"; exit 0; fi

log "building $FINAL (mirror $MIRROR, suite $SUITE)"
W="$OUTDIR/$KEY.partial"
# debootstrap mounts proc/sys in its target; never rm -rf a tree with something mounted in it
umount_under() {
  local m
  for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}
umount_under "$W"
rm -rf "$W"
mkdir -p "$W/tmp"
TMP="$W/tmp"
export FLINT_REGISTRY_STATE="$TMP/registry-state"
cleanup() {
  "$REGISTRY_SH" stop >/dev/null 2>&1 || true
  umount_under "$W"
  [ -d "$W" ] && log "failed; leaving $W for inspection" || true
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# layers image
L="$W/layers"
B="$TMP/bundle"
umoci init --layout "$L"
umoci new --image "$L:t"

log "layers: layer 1"
umoci unpack --image "$L:t" "$B"
R="$B/rootfs"
mkdir -p "$R/bin" "$R/etc" "$R/usr/bin" "$R/usr/local/bin" "$R/data/keep" "$R/data/gone" \
         "$R/opaque" "$R/home/app" "$R/root" "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in sh ls cat stat find sha256sum id readlink head wc sort xargs; do ln -s busybox "$R/bin/$a"; done
cp "$LISTING" "$R/usr/local/bin/tree-listing.sh"; chmod 0755 "$R/usr/local/bin/tree-listing.sh"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' > "$R/etc/group"
echo keep-a > "$R/data/keep/a"
echo keep-b > "$R/data/keep/b"
echo gone-c > "$R/data/gone/c"
echo gone > "$R/data/gone.txt"
echo old-1 > "$R/opaque/old-1"
echo old-2 > "$R/opaque/old-2"
mkdir "$R/opaque/old-dir"; echo old-3 > "$R/opaque/old-dir/old-3"
printf hard > "$R/data/hl-a"
printf '#!/bin/sh\nid\n' > "$R/usr/bin/suid"; chmod 4755 "$R/usr/bin/suid"
mkfifo "$R/run-fifo"
mknod "$R/dev-null-copy" c 1 3; chmod 0666 "$R/dev-null-copy"
echo owned > "$R/home/app/owned"; chown 1000:2000 "$R/home/app/owned"; chmod 0640 "$R/home/app/owned"
chown 1000:1000 "$R/home/app"; chmod 0755 "$R/home/app"
chmod 0700 "$R/root"; chmod 1777 "$R/tmp"
ln -s /data/keep "$R/link"
umoci repack --image "$L:t" --history.comment "flint layer 1" "$B"
rm -rf "$B"

log "layers: layer 2 (whiteouts, opaque dir, hard link, chmod, xattr)"
umoci unpack --image "$L:t" "$B"
rm -f "$R/data/gone.txt"
rm -rf "$R/data/gone"
rm -rf "$R/opaque/"* && echo new > "$R/opaque/new"
ln "$R/data/hl-a" "$R/data/hl-b"
chmod 0600 "$R/data/keep/b"
echo xattr > "$R/data/xattr"
XATTR=no
if setfattr -n user.flint -v yes "$R/data/xattr" 2>/dev/null; then XATTR=yes; else
  log "WARNING: setfattr user.flint failed on this filesystem; /data/xattr has no xattr"; fi
umoci repack --image "$L:t" --history.comment "flint layer 2" "$B"
rm -rf "$B"
umoci config --image "$L:t" --config.workingdir / --config.env PATH=/usr/local/bin:/usr/bin:/bin \
  --config.cmd sh
umoci config --image "$L:t" --tag app --config.user app --config.workingdir /home/app

log "layers: tag opq = t + a hand-made layer with opaque/.wh..wh..opq"
mkdir -p "$TMP/opq/opaque"
: > "$TMP/opq/opaque/.wh..wh..opq"
echo newer > "$TMP/opq/opaque/newer"
tar -C "$TMP/opq" --numeric-owner --owner=0 --group=0 -cf "$TMP/opq.tar" opaque
umoci raw add-layer --image "$L:t" --tag opq --history.comment "flint opaque layer" "$TMP/opq.tar"
umoci gc --layout "$L"

# what the layers in the layout actually say (for the report on stderr)
log "layer tar entries:"
for d in $(jq -r '.layers[].digest' "$L/blobs/sha256/$(jq -r \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="opq") | .digest' \
    "$L/index.json" | cut -d: -f2)" | cut -d: -f2); do
  echo "  layer $d:" >&2
  tar -tvzf "$L/blobs/sha256/$d" --xattrs 2>/dev/null | sed 's/^/    /' >&2 || true
done

log "expected listings (umoci unpack as root)"
for tag in t opq; do
  umoci unpack --image "$L:$tag" "$TMP/check-$tag"
  out="$W/expected-layers.txt"; [ "$tag" = t ] || out="$W/expected-layers-$tag.txt"
  sh "$LISTING" "$TMP/check-$tag/rootfs" > "$out"
  if [ "$tag" = t ] && [ "$XATTR" = yes ]; then
    getfattr -n user.flint --only-values "$TMP/check-t/rootfs/data/xattr" 2>/dev/null | grep -qx yes \
      || die "user.flint xattr did not survive umoci repack/unpack"
  fi
  rm -rf "$TMP/check-$tag"
done
grep -q '^data/gone' "$W/expected-layers.txt" && die "whiteouts not applied"
grep -qx 'data/hl-b file 0644 0:0 size=4 sha256=[0-9a-f]* hl=data/hl-a' "$W/expected-layers.txt" \
  || die "hard link data/hl-b not in the listing as expected"

# ---------------------------------------------------------------------------------------------
# python image: debootstrap straight into the rootfs of an unpacked empty image (no copy)
P="$W/python"
umoci init --layout "$P"
umoci new --image "$P:3"
umoci unpack --image "$P:3" "$B"
log "python: debootstrap --variant=minbase --include=python3-minimal $SUITE $MIRROR (about 75 s)"
debootstrap --variant=minbase --include=python3-minimal "$SUITE" "$R" "$MIRROR" > "$TMP/debootstrap.log" 2>&1 \
  || { tail -n 30 "$TMP/debootstrap.log" >&2; die "debootstrap failed (log $TMP/debootstrap.log)"; }
umount_under "$R"
rm -rf "$R/var/cache/apt/archives/"*.deb "$R/var/lib/apt/lists/"* "$R/debootstrap"
[ -x "$R/usr/bin/python3" ] || die "no python3 in the debootstrap tree"
log "python: umoci repack ($(du -sh "$R" | cut -f1))"
umoci repack --image "$P:3" --history.comment "debootstrap $SUITE minbase + python3-minimal" "$B"
rm -rf "$B"
umoci config --image "$P:3" \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd python3
umoci gc --layout "$P"

# ---------------------------------------------------------------------------------------------
# registry
mkdir -p "$W/registry"
PORT=$("$REGISTRY_SH" start "$W/registry")
REG="127.0.0.1:$PORT"
log "registry on $REG"

# skopeo as root keeps a blob-info cache in /var/lib/containers/cache (rootless: ~/.local/share/
# containers/cache). skopeo 1.9 silently pushes the gzip blob instead of zstd when that cache
# knows one, so every skopeo here runs in a private mount namespace over a fresh, empty cache dir.
mkdir -p /var/lib/containers/cache
skopeo_fresh() {
  local c; c=$(mktemp -d "$TMP/skopeo-cache.XXXXXX")
  HOME="$c/home" XDG_DATA_HOME="$c/home/.local/share" unshare -m sh -c \
    'mount --bind "$0" /var/lib/containers/cache && exec skopeo "$@"' "$c" "$@"
}
ACCEPT='application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json'

# zstd first, into a registry that has no gzip blobs yet, with an empty cache
log "push flint/layers-zstd:t (oci -> dir: uncompressed -> docker:// zstd)"
skopeo_fresh copy -q --dest-decompress "oci:$L:t" "dir:$TMP/layers-dir"
skopeo_fresh copy -q --dest-tls-verify=false --dest-compress --dest-compress-format zstd \
  "dir:$TMP/layers-dir" "docker://$REG/flint/layers-zstd:t"
rm -rf "$TMP/layers-dir"
zm=$(curl -fsS -H "Accept: $ACCEPT" "http://$REG/v2/flint/layers-zstd/manifests/t")
echo "$zm" | jq -e '[.layers[].mediaType | endswith("+zstd")] | all and length > 0' >/dev/null \
  || die "flint/layers-zstd:t layers are not zstd: $(echo "$zm" | jq -c '[.layers[].mediaType]')"

for pair in "oci:$L:t flint/layers:t" "oci:$L:app flint/layers:app" "oci:$L:opq flint/layers:opq" \
            "oci:$P:3 flint/python:3"; do
  log "push ${pair#* }"
  skopeo_fresh copy -q --dest-tls-verify=false "${pair% *}" "docker://$REG/${pair#* }"
done
log "push flint/layers-v2s2:t (Docker schema 2)"
skopeo_fresh copy -q --dest-tls-verify=false --format v2s2 "oci:$L:t" "docker://$REG/flint/layers-v2s2:t"

: > "$W/images.txt"
for ref in flint/layers:t flint/layers:app flint/layers:opq flint/layers-v2s2:t flint/layers-zstd:t \
           flint/python:3; do
  name=${ref%:*}; tag=${ref##*:}
  curl -fsS -D "$TMP/h" -o "$TMP/m" -H "Accept: $ACCEPT" "http://$REG/v2/$name/manifests/$tag"
  hd=$(tr -d '\r' < "$TMP/h" | awk 'tolower($1) == "docker-content-digest:" { print $2 }')
  bd="sha256:$(sha256sum < "$TMP/m" | cut -c1-64)"
  [ "$hd" = "$bd" ] || die "$ref: Docker-Content-Digest $hd != body sha256 $bd"
  mt=$(jq -r '.mediaType // "(none)"' "$TMP/m")
  log "$ref $bd $mt layers: $(jq -c '[.layers[].mediaType | split(".") | last]' "$TMP/m")"
  echo "$ref $bd" >> "$W/images.txt"
done
jq -e '.mediaType == "application/vnd.docker.distribution.manifest.v2+json"' \
  < <(curl -fsS -H "Accept: $ACCEPT" "http://$REG/v2/flint/layers-v2s2/manifests/t") >/dev/null \
  || die "flint/layers-v2s2:t is not Docker schema 2"
"$REGISTRY_SH" stop

rm -rf "$TMP"
trap - EXIT
mv "$W" "$FINAL"
log "done in $(( $(date +%s) - T0 ))s: $FINAL"
echo "$FINAL"
