#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Format NVM through passthrough changes a namespace's block size under its
# disk, and the disk must follow at once. Format's effects (C's known
# effects: logical block content and namespace capability change, must run
# alone) make the driver hold back every namespace's I/O while it runs and
# revalidate the namespaces before the ioctl returns (C
# nvme_passthru_start/end, nvme_update_ns_info_block).
#  - nvme format on NSID 1's block device takes it from 512 B to 4 KiB
#    blocks (QEMU's LBA format 4) while fio verifies on NSID 2: at once the
#    disk has 4 KiB logical blocks and the same capacity, reads back the
#    zeroes the format left, and a 4 KiB block written through it lands at
#    the LBA a 4 KiB format puts it (read back with a passthrough Read on
#    the generic node); 512 B direct I/O is refused; fio verifies on it;
#    NSID 2's fio saw no error.
#  - Format NVM through admin-passthru on /dev/nvme0 (NVME_IOCTL_ADMIN_CMD
#    on the controller node) takes it back to 512 B, checked the same way.
#  - nvme format to 512 B with 8 bytes of separate metadata gives the disk
#    an integrity profile and fio verifies through it; formatting back
#    takes the profile away.
# Runs against the C driver too. Leaves NSID 1 in its original format,
# zeroed, and the driver loaded.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded with default parameters" load_driver
require "NSID 1 has 512-byte blocks here" equals "$NS1_LBA" 512

