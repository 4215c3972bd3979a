#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# io_uring passthrough on the generic char devices (/dev/ng0nN), as fio's
# io_uring_cmd engine drives it: NVMe read/write commands in
# IORING_OP_URING_CMD (NVME_URING_CMD_IO and NVME_URING_CMD_IO_VEC), with
# registered buffers (IORING_URING_CMD_FIXED), IOPOLL on a poll queue and an
# SQPOLL thread. fio opens the device, asks NVME_IOCTL_ID for the namespace
# and Identify Namespace for its size and LBA format, then writes blocks
# with a crc32c header and reads every one back (verify_fatal: the first bad
# block fails the run). Then data crosses paths: written as passthrough
# commands on /dev/ng0nN, it must read back through the block device
# /dev/nvme0nN, and the reverse. Against the C driver this is the reference
# behaviour. Leaves the driver loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

NCPU=$(nproc)
echo "# $NCPU CPUs online"

require "driver loaded with default parameters" load_driver

n=1
while [ "$n" -le "$NS_COUNT" ]; do
	check "/dev/ng0n$n is a character device" test -c "/dev/ng0n$n"
	n=$((n + 1))
done

# /dev/nvme0nN and /dev/ng0nN name the same namespace; its LBA size comes
# from the block device. The C driver numbers disks in the order its scan
# finds them, so nvme0n1 need not be NSID 1: the checks only require each
# disk to have the geometry of one of the expected namespaces.

# lba_of N: logical block size of nvme0nN (and so of ng0nN).
lba_of() {
	cat "/sys/block/nvme0n$1/queue/logical_block_size"
}

# geometry_known N: nvme0nN has the size and LBA size of one of the
# namespaces in /etc/nvme-rs-expect.
geometry_known() {
	local n="$1" k=1 lba sectors want_blocks want_lba
	lba=$(lba_of "$n")
	sectors=$(cat "/sys/block/nvme0n$n/size")
	while [ "$k" -le "$NS_COUNT" ]; do
		eval "want_blocks=\$NS${k}_BLOCKS want_lba=\$NS${k}_LBA"
		if [ "$lba" = "$want_lba" ] && [ "$((sectors * 512))" = "$((want_blocks * want_lba))" ]; then
			return 0
		fi
		k=$((k + 1))
	done
	echo "nvme0n$n: $sectors sectors of 512, LBA $lba: no such namespace expected"
	return 1
}

n=1
while [ "$n" -le "$NS_COUNT" ]; do
	check "nvme0n$n: geometry of an expected namespace (LBA $(lba_of "$n"))" geometry_known "$n"
	n=$((n + 1))
done

# ng_jobs BS: one fio job section per namespace, on /dev/ng0nN, with block
# sizes BS where the word LBA stands for that namespace's LBA size (e.g.
# "LBA-128k" is --bsrange=512-128k on 512-byte blocks, 4096-128k on 4 KiB).
ng_jobs() {
	local n=1 lba bs
	while [ "$n" -le "$NS_COUNT" ]; do
		lba=$(lba_of "$n")
		bs=$(echo "$1" | sed "s/LBA/$lba/g")
		echo "--name=ng0n$n --filename=/dev/ng0n$n --bsrange=$bs"
		n=$((n + 1))
	done
}

# uring DESCRIPTION BS FIO-ARGUMENT...: one verify run through io_uring
# passthrough on every /dev/ng0nN at once (ng_jobs BS), two jobs per
# namespace 16 MiB apart, spread over the CPUs. No --direct: the char device
# has no page cache and refuses O_DIRECT. The arguments are global options.
uring() {
	local desc="$1" bs="$2"
	shift 2
	# shellcheck disable=SC2046 # option words
	check "ng0n1..ng0n$NS_COUNT: $desc" fio_ok --verify \
		--ioengine=io_uring_cmd --cmd_type=nvme --rw=randwrite \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
		--numjobs=2 --offset_increment=16M \
		--cpus_allowed="0-$((NCPU - 1))" --cpus_allowed_policy=split "$@" $(ng_jobs "$bs")
}

# The default load: interrupt-driven I/O queues. NVME_URING_CMD_IO
# (nonvectored=1, fio's default here) and NVME_URING_CMD_IO_VEC
# (nonvectored=0), registered buffers (fixedbufs) and an SQPOLL thread, one
# block to 512 KiB, queue depth 1 to 64.
uring "QD1, bs LBA" LBA-LBA --iodepth=1 --size=256k
uring "nonvectored=1 (NVME_URING_CMD_IO), QD16, bs LBA-128k" LBA-128k \
	--nonvectored=1 --iodepth=16 --size=2M
