#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Host Behavior Support (Set Features 16h), sent at every bring-up as C's
# nvme_configure_host_options: QEMU's controller has Extended LBA Formats
# (CTRATT.ELBAS), so LBA Format Extension Enable is set; it reports no
# Command Retry Delay Times, so Advanced Command Retry stays off. Read back
# with Get Features (QEMU keeps what the host last set, 0 before) after the
# driver's load. Sending it again after a reset cannot be seen here: QEMU
# keeps the feature across a controller reset, and both drivers refuse it
# from passthrough, so it cannot be cleared in between.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded with default parameters" load_driver

# host_behavior: ACRE, ETDAS and LBAFEE as Get Features returns them.
host_behavior() {
	nvme get-feature /dev/nvme0 -f 0x16 -l 512 -b | od -An -tu1 -N3 | tr -s ' ' | sed 's/^ //'
}

check "Identify Controller: ELBAS in CTRATT" \
	test $(($(nvme id-ctrl /dev/nvme0 | sed -n 's/^ctratt *: *//p') & 0x8000)) -ne 0
check "Identify Controller: no Command Retry Delay Time 1" \
	equals "$(nvme id-ctrl /dev/nvme0 | sed -n 's/^crdt1 *: *//p')" 0
check "after load: LBAFEE on, ACRE off" equals "$(host_behavior)" "0 0 1"

group_end
