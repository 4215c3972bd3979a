#!/bin/sh
# shellcheck disable=SC3043 # busybox sh has local
# drivers: rs c
# Passthrough user ABI: the NVMe ioctls on /dev/nvme0, /dev/ng0nN and
# /dev/nvme0nN and the io_uring commands on the char devices, as Linux
# 6.12's C driver gives them (the reference: GUEST_DRIVER=c runs this group
# against it). tools/passthru/nvme-passthru-test.c holds the checks and
# prints one ok/FAIL line per check; this script counts them. Needs a poll
# queue for its IOPOLL ring. Leaves the driver loaded with default
# parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "load the driver with poll_queues=1" load_driver poll_queues=1

# Bounded: if the program hangs (killably), what it printed so far counts.
out=$(timeout 300 nvme-passthru-test 2>&1)
rc=$?
count_lines_from "$out" "$rc" nvme-passthru-test

check "reload with default parameters" load_driver

group_end
