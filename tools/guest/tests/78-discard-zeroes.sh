#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Discard (Dataset Management, deallocate) and Write Zeroes. Over a region
# of random data, blkdiscard one sub-range and blkdiscard -z (BLKZEROOUT,
# Write Zeroes) another; both must read back as zeroes (QEMU's namespaces
# read deallocated blocks as zeroes: DLFEAT, with guest.sh's discard=unmap),
# and everything else in the region must be unchanged. The ranges include
# ones that are a few logical blocks long and not 4 KiB aligned. Reads are
# O_DIRECT so the data comes from the device. Leaves nvme_rs loaded with
# default parameters; the regions hold the test data.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

OFF=$((8 << 20))
LEN=$((4 << 20))
KiB=1024
# util-linux's: busybox sh would run its own applet, which lacks -z.
BLKDISCARD=/usr/sbin/blkdiscard

require "nvme_rs loaded" ensure_loaded
require "util-linux blkdiscard (with -z)" sh -c "$BLKDISCARD --help 2>&1 | grep -q -e --zeroout"
head -c "$LEN" /dev/zero >/tmp/zeroes

# zero_expected START LENGTH: zeroes that part of /tmp/expected (offsets
# within the region).
zero_expected() {
	dd if=/dev/zero of=/tmp/expected bs="$2" count=1 seek="$1" \
		oflag=seek_bytes conv=notrunc status=none
}

# reads_zero START LENGTH: that part of the region as read back is zeroes.
# (busybox cmp with offsets reports every differing byte: keep the first.)
reads_zero() {
	local out
	out=$(cmp -n "$2" /tmp/got /tmp/zeroes "$1" 0 2>&1) && return 0
	printf '%s\n' "$out" | head -n 1
	return 1
}

nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	dev=/dev/nvme0n$nsid
	q=/sys/block/nvme0n$nsid/queue
	eval "lba=\$NS${nsid}_LBA"
	check "$dev: discard supported (discard_max_bytes > 0)" test "$(cat "$q/discard_max_bytes")" -gt 0
	check "$dev: write zeroes supported (write_zeroes_max_bytes > 0)" \
		test "$(cat "$q/write_zeroes_max_bytes")" -gt 0

	head -c "$LEN" /dev/urandom >/tmp/pattern
	cp /tmp/pattern /tmp/expected
	check "$dev: write 4 MiB of random data at 8 MiB" dd if=/tmp/pattern of="$dev" bs=64k \
		seek=$((OFF / 65536)) oflag=direct conv=fsync status=none

	# Ranges within the region: start, length.
	d1s=$((512 * KiB)) d1l=$((1024 * KiB))             # 1 MiB, aligned
	d2s=$((3072 * KiB + 3 * lba)) d2l=$((5 * lba))     # a few blocks, unaligned
	z1s=$((2048 * KiB)) z1l=$((512 * KiB + 3 * lba))   # 512 KiB and 3 blocks
	z2s=$((3584 * KiB + lba)) z2l=$((2 * lba))         # two blocks
	check "$dev: blkdiscard 1 MiB at +512 KiB" \
		"$BLKDISCARD" -f -o $((OFF + d1s)) -l "$d1l" "$dev"
	check "$dev: blkdiscard $((d2l / lba)) blocks at +$d2s" \
		"$BLKDISCARD" -f -o $((OFF + d2s)) -l "$d2l" "$dev"
	check "$dev: blkdiscard -z $z1l bytes at +2 MiB" \
		"$BLKDISCARD" -f -z -o $((OFF + z1s)) -l "$z1l" "$dev"
	check "$dev: blkdiscard -z $((z2l / lba)) blocks at +$z2s" \
		"$BLKDISCARD" -f -z -o $((OFF + z2s)) -l "$z2l" "$dev"
	for r in "$d1s $d1l" "$d2s $d2l" "$z1s $z1l" "$z2s $z2l"; do
		# shellcheck disable=SC2086 # two numbers
		zero_expected $r
	done

	rm -f /tmp/got
	check "$dev: read the region back (O_DIRECT)" dd if="$dev" of=/tmp/got bs=64k \
		skip=$((OFF / 65536)) count=$((LEN / 65536)) iflag=direct status=none
	check "$dev: discarded 1 MiB reads as zeroes" reads_zero "$d1s" "$d1l"
	check "$dev: discarded $((d2l / lba)) blocks read as zeroes" reads_zero "$d2s" "$d2l"
	check "$dev: write-zeroed $z1l bytes read as zeroes" reads_zero "$z1s" "$z1l"
	check "$dev: write-zeroed $((z2l / lba)) blocks read as zeroes" reads_zero "$z2s" "$z2l"
	# Also catches a range rounded out, or a range's LBA count off by one.
	check "$dev: the rest of the region is unchanged" cmp /tmp/got /tmp/expected
	nsid=$((nsid + 1))
done

group_end
