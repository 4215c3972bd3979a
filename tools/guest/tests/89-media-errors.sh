#!/bin/sh
# needs: faults
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Media errors: in the faults boot QEMU fails reads of one LBA and writes
# of another on namespace 1 (blkdebug), which its NVMe reports as
# Unrecovered Read Error and Write Fault. Those requests fail with the
# block layer's medium error (ENODATA to the caller, as with the C driver),
# the log names the disk, LBA and status as C's nvme_log_error, and
# everything else keeps working.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

DEV=/dev/nvme0n1
require "faults boot with media errors set up" test "${SETUP:-}" = faults
require "nvme_rs loaded" load_nvme_rs

# dd_fails LBA read|write: direct I/O of that one block fails as a medium
# error ("No data available", ENODATA).
dd_fails() {
	local out
	if [ "$2" = read ]; then
		out=$(dd if="$DEV" of=/dev/null bs=512 skip="$1" count=1 iflag=direct 2>&1)
	else
		out=$(head -c 512 /dev/urandom | dd of="$DEV" bs=512 seek="$1" count=1 oflag=direct 2>&1)
	fi && { echo "dd succeeded: $out"; return 1; }
	case $out in
	*"No data available"*) return 0 ;;
	*) echo "dd failed, but not with a medium error: $out"; return 1 ;;
	esac
}

dd_works() { # LBA read|write
	if [ "$2" = read ]; then
		dd if="$DEV" of=/dev/null bs=512 skip="$1" count=1 iflag=direct
	else
		head -c 512 /dev/urandom | dd of="$DEV" bs=512 seek="$1" count=1 oflag=direct
	fi
}

dmesg_mark
check "read of LBA $MEDIA_READ_LBA fails with a medium error" dd_fails "$MEDIA_READ_LBA" read
check "write of LBA $MEDIA_WRITE_LBA fails with a medium error" dd_fails "$MEDIA_WRITE_LBA" write
check "the blocks next to them read and write" sh -c "
	$(command -v dd) if=$DEV of=/dev/null bs=512 skip=$((MEDIA_READ_LBA - 8)) count=8 iflag=direct &&
	$(command -v dd) if=$DEV of=/dev/null bs=512 skip=$((MEDIA_READ_LBA + 1)) count=8 iflag=direct"
check "write of LBA $MEDIA_WRITE_LBA - 1 works" dd_works $((MEDIA_WRITE_LBA - 1)) write
check "read of LBA $MEDIA_WRITE_LBA works (only writes fail there)" dd_works "$MEDIA_WRITE_LBA" read

log=$(dmesg_since_mark)
check "the failed read is logged with its LBA and status" sh -c \
	"printf '%s\n' \"\$1\" | grep -E 'nvme0n1: I/O Cmd\(0x2\) @ LBA $MEDIA_READ_LBA, 1 blocks, I/O Error \(sct 0x2 / sc 0x81\)'" _ "$log"
check "the failed write is logged with its LBA and status" sh -c \
	"printf '%s\n' \"\$1\" | grep -E 'nvme0n1: I/O Cmd\(0x1\) @ LBA $MEDIA_WRITE_LBA, 1 blocks, I/O Error \(sct 0x2 / sc 0x80\)'" _ "$log"
printf '%s\n' "$log" | grep nvme0n1 | tail -n 5

check "fio verify on the rest of the namespace afterwards" fio_ok --verify \
	--name=after --filename="$DEV" --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=8M --iodepth=16 --verify=crc32c
check "no controller reset came of it" sh -c "! dmesg | grep -q 'resetting controller'"

group_end
