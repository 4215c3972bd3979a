#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# needs: power
# System sleep, function resets and system shutdown with the driver bound,
# as a laptop or server meets them:
#  - suspend to RAM (S3) and to idle, each while fio writes and verifies on
#    both namespaces, woken by the RTC alarm (S3) or a byte the host sends
#    on the serial line (idle): fio sees no error, I/O right
#    after resume completes within a second, the log shows no timeout,
#    Abort or reset, the state is live again, and QEMU's trace shows the
#    controller got exactly one shutdown notification for it;
#  - hibernation's freeze and thaw, through /sys/power/pm_test (devices,
#    platform: the image is not written);
#  - ten Function Level Resets (sysfs reset) under fio verify;
#  - last, I/O just before the guest ends: the init then reboots it with
#    the driver bound (reboot -f; QEMU's -no-reboot then ends it), and
#    QEMU must trace exactly one shutdown notification from the init's
#    last mark on. 95-power-off does the same for a power-off, in a boot
#    of its own: after a suspend to RAM, QEMU 7.2 ignores the guest's ACPI
#    power-off.
# The trace counts are checked by the host (scripts/guest.sh), between the
# marks this group and the init print.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

RTC=/sys/class/rtc/rtc0
STATE=/sys/class/nvme/nvme0/state
FLRS=${FLRS:-10}

# read_soon: one direct 4 KiB read of each namespace, within a second.
read_soon() {
	local start took n
	start=$(_now_cs)
	for n in 1 2; do
		dd if=/dev/nvme0n$n of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null || {
			echo "read of nvme0n$n failed"
			return 1
		}
	done
	took=$(($(_now_cs) - start))
	[ "$took" -le 100 ] && return 0
	echo "took ${took}0 ms"
	return 1
}

# sleep_under_load NAME STATE: the system sleeps (STATE into /sys/power/state)
# for a few seconds under fio verify, woken by the RTC alarm.
sleep_under_load() {
	local name state
	name=$1 state=$2
	fio_verify_start
	dmesg_mark
	trace_mark "$name" 1
	if [ "$state" = mem ]; then
		echo 0 >"$RTC/wakealarm"
		echo +5 >"$RTC/wakealarm"
	else
		# QEMU's RTC alarm does not end suspend to idle; a byte from the
		# host on the serial line, a wakeup source, does.
		echo enabled >/sys/class/tty/ttyS0/power/wakeup
		echo "nvme-rs-host: wake-after 8"
	fi
	check "$name: the system slept and woke (echo $state > /sys/power/state)" \
		sh -c "echo $state >/sys/power/state"
	check "$name: I/O right after resume completes within a second" read_soon
	sleep 3
	fio_verify_stop "$name"
	check "$name: no timeout, Abort or reset in the log" quiet_log
	check "$name: state is live" equals "$(cat "$STATE")" live
	trace_mark "$name-after" 0
}

require "driver loaded" load_driver
require "RTC alarm present" test -w "$RTC/wakealarm"
check "suspend to RAM and to idle offered" sh -c "grep -qw mem /sys/power/state && grep -qw freeze /sys/power/state"

sleep_under_load suspend-to-ram mem
sleep_under_load suspend-to-idle freeze

# Hibernation's freeze and thaw: pm_test stops before the image is made
# (devices) or after the platform's last step (platform), then thaws.
for level in devices platform; do
	dmesg_mark
	trace_mark "hibernate-$level" 1
	check "hibernation (pm_test $level): freeze and thaw" \
		sh -c "echo $level >/sys/power/pm_test && echo disk >/sys/power/state"
	echo none >/sys/power/pm_test
	check "hibernation (pm_test $level): I/O completes within a second" read_soon
	check "hibernation (pm_test $level): no timeout, Abort or reset in the log" quiet_log
	check "hibernation (pm_test $level): state is live" equals "$(cat "$STATE")" live
done

# Function Level Resets: the PCI core calls reset_prepare before and
# reset_done after; I/O waits in between.
bdf=$(nvme_bdf | head -n 1)
trace_mark function-resets 0
echo "# reset methods of $bdf: $(cat "/sys/bus/pci/devices/$bdf/reset_method" 2>&1)"
fio_verify_start
i=1
while [ "$i" -le "$FLRS" ]; do
	check "function reset $i of $FLRS" sh -c "echo 1 >/sys/bus/pci/devices/$bdf/reset"
	sleep 0.5
	i=$((i + 1))
done
fio_verify_stop "function resets"
check "function resets: state is live" equals "$(cat "$STATE")" live
check "function resets: every node present" wait_for all_nodes_present 30

# A reboot with the driver bound: I/O just finished, then the init
# reboots the guest (reboot -f), which runs the driver's shutdown; a group
# after this one in the same boot would only delay it.
check "I/O before the reboot" fio_ok --verify \
	--name=last --filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --offset=32M --size=1M --iodepth=8 --verify=crc32c

group_end
