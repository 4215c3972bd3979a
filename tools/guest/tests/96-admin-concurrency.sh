#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Admin commands run side by side, as on C's blk-mq admin queue (issue 19):
#  - an I/O timeout's Abort and reset are not held up by a user's admin
#    command outstanding (below);
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

# A read whose completion is lost (fail_io_timeout) while a user's admin
# command is held for 20 s: the read's timeout is handled at once, an
# Abort and then a reset, and the reset ends the held command long before
# its own 20 s. Admin commands sent one at a time would keep the Abort
# waiting until then. The disk's timeout is 2 s for this.
FAULT=/sys/kernel/debug/fail_io_timeout
DISK=/sys/block/nvme0n1
old_timeout=$(cat $DISK/queue/io_timeout)
# lost_completions ON: the next completion on nvme0n1 dropped, or none.
lost_completions() {
	echo 0 >"$FAULT/verbose" &&
		echo 100 >"$FAULT/probability" &&
		echo "$1" >"$FAULT/times" &&
		echo 0 >"$FAULT/space" &&
		echo 1 >"$FAULT/interval" &&
		echo "$1" >"$DISK/io-timeout-fail"
}
require "fail_io_timeout available" test -d "$FAULT" -a -e "$DISK/io-timeout-fail"
check "a 2 s timeout on nvme0n1" sysfs_write 2000 $DISK/queue/io_timeout
admin-concurrency hold 20000 >/tmp/held-out 2>&1 &
hold_pid=$!
sleep 1
check "arm one lost completion" lost_completions 1
check "a read whose completion is lost completes after the timeout's reset" \
	dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=1 iflag=direct
wait $hold_pid
held_out=$(cat /tmp/held-out)
printf '%s\n' "$held_out"
# ended_early: the held command ended before its own timeout could have.
ended_early() {
	local start end
	start=$(field held-start)
	end=$(field held-end)
	[ -n "$start" ] && [ -n "$end" ] && [ "$end" -lt $((start + 20000)) ] && return 0
	echo "held from '${start}' to '${end}' ms"
	return 1
}
check "the reset ended the held command before its own timeout" ended_early
check "a command a reset ends gives EINTR, as C's NVME_REQ_CANCELLED" equals "$(field held)" -4
check "disarm" lost_completions 0
check "the disk's timeout back to $old_timeout ms" sysfs_write "$old_timeout" $DISK/queue/io_timeout
check "the controller is live" \
	wait_for '[ "$(cat /sys/class/nvme/nvme0/state)" = live ]' 30

out=$(admin-concurrency uring 8)
printf '%s\n' "$out"
check "eight io_uring admin commands succeed" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^ok //p')" 8
check "they complete without io_uring worker threads (no EAGAIN)" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^workers //p')" 0

group_end
