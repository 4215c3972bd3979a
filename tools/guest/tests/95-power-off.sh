#!/bin/sh
# drivers: rs c
# needs: power
# System power-off with the driver bound and I/O just finished: the init
# powers the guest off (poweroff -f, asked for with
# /tmp/nvme-rs-end-with-poweroff, where a power boot otherwise ends with a
# reboot), which runs the driver's shutdown, and the host checks QEMU's
# trace for exactly one shutdown notification from the init's last mark
# on. Run in a boot of its own (scripts/test.sh): after 94-power's
# suspend to RAM, QEMU 7.2 ignores the guest's ACPI power-off.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver
check "I/O before the power-off" fio_ok --verify \
	--name=last --filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=1M --iodepth=8 --verify=crc32c \
	--name=last2 --filename=/dev/nvme0n2 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=1M --iodepth=8 --verify=crc32c
touch /tmp/nvme-rs-end-with-poweroff
group_end