uring "nonvectored=0 (NVME_URING_CMD_IO_VEC), QD64, bs LBA-64k" LBA-64k \
	--nonvectored=0 --iodepth=64 --size=2M
# The largest transfer the controller takes in one command (MDTS 7 of 4 KiB
# pages): passthrough is never split by the block layer.
uring "QD8, bs 512k (MDTS)" 512k-512k --iodepth=8 --size=4M
uring "fixedbufs=1 nonvectored=1, QD32, bs LBA-128k" LBA-128k \
	--fixedbufs=1 --nonvectored=1 --iodepth=32 --size=2M
uring "sqthread_poll=1 nonvectored=0, QD16, bs LBA-64k" LBA-64k \
	--sqthread_poll=1 --nonvectored=0 --iodepth=16 --size=1M
uring "sqthread_poll=1 fixedbufs=1, QD8, bs LBA-32k" LBA-32k \
	--sqthread_poll=1 --fixedbufs=1 --nonvectored=1 --iodepth=8 --size=1M

# Registered buffers go with the non-vectored command only: the C driver
# fails NVME_URING_CMD_IO_VEC with IORING_URING_CMD_FIXED with EINVAL, and
# fio reports error 22 for the job.
fio_einval() {
	local out
	out=$(cd /tmp && fio --output-format=terse --terse-version=3 "$@" 2>&1)
	if printf '%s\n' "$out" | awk -F';' '$1 == "3" && $2 ~ /^fio-/ { e = $5 } END { exit !(e == 22) }'; then
		return 0
	fi
	echo "want error 22 (EINVAL) for the job; fio said:"
	printf '%s\n' "$out" | head -n 20
	return 1
}
check "/dev/ng0n1: fixedbufs=1 with nonvectored=0 fails with EINVAL" \
	fio_einval --name=fixedvec --filename=/dev/ng0n1 --ioengine=io_uring_cmd \
	--cmd_type=nvme --rw=write --bs="$(lba_of 1)" --size=64k --iodepth=1 \
	--fixedbufs=1 --nonvectored=0

# Polled passthrough: with poll_queues=1, IOPOLL (fio hipri) sends the
# commands to the poll queue and reaps them by polling, so no I/O queue
# interrupt fires while only they are in flight.
if check "reload with poll_queues=1" load_driver poll_queues=1; then
	uring "hipri=1, QD16, bs LBA-128k" LBA-128k --hipri=1 --iodepth=16 --size=2M
	uring "hipri=1 fixedbufs=1, QD8, bs LBA-64k" LBA-64k \
		--hipri=1 --fixedbufs=1 --nonvectored=1 --iodepth=8 --size=1M
	uring "hipri=1 nonvectored=0, QD4, bs LBA" LBA-LBA --hipri=1 --nonvectored=0 --iodepth=4 --size=256k

	before=$(io_irq_counts)
	# shellcheck disable=SC2046 # option words
	check "ng0n1..ng0n$NS_COUNT: polled reads and writes without verify (hipri, QD8, bs 4k-64k)" \
		fio_ok --ioengine=io_uring_cmd --cmd_type=nvme --hipri=1 --rw=randrw \
		--iodepth=8 --size=2M $(ng_jobs 4k-64k)
	deltas=$(irq_deltas "$before" "$(io_irq_counts)")
	echo "# I/O queue interrupts during polled passthrough: $(echo "$deltas" | tr '\n' ' ')"
	check "no I/O queue interrupt during polled passthrough" \
		equals "$(echo "$deltas" | awk '$2 != 0' | tr '\n' ' ')" ""
fi

check "reload with default parameters" load_driver

# ---------------------------------------------------------------------------
# Across paths. Write-only and verify-only runs use fio_ok --wrote and
# --read, so a run that moved nothing fails.

# The same jobs (pattern, sizes, seeds) on both paths: the verify-only run
# regenerates the offsets and headers the writing run used. The header
# check covers the offset and a crc, not which job wrote the block, so each
# namespace gets its own region: data that lands on the wrong namespace
# leaves the expected region unwritten there. xglobal ARGUMENT...: the
# shared global options; xjobs PREFIX BASE: one job section per namespace N
# on PREFIX<N>, at BASE + 4 (N - 1) MiB.
xglobal() {
	echo --rw=randwrite --bs=16k --size=4M --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 "$@"
}
xjobs() {
	local n=1
	while [ "$n" -le "$NS_COUNT" ]; do
		echo "--name=x$n --filename=$1$n --offset=$(($2 + 4 * (n - 1)))M"
		n=$((n + 1))
	done
}
# shellcheck disable=SC2046 # option words
check "ng0nN -> nvme0nN: fio writes 4 MiB at 24+4(N-1) MiB through io_uring_cmd" \
	fio_ok --wrote $(xglobal --do_verify=0) \
	--ioengine=io_uring_cmd --cmd_type=nvme $(xjobs /dev/ng0n 24)
