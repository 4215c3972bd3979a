#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
# Command timeouts, injected with the block layer's fail_io_timeout: a
# completion is dropped as if the interrupt never came, so the request
# times out with the device done with it. nvme_rs must look for a missed
# completion, abort, and on the second timeout reset the controller, which
# retries the request; fio's verify proves nothing acknowledged was lost.
# io_timeout=2 keeps each round short.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

FAULT=/sys/kernel/debug/fail_io_timeout
DISK=/sys/block/nvme0n1

require "fail_io_timeout available" test -d "$FAULT" -a -e "$DISK/io-timeout-fail"
require "nvme_rs loaded with io_timeout=2" load_nvme_rs io_timeout=2
check "io_timeout parameter reads back" \
	equals "$(cat /sys/module/nvme_rs/parameters/io_timeout)" 2
check "the disk's timeout is 2 s" equals "$(cat "$DISK/queue/io_timeout")" 2000

# Three dropped completions, each of one request in fifty. verbose=0: the
# injection's stack dumps would read as kernel problem reports.
inject() { # inject ON
	echo 0 >"$FAULT/verbose" &&
		echo 2 >"$FAULT/probability" &&
		echo 3 >"$FAULT/times" &&
		echo 0 >"$FAULT/space" &&
		echo 1 >"$FAULT/interval" &&
		echo "$1" >"$DISK/io-timeout-fail"
}
require "arm the injection on nvme0n1" inject 1

dmesg_mark
check "fio verify completes despite the dropped completions" fio_ok --verify \
	--name=timeouts --filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --size=8M --iodepth=8 --verify=crc32c
check "disarm the injection" inject 0
log=$(dmesg_since_mark)
# count_log PATTERN: lines of this run's log matching PATTERN.
count_log() { printf '%s\n' "$log" | grep -c "$1"; }
check "timed-out commands were aborted" \
	test "$(count_log 'timed out; aborting')" -ge 1
check "a command timing out again after its abort reset the controller" \
	test "$(count_log 'timed out again after its abort (CSTS 0x[0-9a-f]*); resetting controller')" -ge 1
check "every reset completed" \
	equals "$(count_log 'nvme0: reset complete')" "$(count_log 'nvme0: resetting controller$')"
check "no failed reset" test "$(count_log 'reset failed')" -eq 0
printf '%s\n' "$log" | grep nvme_rs | tail -n 20

check "I/O works normally afterwards" fio_ok --verify --name=after \
	--filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --offset=32M --size=2M --iodepth=8 --verify=crc32c
# The other groups expect the default timeout.
check "reload with default parameters" load_nvme_rs

group_end
