#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# The block devices exist with the right geometry, and data written to them
# reads back unchanged: a quick first look before the fio groups.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "nvme_rs loaded" ensure_loaded

nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	dev=/dev/nvme0n$nsid
	sys=/sys/block/nvme0n$nsid
	check "$dev exists" wait_for "test -b $dev" 10
	check "$dev: logical block size $want_lba" \
		equals "$(cat "$sys/queue/logical_block_size")" "$want_lba"
	check "$dev: size $((want_blocks * want_lba)) bytes" \
		equals "$(($(cat "$sys/size") * 512))" "$((want_blocks * want_lba))"

	# 1 MiB of random data at an odd offset, through the page cache and
	# around it (direct I/O).
	head -c 1048576 /dev/urandom >/tmp/pattern
	check "$dev: write 1 MiB direct" \
		dd if=/tmp/pattern of="$dev" bs=64k seek=3 oflag=direct conv=fsync
	check "$dev: read back direct, same data" \
		sh -c "dd if=$dev bs=64k skip=3 count=16 iflag=direct 2>/dev/null | cmp - /tmp/pattern"
	echo 3 >/proc/sys/vm/drop_caches
	check "$dev: read back buffered, same data" \
		sh -c "dd if=$dev bs=4k skip=48 count=256 2>/dev/null | cmp - /tmp/pattern"
	nsid=$((nsid + 1))
done

group_end