# shellcheck disable=SC2046
check "ng0nN -> nvme0nN: verify-only through the block devices (io_uring, O_DIRECT)" \
	fio_ok --read $(xglobal --verify_only=1) \
	--ioengine=io_uring --direct=1 $(xjobs /dev/nvme0n 24)
# shellcheck disable=SC2046
check "nvme0nN -> ng0nN: fio writes 4 MiB at 36+4(N-1) MiB through the block devices (libaio, O_DIRECT)" \
	fio_ok --wrote $(xglobal --do_verify=0) \
	--ioengine=libaio --direct=1 $(xjobs /dev/nvme0n 36)
# shellcheck disable=SC2046
check "nvme0nN -> ng0nN: verify-only through io_uring_cmd" \
	fio_ok --read $(xglobal --verify_only=1) \
	--ioengine=io_uring_cmd --cmd_type=nvme $(xjobs /dev/ng0n 36)

# Byte for byte, without fio's verify: a pattern written as passthrough
# commands reads back with dd (O_DIRECT) on the block device, and data dd
# wrote there reads back in passthrough commands as fio's verify pattern.
# Namespace N gets 0xdeadbe0N one way and 0x5aa5c30N the other, so a
# namespace mix-up shows.
# pattern_file FILE BYTE1 BYTE2 BYTE3 BYTE4: FILE holds 1 MiB of the 4-byte
# pattern (bytes in decimal, in the order fio writes 0xB1B2B3B4).
pattern_file() {
	local f="$1" size=4
	shift
	# shellcheck disable=SC2059 # octal escapes built here
	printf "$(printf '\\%03o' "$@")" >"$f"
	while [ "$size" -lt 1048576 ]; do
		cat "$f" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
		size=$((size * 2))
	done
}
n=1
while [ "$n" -le "$NS_COUNT" ]; do
	pattern_file "/tmp/pat-ng$n" 222 173 190 "$n"
	pattern_file "/tmp/pat-blk$n" 90 165 195 "$n"
	n=$((n + 1))
done
check "pattern files: 1 MiB, 0xdeadbe01 first" \
	equals "$(wc -c </tmp/pat-ng1) $(od -An -tx1 -N4 /tmp/pat-ng1 | tr -d ' ')" "1048576 deadbe01"

# read_blk DEV OFFSET_MIB: 1 MiB from DEV at OFFSET_MIB, O_DIRECT.
read_blk() {
	dd if="$1" bs=64k skip="$(($2 * 16))" count=16 iflag=direct 2>/dev/null
}
cmp_blk() {
	read_blk "$1" "$2" | cmp - "$3"
}
write_blk() {
	dd if="$3" of="$1" bs=64k seek="$(($2 * 16))" count=16 oflag=direct conv=notrunc 2>/dev/null
}
# pjobs OPTION PREFIX: a job section per namespace N on /dev/ng0nN with
# OPTION=PREFIX followed by N in two hex digits.
pjobs() {
	local n=1
	while [ "$n" -le "$NS_COUNT" ]; do
		echo "--name=p$n --filename=/dev/ng0n$n $1=$2$(printf '%02x' "$n")"
		n=$((n + 1))
	done
}

# shellcheck disable=SC2046 # option words
check "ng0nN: io_uring_cmd writes 1 MiB of 0xdeadbe0N at 48 MiB" \
	fio_ok --wrote --ioengine=io_uring_cmd --cmd_type=nvme --rw=write --bs=64k \
	--offset=48M --size=1M --iodepth=4 $(pjobs --buffer_pattern 0xdeadbe)
n=1
while [ "$n" -le "$NS_COUNT" ]; do
	check "/dev/nvme0n$n: dd (O_DIRECT) reads the same bytes back" cmp_blk "/dev/nvme0n$n" 48 "/tmp/pat-ng$n"
	check "/dev/nvme0n$n: dd (O_DIRECT) writes 1 MiB of 0x5aa5c30$n at 50 MiB" \
		write_blk "/dev/nvme0n$n" 50 "/tmp/pat-blk$n"
	n=$((n + 1))
done
# shellcheck disable=SC2046
check "ng0nN: io_uring_cmd reads the 0x5aa5c30N back (verify=pattern, verify-only)" \
	fio_ok --read --ioengine=io_uring_cmd --cmd_type=nvme --rw=write --bs=64k \
	--offset=50M --size=1M --iodepth=4 --verify=pattern --verify_fatal=1 \
	--verify_state_save=0 --verify_only=1 $(pjobs --verify_pattern 0x5aa5c3)
rm -f /tmp/pat-ng* /tmp/pat-blk*

group_end
