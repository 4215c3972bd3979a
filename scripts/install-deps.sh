#!/usr/bin/env bash
# Install what building and testing nvme-rs needs on a Debian 12 machine.
# Idempotent: each step checks before it acts, so a second run is quick.
set -euo pipefail

packages=(
	linux-source-6.12 xz-utils
	clang lld llvm libclang-dev
	bc flex bison libelf-dev libssl-dev cpio kmod pahole python3
	qemu-system-x86 busybox-static fio nvme-cli
	e2fsprogs util-linux
	gcc libc6-dev liburing-dev
	# the 32-bit passthrough test (tools/passthru/nvme-compat-test.c)
	gcc-multilib
	# blktests and xfstests (scripts/build-suites.sh, scripts/suites.sh):
	# their build dependencies, and what they run in the guest, which has
	# the host's userland.
	make autoconf automake libtool libtool-bin indent
	xfsprogs xfslibs-dev uuid-dev uuid-runtime libattr1-dev libacl1-dev
	libaio-dev libgdbm-dev libgdbm-compat-dev attr acl dump bc gawk
	psmisc dmsetup pciutils perl passwd udev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel's Rust support compiles `core` and `alloc` from source.
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	rustup component add rust-src
fi

# 6.12 wants a bindgen it knows; 0.69.5 is the one verified with this kernel.
if ! bindgen --version 2>/dev/null | grep -q '0\.69\.5'; then
	cargo install --locked bindgen-cli --version 0.69.5
fi
