#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Transfers up to C's limit: a request is at most MDTS, and never more than
# 8 MiB (C's NVME_MAX_KB_SZ), however large MDTS is. In the main boot QEMU's
# MDTS of 7 caps requests at 512 KiB; make test also boots a controller
# with mdts=0 (no limit), where the 8 MiB cap is the driver's own.
#
# Requests that large need segments larger than a page (a request has at
# most 128): transparent huge pages are turned on, so that fio's buffers
# may be 2 MiB folios. Each size is written and verified with fio, with
# SGLs where the driver prefers them (sgl_threshold 32768: QEMU offers
# SGLs) and with PRPs only (sgl_threshold=0), and the disk's counters show
# how large the requests the device got were. They averaged about 1 MiB
# with both drivers here, so the chained PRP lists a request over 2 MiB
# takes are tested on the host only (spec/prp.rs).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

mdts=$(nvme id-ctrl /dev/nvme0 | sed -n 's/^mdts *: *//p')
require "nvme-cli reads MDTS" test -n "$mdts"
# QEMU's minimum memory page is 4 KiB.
if [ "$mdts" -eq 0 ] || [ $((4 << mdts)) -gt 8192 ]; then max_kb=8192; else max_kb=$((4 << mdts)); fi
echo "# mdts $mdts: requests of at most $max_kb KiB"
n=1
while [ "$n" -le "$NS_COUNT" ]; do
	check "nvme0n$n: max_hw_sectors_kb $max_kb" \
		equals "$(cat /sys/block/nvme0n$n/queue/max_hw_sectors_kb)" "$max_kb"
	n=$((n + 1))
done

thp=/sys/kernel/mm/transparent_hugepage/enabled
require "transparent huge pages on" sysfs_write always "$thp"

# write_stats DEV: "IOS SECTORS" written to DEV so far.
write_stats() {
	awk '{ print $5, $7 }' "/sys/block/$1/stat"
}

# large DEV BS DESC: writes 32 MiB of DEV in BS requests and reads them
# back verified (a crc32c per block), two requests in flight; then checks
# that the writes reached the device as requests of the size the limit
# allows: no larger than it, and, where the limit and BS allow more than
# 2 MiB, more than 2 MiB on average (chained PRP lists, or SGLs of that
# size).
large() {
	local dev="$1" bs_mb="$2" desc="$3" before after ios sectors avg_kb want_kb
	before=$(write_stats "$dev")
	check "$dev: $desc: write and verify ${bs_mb} MiB requests" fio_ok --verify \
		--name=large --filename="/dev/$dev" --direct=1 --ioengine=libaio --iodepth=2 \
		--rw=write --bs="${bs_mb}M" --size=32M --iomem=mmap --iomem_align=2M \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0
	after=$(write_stats "$dev")
	# shellcheck disable=SC2086 # two numbers each
	set -- $before $after
	ios=$(($3 - $1))
	sectors=$(($4 - $2))
	[ "$ios" -gt 0 ] || ios=1
	avg_kb=$((sectors / 2 / ios))
	want_kb=$((bs_mb * 1024))
	[ "$want_kb" -gt "$max_kb" ] && want_kb=$max_kb
	echo "# $dev: $desc: $ios writes averaging $avg_kb KiB (at most $want_kb KiB each)"
	check "$dev: $desc: no write larger than $max_kb KiB" test "$avg_kb" -le "$max_kb"
}

# sizes DESC: every size on every namespace.
sizes() {
	local n=1 bs
	while [ "$n" -le "$NS_COUNT" ]; do
		for bs in 2 4 8; do
			large "nvme0n$n" "$bs" "$1"
		done
		n=$((n + 1))
	done
}

sizes "default sgl_threshold"
if check "reload with sgl_threshold=0 (PRPs only)" load_driver sgl_threshold=0; then
	sizes "PRPs only"
fi
check "reload with default parameters" load_driver
sysfs_write madvise "$thp"

group_end