# dev_of NSID: the block device of that namespace (the C driver names disks
# in the order its scan finishes).
dev_of() {
	local d
	for d in /dev/nvme0n[0-9]*; do
		case $d in *p*) continue ;; esac
		nvme get-ns-id "$d" 2>/dev/null | grep -q "namespace-id:$1\$" && { echo "$d"; return 0; }
	done
	return 1
}
dev=$(dev_of 1)
other=$(dev_of 2)
require "block devices of NSID 1 and 2 found" test -n "$dev" -a -n "$other"
name=${dev#/dev/}
ng=/dev/ng${name#nvme}
q=/sys/block/$name/queue
sectors=$(cat "/sys/block/$name/size")
echo "# NSID 1 is $dev ($ng), NSID 2 is $other"

# lba_format_is INDEX: Identify Namespace says FLBAS selects format INDEX.
lba_format_is() {
	local got
	got=$(nvme id-ns "$dev" 2>&1 | sed -nE 's/^flbas[[:space:]]*:[[:space:]]*(0x[0-9a-f]+|[0-9]+).*/\1/p')
	[ -n "$got" ] && [ "$((got & 0xf))" -eq "$1" ] && return 0
	echo "flbas '$got', want format $1"
	return 1
}

# reads_zeroes BYTES: the start of the disk reads back as zeroes (O_DIRECT).
reads_zeroes() {
	head -c "$1" /dev/zero >/tmp/fmt-zero
	dd if="$dev" of=/tmp/fmt-got bs=64k count=$(($1 / 65536)) iflag=direct status=none &&
		cmp /tmp/fmt-got /tmp/fmt-zero
}

# lands_at_lba LBA_BYTES: a block of random data written through the disk
# at byte offset 100 * LBA_BYTES is what a passthrough Read of LBA 100 on
# the generic node returns; with a disk that kept the old block size the
# write would land elsewhere.
lands_at_lba() {
	local out
	head -c "$1" /dev/urandom >/tmp/fmt-w
	dd if=/tmp/fmt-w of="$dev" bs="$1" seek=100 count=1 oflag=direct conv=notrunc status=none ||
		return 1
	rm -f /tmp/fmt-r
	out=$(nvme io-passthru "$ng" --opcode=0x02 --namespace-id=1 --cdw10=100 --cdw12=0 \
		--data-len="$1" --input-file=/tmp/fmt-r 2>&1)
	equals "exit $?: $out" "exit 0: IO Command Read is Success and result: 0x00000000" &&
		cmp /tmp/fmt-r /tmp/fmt-w
}

# geometry_is LBA_BYTES FORMAT: what the disk and Identify say after a format.
geometry_is() {
	check "$dev: logical_block_size is $1 as soon as the format returned" \
		equals "$(cat "$q/logical_block_size")" "$1"
	check "$dev: physical_block_size is $1" equals "$(cat "$q/physical_block_size")" "$1"
	check "$dev: capacity unchanged ($sectors sectors)" \
		equals "$(cat "/sys/block/$name/size")" "$sectors"
	check "$dev: Identify Namespace selects LBA format $2" lba_format_is "$2"
	check "$dev: reads back the zeroes the format left (1 MiB)" reads_zeroes $((1 << 20))
	check "$dev: a $1-byte block written at byte $((100 * $1)) is LBA 100 on $ng" lands_at_lba "$1"
	check "$dev: fio verify, bs $1-64k, 8 MiB" fio_ok --verify --name=fmt --filename="$dev" \
		--ioengine=io_uring --direct=1 --rw=randwrite --bsrange="$1"-64k --iodepth=16 \
		--size=8m --verify=crc32c --do_verify=1
}

# small_read_refused: a 512-byte O_DIRECT read, below the logical block
# size, fails with EINVAL (fio: busybox dd retries a refused read without
# O_DIRECT).
small_read_refused() {
	local out
	out=$(cd /tmp && fio --output-format=terse --terse-version=3 --name=small \
		--filename="$dev" --ioengine=psync --direct=1 --rw=read --bs=512 --size=512 2>&1) &&
		{ echo "fio succeeded: $out"; return 1; }
	printf '%s\n' "$out" | awk -F';' '$1 == "3" && $5 == 22 { e = 1 } END { exit !e }' && return 0
	echo "fio failed, but not with EINVAL (22): $out"
	return 1
}

check "$dev: write 1 MiB of random data before the format" dd if=/dev/urandom of="$dev" \
	bs=64k count=16 oflag=direct status=none
check "$dev: logical_block_size is 512 before" equals "$(cat "$q/logical_block_size")" 512

# Verifying writes on the other namespace, across the format.
(cd /tmp && exec fio --output-format=terse --terse-version=3 --name=other \
	--filename="$other" --ioengine=io_uring --direct=1 --rw=randwrite --bs=4k \
	--iodepth=8 --size=48m --verify=crc32c --do_verify=1 >/tmp/fmt-other.out 2>&1) &
other_pid=$!
sleep 1
check "nvme format $dev --lbaf=4 --force" nvme format "$dev" --lbaf=4 --force
geometry_is 4096 4
check "$dev: 512-byte O_DIRECT read refused (EINVAL)" small_read_refused
wait "$other_pid"
other_rc=$?
check "$other: fio verify across the format: no error" \
	fio_judge rw "$other_rc" "$(cat /tmp/fmt-other.out)"

format_nvm() {
	local out
	out=$(nvme admin-passthru /dev/nvme0 --opcode=0x80 --namespace-id=1 --cdw10="$1" 2>&1)
	equals "exit $?: $out" "exit 0: Admin Command Format NVM is Success and result: 0x00000000"
}
check "nvme admin-passthru /dev/nvme0: Format NVM of NSID 1 to LBA format 0" format_nvm 0
geometry_is 512 0

# Separate metadata (QEMU's LBA format 1: 512 + 8 bytes): the disk takes the
# block layer's integrity profile as soon as the format returns, and QEMU's
# smaller block count; back at format 0 it drops both.
check "nvme format $dev --lbaf=1 --force (8 bytes of metadata)" nvme format "$dev" --lbaf=1 --force
check "$dev: integrity profile nop at once" equals "$(cat "/sys/block/$name/integrity/format")" nop
check "$dev: capacity of the metadata format" \
	equals "$(cat "/sys/block/$name/size")" "$((sectors * 512 / 520))"
check "$dev: fio verify with integrity buffers, bs 512-64k, 8 MiB" fio_ok --verify --name=fmt-md \
	--filename="$dev" --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=512-64k \
	--iodepth=16 --size=8m --verify=crc32c --do_verify=1
check "nvme format $dev --lbaf=0 --force (back)" nvme format "$dev" --lbaf=0 --force
check "$dev: no integrity profile again" equals "$(cat "/sys/block/$name/integrity/format")" none
check "$dev: capacity back to $sectors sectors" equals "$(cat "/sys/block/$name/size")" "$sectors"
check "$dev: reads back the zeroes the format left (1 MiB)" reads_zeroes $((1 << 20))

group_end
