#!/bin/sh
# drivers: rs c
# Autonomous Power State Transitions on QEMU's controller, which has none
# (APSTA 0): the driver sends no APST setting, logs nothing about it, and
# the controller works; the latency limit is the parameter C has, with
# C's default. The table itself, for controllers that have APST, is
# host-tested (spec/apst.rs) against C's algorithm.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

if [ "${NVME_RS_DRIVER:-rs}" = c ]; then module=nvme_core; else module=nvme_rs; fi
check "the controller has no APST (apsta 0)" sh -c 'nvme id-ctrl /dev/nvme0 | grep -qE "^apsta +: 0$"'
# The drivers' messages say "APST"; the command line and the group's log
# marks only "apst".
apst_lines=$(dmesg | grep -c 'APST')
check "no APST message in the kernel log" equals "$apst_lines" 0
check "default_ps_max_latency_us is C's default" \
	equals "$(cat "/sys/module/$module/parameters/default_ps_max_latency_us")" 100000
check "I/O works" fio_ok --verify --name=apst --filename=/dev/nvme0n1 --ioengine=io_uring \
	--direct=1 --rw=randwrite --bs=4k --size=1M --iodepth=4 --verify=crc32c

group_end
