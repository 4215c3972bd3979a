#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# A real filesystem on nvme_rs: ext4 on nvme0n2 (4 KiB blocks) with its
# journal (flushes, FUA writes), discards from mkfs and lazy inode-table
# zeroing. Files survive umount, module unload and reload; rmmod must refuse
# while the filesystem is mounted or a disk is open, and the filesystem
# must come back clean (e2fsck). Leaves nvme_rs loaded with default
# parameters and nvme0n2 holding the (unmounted) filesystem.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

DEV=/dev/nvme0n2
MNT=/mnt/nvme-rs
SUMS=/tmp/fs.sha256

require "nvme_rs loaded with default parameters" load_nvme_rs
require "mkfs.ext4 on $DEV" mkfs.ext4 -F -q "$DEV"
mkdir -p "$MNT"
require "mount $DEV" mount -t ext4 "$DEV" "$MNT"

# Sizes from below a block to beyond the 512 KiB transfer limit, plus a
# directory of small files.
write_files() {
	local n
	for n in 1 4095 4096 65537 1048576 9437184; do
		head -c "$n" /dev/urandom >"$MNT/file-$n" || return 1
	done
	mkdir -p "$MNT/small"
	n=0
	while [ "$n" -lt 200 ]; do
		head -c $((n * 37 + 1)) /dev/urandom >"$MNT/small/$n" || return 1
		n=$((n + 1))
	done
	sync
}
# sums_match: every file still has its recorded checksum; names the ones
# that do not.
sums_match() {
	local out rc
	out=$(cd "$MNT" && sha256sum -c "$SUMS" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v ': OK$'
	return "$rc"
}

check "write files" write_files
check "record checksums" sh -c "cd $MNT && find . -type f | sort | xargs sha256sum >$SUMS"
echo "# $(wc -l <"$SUMS") files, $(du -sk "$MNT" | cut -f1) KiB"

check "rmmod nvme_rs fails while $DEV is mounted" sh -c '! rmmod nvme_rs 2>&1'
check "nvme_rs still loaded" test -d /sys/module/nvme_rs
head -c 100000 /dev/urandom >/tmp/after-rmmod
check "filesystem still works: write, sync" sh -c "cp /tmp/after-rmmod $MNT/ && sync"
# From the disk, not the page cache.
echo 3 >/proc/sys/vm/drop_caches
check "filesystem still works: read back" cmp /tmp/after-rmmod "$MNT/after-rmmod"
check "checksums still match" sums_match
check "umount" umount "$MNT"

# An open block device pins the module too.
exec 3<"$DEV"
check "rmmod nvme_rs fails while $DEV is open" sh -c '! rmmod nvme_rs 2>&1'
exec 3<&-

check "e2fsck: filesystem clean" e2fsck -f -n "$DEV"
dmesg_mark
check "rmmod nvme_rs" rmmod nvme_rs
check "shutdown line for nvme0" wait_for "shutdown_since_mark nvme0" 10
require "load nvme_rs again" load_nvme_rs
require "mount $DEV again" mount -t ext4 "$DEV" "$MNT"
check "checksums match after reload" sums_match
check "file written after the failed rmmod matches" cmp /tmp/after-rmmod "$MNT/after-rmmod"
check "umount" umount "$MNT"
check "e2fsck: still clean" e2fsck -f -n "$DEV"

group_end
