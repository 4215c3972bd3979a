#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
# Controller resets under load: twenty resets, alternating the ioctl
# (nvme reset) and sysfs reset_controller, while fio writes and verifies on
# both block devices. Every reset completes, fio sees no error and every
# block it wrote reads back as written: block requests caught by a reset
# wait and are retried. (A user's passthrough command caught by a reset
# fails with Command Aborted By Host instead, as with the C driver, so the
# generic nodes are only checked after the resets.)
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

RESETS=${RESETS:-20}
SYSFS_RESET=/sys/class/nvme/nvme0/reset_controller

require "nvme_rs loaded" load_nvme_rs
check "sysfs reset_controller is write-only for its owner" \
	equals "$(stat -c %a "$SYSFS_RESET" 2>&1)" 200

# reset_by N: the Nth reset, through the ioctl for odd N, sysfs for even.
reset_by() {
	if [ $(($1 % 2)) -eq 1 ]; then
		nvme reset /dev/nvme0
	else
		echo 1 >"$SYSFS_RESET"
	fi
}

dmesg_mark
fio_verify_start

i=1
while [ "$i" -le "$RESETS" ]; do
	if [ $((i % 2)) -eq 1 ]; then how=ioctl; else how=sysfs; fi
	check "reset $i of $RESETS ($how)" reset_by "$i"
	sleep 0.5
	i=$((i + 1))
done
fio_verify_stop "$RESETS resets"

log=$(dmesg_since_mark)
check "$RESETS 'reset complete' lines" \
	equals "$(printf '%s\n' "$log" | grep -c 'nvme0: reset complete')" "$RESETS"
check "no failed reset" sh -c "! printf '%s\n' \"\$1\" | grep 'reset failed'" _ "$log"
check "every node present after the resets" wait_for all_nodes_present 30
check "short verify after the resets, block and passthrough" fio_ok --verify \
	--name=after --filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --offset=32M --size=2M --iodepth=8 --verify=crc32c \
	--name=after-ng --filename=/dev/ng0n2 --ioengine=io_uring_cmd --cmd_type=nvme \
	--rw=randwrite --bs=4k --size=2M --iodepth=8 --verify=crc32c

group_end
