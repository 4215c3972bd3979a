#!/bin/sh
# drivers: rs c
# 32-bit compat ioctls: the NVMe passthrough ioctls on /dev/nvme0,
# /dev/ng0n1 and /dev/nvme0n1 from a 32-bit (i386) program, through the
# drivers' compat_ioctl, and the same checks from a 64-bit build of the
# program. tools/passthru/nvme-compat-test.c holds the checks; the one
# expected difference between the drivers (C 6.12 refuses the 32-bit
# NVME_IOCTL_SUBMIT_IO number, see there) is told with --driver.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

driver=${NVME_RS_DRIVER:-rs}
for prog in nvme-compat-test nvme-compat-test64; do
	# Bounded: if the program hangs (killably), what it printed counts.
	out=$(timeout 120 "$prog" --driver "$driver" 2>&1)
	rc=$?
	count_lines_from "$out" "$rc" "$prog"
done

group_end
