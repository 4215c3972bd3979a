#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# The controller's state in sysfs (/sys/class/nvme/nvme0/state), as C's
# state machine names it: live once bound, and during a reset resetting
# then connecting, live again after. A reader polls the attribute while
# `nvme reset` runs (a reset under TCG takes some milliseconds, a read a
# fraction of one); a reset that slips between two reads is tried again.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

STATE=/sys/class/nvme/nvme0/state
TRIES=${TRIES:-10}

require "driver loaded with default parameters" load_driver
check "state is live once bound" equals "$(cat "$STATE")" live

# watch_state: appends each new value of the attribute to /tmp/state-seen
# until /tmp/state-stop exists. `read` is a shell built-in: no fork
# between two reads.
watch_state() {
	local s last
	last=
	while [ ! -e /tmp/state-stop ]; do
		read -r s <"$STATE" || continue
		if [ "$s" != "$last" ]; then
			echo "$s" >>/tmp/state-seen
			last=$s
		fi
	done
}

seen=
try=1
while [ "$try" -le "$TRIES" ]; do
	rm -f /tmp/state-stop /tmp/state-seen
	watch_state &
	watcher=$!
	reset_out=$(nvme reset /dev/nvme0 2>&1)
	reset_rc=$?
	touch /tmp/state-stop
	wait "$watcher"
	seen=$(tr '\n' ' ' </tmp/state-seen)
	[ "$reset_rc" -ne 0 ] && break
	grep -qx resetting /tmp/state-seen && break
	try=$((try + 1))
done
[ "$reset_rc" -ne 0 ] && printf '%s\n' "$reset_out"
check "reset completes" test "$reset_rc" -eq 0
echo "# states seen during reset $try: $seen"
check "state reads resetting during a reset (within $TRIES resets)" grep -qx resetting /tmp/state-seen
check "only live, resetting and connecting are seen" sh -c \
	"! grep -vxE 'live|resetting|connecting' /tmp/state-seen"
check "state is live after the reset" equals "$(cat "$STATE")" live
# The order C's machine allows: resetting comes before connecting.
check "connecting, if seen, follows resetting" sh -c \
	"! grep -x connecting /tmp/state-seen >/dev/null || [ \"\$(grep -nx resetting /tmp/state-seen | head -n1 | cut -d: -f1)\" -lt \"\$(grep -nx connecting /tmp/state-seen | head -n1 | cut -d: -f1)\" ]"

group_end
