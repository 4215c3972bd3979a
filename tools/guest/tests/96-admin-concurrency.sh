#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Admin commands run side by side, as on C's blk-mq admin queue (issue 19):
#  - while a user's Asynchronous Event Request is outstanding on
#    /dev/nvme0 (QEMU holds it until an event, so it times out after its
#    4 s and the driver resets the controller), Identify Controller from
#    another process completes at once instead of waiting behind it;
#  - Identify Controller sent as NVME_URING_CMD_ADMIN completes
#    asynchronously from its non-blocking issue: io_uring needs no worker
#    thread for it (a driver returning EAGAIN makes io_uring punt each
#    command to an iou-wrk thread).
# tools/passthru/admin-concurrency.c sends the commands.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

# Not "out": check's own local of that name would hide it from field.
held_out=$(admin-concurrency held 4000)
printf '%s\n' "$held_out"
field() {
	printf '%s\n' "$held_out" | sed -n "s/^$1 //p"
}
# identify_first: Identify ended before the held command did (both ends
# on CLOCK_MONOTONIC): it did not wait behind it. An order, not a speed.
identify_first() {
	local identify_end held_end
	identify_end=$(field identify-end)
	held_end=$(field held-end)
	[ -n "$identify_end" ] && [ -n "$held_end" ] && [ "$identify_end" -lt "$held_end" ] && return 0
	echo "Identify ended at '${identify_end}' ms, the held command at '${held_end}' ms"
	return 1
}
check "Identify completes while another admin command is outstanding" identify_first
check "the held command ends as timed out (EINTR)" \
	equals "$(field held)" -4
check "the controller is live again after the timeout's reset" \
	wait_for '[ "$(cat /sys/class/nvme/nvme0/state)" = live ]' 30

out=$(admin-concurrency uring 8)
printf '%s\n' "$out"
check "eight io_uring admin commands succeed" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^ok //p')" 8
check "they complete without io_uring worker threads (no EAGAIN)" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^workers //p')" 0

group_end
