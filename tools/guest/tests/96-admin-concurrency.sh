#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
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

out=$(admin-concurrency held 4000)
printf '%s\n' "$out"
ms=$(printf '%s\n' "$out" | sed -n 's/^identify //p')
# identify_fast: Identify took well under the 3.5 s the held command had left.
identify_fast() {
	[ -n "$ms" ] && [ "$ms" -lt 1500 ] && return 0
	echo "Identify took '${ms}' ms"
	return 1
}
check "Identify completes while another admin command is outstanding" identify_fast
check "the held command ends as timed out (EINTR)" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^held //p')" -4
check "the controller is live again after the timeout's reset" \
	wait_for '[ "$(cat /sys/class/nvme/nvme0/state)" = live ]' 30

out=$(admin-concurrency uring 8)
printf '%s\n' "$out"
check "eight io_uring admin commands succeed" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^ok //p')" 8
check "they complete without io_uring worker threads (no EAGAIN)" \
	equals "$(printf '%s\n' "$out" | sed -n 's/^workers //p')" 0

group_end
