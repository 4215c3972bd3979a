#!/usr/bin/env bash
# Build blktests and xfstests from the pinned snapshots into build/suites/.
#
#   scripts/build-suites.sh
#
# The snapshots are ../shared/third_party/{blktests,xfstests}-*.tar.gz from
# the project root (SUITES_SNAPSHOTS moves them; see that directory's
# README.md). Each suite is unpacked into build/suites/<name>/ and built
# there; a stamp naming the snapshot's checksum marks a finished build, so a
# suite is rebuilt only when it is missing or its snapshot changed. Their
# build dependencies are Debian packages (scripts/install-deps.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
snapshots=${SUITES_SNAPSHOTS:-$repo/../shared/third_party}
dest=$repo/build/suites
mkdir -p "$dest"

build_one() {
	local name=$1 tarball sum dir
	tarball=$(ls -1 "$snapshots/$name"-*.tar.gz 2>/dev/null | head -n 1 || true)
	[ -n "$tarball" ] || { echo "build-suites: no $name snapshot in $snapshots" >&2; return 1; }
	sum=$(sha256sum "$tarball" | cut -c1-16)
	dir=$dest/$name
	if [ -f "$dir/.nvme-rs-built" ] && [ "$(cat "$dir/.nvme-rs-built")" = "$sum" ]; then
		echo "build-suites: reusing $name ($(basename "$tarball"))"
		return 0
	fi
	echo "build-suites: building $name from $(basename "$tarball")"
	rm -rf "$dir" "$dest/.unpack-$name"
	mkdir -p "$dest/.unpack-$name"
	tar -C "$dest/.unpack-$name" -xzf "$tarball"
	mv "$dest/.unpack-$name/$name" "$dir"
	rmdir "$dest/.unpack-$name"
	case $name in
	# blktests: only its helper programs are compiled.
	blktests) make -C "$dir" -j"$(nproc)" >"$dest/$name-build.log" 2>&1 ;;
	# xfstests: configure and build in the tree; `make` runs autoconf.
	xfstests) make -C "$dir" -j"$(nproc)" >"$dest/$name-build.log" 2>&1 ;;
	esac || { tail -n 30 "$dest/$name-build.log" >&2; echo "build-suites: $name failed to build, see $dest/$name-build.log" >&2; return 1; }
	echo "$sum" >"$dir/.nvme-rs-built"
}

build_one blktests
build_one xfstests
