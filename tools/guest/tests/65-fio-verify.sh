#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Data written through nvme_rs reads back intact. fio writes random blocks,
# each with a crc32c header, then reads every one back and checks it
# (verify_fatal: the first bad block fails the run). The runs cover block
# sizes from one logical block to 1 MiB (past the controller's 512 KiB MDTS,
# so requests are split and need PRP lists), queue depths 1 to 128, libaio
# and io_uring, page-aligned buffers and buffers at a page offset, and the
# driver building PRPs or SGLs (sgl_threshold 32768, 4096 and 0). Each run
# has two jobs on disjoint regions, one per CPU, so two submission paths
# and (on the default load) two I/O queues work at once.
# Leaves nvme_rs loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "nvme_rs loaded with default parameters" load_nvme_rs

NCPU=$(nproc)
echo "# $NCPU CPUs online"

# verify DEV DESCRIPTION FIO-ARGUMENT...: one verify run on DEV, two jobs
# 16 MiB apart, pinned to different CPUs (wrapping around with one CPU).
verify() {
	local dev="$1" desc="$2"
	shift 2
	check "$dev: $desc" fio_ok --verify --name=verify --filename="$dev" \
		--direct=1 --rw=randwrite --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--verify_state_save=0 --numjobs=2 --offset_increment=16M \
		--cpus_allowed="0-$((NCPU - 1))" --cpus_allowed_policy=split "$@"
}

# Per namespace: LBA is the smallest valid block size there.
default_runs() {
	local dev="$1" lba="$2"
	verify "$dev" "libaio QD1, bs $lba-64k" \
		--ioengine=libaio --iodepth=1 --bsrange="$lba-64k" --size=2M
	verify "$dev" "io_uring QD128, bs $lba-128k" \
		--ioengine=io_uring --iodepth=128 --bsrange="$lba-128k" --size=8M
	verify "$dev" "libaio QD16, bs 1M (split, PRP lists)" \
		--ioengine=libaio --iodepth=16 --bs=1M --size=16M
	# Buffers 512 bytes into a page: the first PRP entry has an offset and
	# every request crosses one more page than it is long. Valid: the
	# driver's DMA alignment is 4 bytes.
	verify "$dev" "io_uring QD32, bs $lba-256k, buffers at page offset 512" \
		--ioengine=io_uring --iodepth=32 --bsrange="$lba-256k" --mem_align=512 --size=8M
}

# Runs the same set on both namespaces.
on_each_ns() {
	local nsid=1 lba
	while [ "$nsid" -le "$NS_COUNT" ]; do
		eval "lba=\$NS${nsid}_LBA"
		"$@" "/dev/nvme0n$nsid" "$lba"
		nsid=$((nsid + 1))
	done
}

on_each_ns default_runs

# sgl_threshold=4096: a request of whole pages averages 4 KiB a segment and
# goes out as an SGL; with offset buffers the segments are smaller and the
# driver mixes PRPs and SGLs.
sgl_runs() {
	local dev="$1" lba="$2"
	verify "$dev" "sgl_threshold=4096: io_uring QD32, bs $lba-1M" \
		--ioengine=io_uring --iodepth=32 --bsrange="$lba-1M" --size=12M
	verify "$dev" "sgl_threshold=4096: libaio QD8, bs $lba-256k, buffers at page offset 512" \
		--ioengine=libaio --iodepth=8 --bsrange="$lba-256k" --mem_align=512 --size=6M
}
if check "reload with sgl_threshold=4096" load_nvme_rs sgl_threshold=4096; then
	on_each_ns sgl_runs
fi

# sgl_threshold=0: PRPs only, whatever the request looks like.
prp_runs() {
	local dev="$1" lba="$2"
	verify "$dev" "sgl_threshold=0: io_uring QD32, bs $lba-1M, buffers at page offset 512" \
		--ioengine=io_uring --iodepth=32 --bsrange="$lba-1M" --mem_align=512 --size=12M
}
if check "reload with sgl_threshold=0" load_nvme_rs sgl_threshold=0; then
	on_each_ns prp_runs
fi

check "reload with default parameters" load_nvme_rs

group_end
