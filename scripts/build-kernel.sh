#!/usr/bin/env bash
# Build (or reuse) a guest kernel for nvme-rs.
#
#   scripts/build-kernel.sh [test|bench]
#
# The kernel is built from Debian's linux-source-6.12 out of tree, with
# `make allnoconfig` plus the fragments in scripts/kernel/. Built trees are
# cached outside the work tree, keyed by the source version and a hash of the
# configuration, so a fresh clone on the same machine reuses them. The cache
# directory is printed on the last line of output; build/kernel-<flavour>
# in the work tree links to it.
set -euo pipefail

flavour=${1:-test}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${NVME_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvme-rs}
tarball=/usr/src/linux-source-6.12.tar.xz
fragments=("$repo/scripts/kernel/base.config" "$repo/scripts/kernel/$flavour.config")

for f in "${fragments[@]}"; do
	[ -f "$f" ] || { echo "build-kernel: no config fragment $f" >&2; exit 1; }
done
[ -f "$tarball" ] || { echo "build-kernel: $tarball missing; run scripts/install-deps.sh" >&2; exit 1; }

# The source is keyed by the Debian package version, which names the upstream release.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
src=$cache/src/$srcver/linux-source-6.12
if [ ! -f "$src/.nvme-rs-extracted" ]; then
	echo "build-kernel: extracting $tarball ($srcver)"
	rm -rf "$cache/src/$srcver"
	mkdir -p "$cache/src/$srcver"
	tar -C "$cache/src/$srcver" -xf "$tarball"
	touch "$src/.nvme-rs-extracted"
fi

toolchain="$(rustc --version) $(bindgen --version 2>&1 | head -n1) $(clang --version | head -n1)"
hash=$( { cat "${fragments[@]}"; echo "$toolchain"; } | sha256sum | cut -c1-12)
out=$cache/kernels/$srcver-$flavour-$hash
mkdir -p "$out" "$repo/build"

exec 9>"$out/.lock"
flock 9

# The work tree's link moves only to a finished kernel, so module builds
# never point at a half-built tree.
if [ -f "$out/.nvme-rs-built" ]; then
	echo "build-kernel: reusing $out"
	ln -sfn "$out" "$repo/build/kernel-$flavour"
	echo "$out"
	exit 0
fi

kmake() { make -C "$src" O="$out" LLVM=1 "$@"; }

# A new configuration starts from the newest finished build of the same
# source and flavour, if any: Kbuild then rebuilds only what the changed
# options affect, minutes instead of a cold build.
if [ ! -f "$out/.config" ]; then
	# ls fails when there is none yet (the first build of a flavour);
	# pipefail would make that end the script without a word.
	# shellcheck disable=SC2012 # ls -t sorts by time; the paths are ours
	seed=$(ls -1dt "$cache/kernels/$srcver-$flavour-"*/.nvme-rs-built 2>/dev/null | head -n 1 || true)
	if [ -n "$seed" ]; then
		seed=$(dirname "$seed")
		echo "build-kernel: starting from $seed"
		(cd "$seed" && tar --exclude=./.nvme-rs-built --exclude=./.lock -cf - .) | tar -C "$out" -xf -
	fi
fi

cat "${fragments[@]}" > "$out/nvme-rs.config"
kmake -s KCONFIG_ALLCONFIG="$out/nvme-rs.config" allnoconfig

# Kconfig drops options whose dependencies are unmet without a word, Rust
# among them when the toolchain is missing. Check every requested value.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$out/.config" || { echo "build-kernel: wanted $line, got: $(grep "^${line%%=*}=" "$out/.config" || echo unset)" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		! grep -q "^$sym=" "$out/.config" || { echo "build-kernel: wanted $sym off, got: $(grep "^$sym=" "$out/.config")" >&2; bad=1; } ;;
	esac
done < <(cat "${fragments[@]}")
if [ "$bad" -ne 0 ]; then
	kmake rustavailable || true
	exit 1
fi

echo "build-kernel: building $flavour kernel in $out (cold builds take a while)"
kmake -j"$(nproc)" bzImage modules
touch "$out/.nvme-rs-built"
ln -sfn "$out" "$repo/build/kernel-$flavour"
echo "$out"
