#!/bin/sh
# tree-listing.sh ROOT: one sorted line per path under ROOT, so that a host-side unpack of an
# image and the guest's view of the same image can be compared with diff(1).
#
# POSIX sh; runs under busybox sh with only these applets: find, stat, sha256sum, readlink, sort
# (plus shell builtins). Paths containing newlines are not supported.
#
# Line format (fields separated by one space; the path comes first and may contain spaces):
#   PATH TYPE MODE UID:GID [size=N sha256=HEX] [-> TARGET] [dev=MAJ:MIN] [hl=FIRST]
#   TYPE  dir | file | symlink | char | block | fifo | socket
#   MODE  4 octal digits, setuid/setgid/sticky included
#   size/sha256 for regular files; -> TARGET for symlinks; dev= for char/block devices (decimal);
#   hl=FIRST for non-directories with a link count > 1: FIRST is the C-locale-smallest path of
#   the paths under ROOT sharing that inode (so the group does not depend on inode numbers).
# Not listed: mtimes, xattrs, directory sizes and link counts (they differ between filesystems).
#
# Excluded (relative to ROOT; see EXCLUDES below): proc sys dev run lost+found, the contents of
# tmp and var/tmp (the directories themselves are listed), etc/hosts etc/hostname
# etc/resolv.conf etc/mtab; plus every -x PATH given (a path relative to ROOT; it and everything
# under it are left out).
set -eu

usage() {
  cat <<'USAGE'
usage: tree-listing.sh [-x RELPATH]... ROOT
Prints one line per path under ROOT (type, mode, owner, size, sha256, symlink target, device
numbers, hard-link group), sorted in the C locale, for comparing two trees with diff.
Excluded: proc sys dev run lost+found, contents of tmp and var/tmp, etc/hosts etc/hostname
etc/resolv.conf etc/mtab, and each -x RELPATH. Runs under busybox sh.
USAGE
}

EXTRA=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -x) [ $# -ge 2 ] || { usage >&2; exit 2; }; EXTRA="$EXTRA ${2#/}"; shift 2 ;;
    --) shift; break ;;
    -*) echo "tree-listing.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
ROOT=$1
[ -d "$ROOT" ] || { echo "tree-listing.sh: $ROOT is not a directory" >&2; exit 2; }
cd "$ROOT"

LC_ALL=C
export LC_ALL
# Whole subtrees left out, and directories whose contents (only) are left out.
EXCLUDES="proc sys dev run lost+found etc/hosts etc/hostname etc/resolv.conf etc/mtab$EXTRA"
CONTENTS_EXCLUDED="tmp var/tmp"

# find ROOT-relative expression: ( -path ./a -o -path ./b ... ) -prune -o ! -path . ACTION
set --
for e in $EXCLUDES; do set -- "$@" -path "./$e" -o; done
for e in $CONTENTS_EXCLUDED; do set -- "$@" -path "./$e/*" -o; done
set -- "$@" -path "./.tree-listing-never"

TMP=${TMPDIR:-/tmp}/tree-listing.$$
mkdir "$TMP"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# 1. metadata of every path (lstat): raw mode (hex), uid, gid, size, inode, nlink, major, minor
find . \( "$@" \) -prune -o ! -path . -exec stat -c '%f %u %g %s %i %h %t %T %n' {} + > "$TMP/stat"
# 2. sha256 of every regular file
find . \( "$@" \) -prune -o -type f -exec sha256sum {} + > "$TMP/sha"

# Records "PATH<TAB>KIND<TAB>VALUE"; after a C-locale sort the records of one path are adjacent
# and in KIND order (TAB sorts before every printable character).
TAB=$(printf '\t')
: > "$TMP/links"
while read -r fmode uid gid size ino nlink maj min path; do
  p=${path#./}
  m=$((0x$fmode))
  perm=$(printf '%04o' $((m & 4095)))
  extra=""
  case $((m & 61440)) in
    16384) type=dir ;;
    32768) type=file; extra=" size=$size" ;;
    40960) type=symlink; extra=" -> $(readlink "$path")" ;;
    8192) type=char; extra=" dev=$((0x$maj)):$((0x$min))" ;;
    24576) type=block; extra=" dev=$((0x$maj)):$((0x$min))" ;;
    4096) type=fifo ;;
    49152) type=socket ;;
    *) type=unknown ;;
  esac
  printf '%s\t0\t%s %s %s:%s%s\n' "$p" "$type" "$perm" "$uid" "$gid" "$extra"
  if [ "$type" != dir ] && [ "$nlink" -gt 1 ]; then
    printf '%s %s\n' "$ino" "$p" >> "$TMP/links"
  fi
done < "$TMP/stat" > "$TMP/records"

while read -r hash path; do
  printf '%s\t1\t sha256=%s\n' "${path#./}" "$hash"
done < "$TMP/sha" >> "$TMP/records"

# hard-link groups: sort by inode then path; the first path of each inode names the group
sort -k1,1n -k2 "$TMP/links" | {
  last=""; first=""
  while read -r ino p; do
    if [ "$ino" != "$last" ]; then last=$ino; first=$p; fi
    printf '%s\t2\t hl=%s\n' "$p" "$first"
  done
} >> "$TMP/records"

sort "$TMP/records" | {
  cur=""; line=""
  while IFS="$TAB" read -r p kind value; do
    if [ "$p" != "$cur" ]; then
      [ -z "$cur" ] || printf '%s\n' "$line"
      cur=$p; line="$p $value"
    else
      line="$line$value"
    fi
  done
  [ -z "$cur" ] || printf '%s\n' "$line"
}
