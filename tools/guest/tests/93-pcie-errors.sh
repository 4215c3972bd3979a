#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# needs: power
# PCIe errors under load, as the kernel's AER core reports them: while fio
# writes and verifies on both namespaces, the error injector
# (/dev/aer_inject, tools/aer/aer-inject.c) reports errors at the Root Port
# above the controller (QEMU's controller has no AER capability of its
# own; the AER core's recovery reaches the drivers below the port all the
# same):
#  - a correctable error: logged, nothing else happens;
#  - a non-fatal uncorrectable error: the link kept working, so the
#    driver's error_detected says it can recover and nothing is reset;
#  - a fatal uncorrectable error: the link is reset (QEMU resets the
#    controller with it), the driver disables the controller in
#    error_detected, holding I/O back, and brings it back in slot_reset;
#    twice, the second time right after the first recovered.
# Each time fio keeps running, the AER core logs a successful recovery
# where it runs one, the controller is live after it, and in the end fio
# saw no error and every block it wrote read back as written.
# In the power boot for its kernel log checks only: the error injector
# needs no device setup.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

STATE=/sys/class/nvme/nvme0/state

require "driver loaded" load_driver
require "the kernel has the AER error injector" test -c /dev/aer_inject
bdf=$(nvme_bdf | head -n 1)
port=$(root_port "$bdf")
require "the controller sits below a PCIe Root Port ($port)" is_root_port "$port"
echo "# controller $bdf, Root Port $port"

# io_works: one direct 4 KiB read and write of each namespace.
io_works() {
	local n
	for n in 1 2; do
		dd if=/dev/nvme0n$n of=/dev/null bs=4k count=1 skip=4096 iflag=direct 2>/dev/null &&
			dd if=/dev/zero of=/dev/nvme0n$n bs=4k count=1 seek=12288 oflag=direct 2>/dev/null ||
			{ echo "I/O to nvme0n$n failed"; return 1; }
	done
}

RECOVERED="$port: AER: device recovery successful"
DETECTED="nvme0: frozen state error detected, reset controller"
RESTARTED="nvme0: restart after slot reset"

fio_verify_start

dmesg_mark
check "correctable: injected" aer-inject "$port" correctable
check "correctable: logged" logged "$port: AER: Correctable error message received"
sleep 1
check "correctable: the driver was not involved" not_logged "$DETECTED|$RESTARTED|nvme0: .*(reset|disabl)"
check "correctable: state is live" equals "$(cat "$STATE")" live
check "correctable: I/O works" io_works

dmesg_mark
check "non-fatal: injected" aer-inject "$port" nonfatal
check "non-fatal: logged as uncorrectable, non-fatal" logged "$port: AER: Uncorrectable \(Non-Fatal\) error message received"
check "non-fatal: recovered" logged "$RECOVERED"
check "non-fatal: the link kept working, nothing was reset" not_logged "$DETECTED|$RESTARTED"
check "non-fatal: state is live" equals "$(cat "$STATE")" live
check "non-fatal: I/O works" io_works

for round in 1 2; do
	dmesg_mark
	check "fatal $round: injected" aer-inject "$port" fatal
	check "fatal $round: logged as uncorrectable, fatal" logged "$port: AER: Uncorrectable \(Fatal\) error message received"
	check "fatal $round: the driver disabled the controller" logged "$DETECTED"
	check "fatal $round: and brought it back after the slot reset" logged "$RESTARTED"
	check "fatal $round: recovered" logged "$RECOVERED"
	check "fatal $round: state is live again" wait_for "[ \"\$(cat $STATE)\" = live ]" 30
	check "fatal $round: I/O works" io_works
	check "fatal $round: the controller was not given up" not_logged "nvme0: .*(removing|reset failed|giving up|disconnect)"
done

fio_verify_stop "PCIe errors"
check "every node present after the errors" wait_for all_nodes_present 30

group_end
