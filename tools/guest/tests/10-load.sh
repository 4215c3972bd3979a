#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
# Loading nvme_rs binds it to the NVMe controller and produces the identify
# report of the log contract.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

BDF=$(nvme_bdf)
require "exactly one NVMe controller (class 0x010802)" equals "$(echo "$BDF" | wc -w)" 1
echo "# controller at $BDF"

dmesg_mark
require "insmod nvme_rs.ko" insmod /lib/nvme-rs/nvme_rs.ko
check "/sys/bus/pci/drivers/nvme_rs exists" test -d /sys/bus/pci/drivers/nvme_rs
check "$BDF is bound to nvme_rs" wait_for "[ -e /sys/bus/pci/drivers/nvme_rs/$BDF ]" 30
check "$BDF driver link points to nvme_rs" \
	equals "$(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver")")" nvme_rs
check "identify report within 30 s" wait_for identify_done_since_mark 30

log=$(dmesg_since_mark)
has_line() {
	printf '%s\n' "$log" | grep -E "$1" | grep -qF "nvme_rs $BDF: "
}
check "controller line from $BDF" has_line "$RE_CTRL"
check "namespace count line from $BDF" has_line "$RE_NSCOUNT"
check "$NS_COUNT namespace lines" equals "$(printf '%s\n' "$log" | count_ns_lines)" "$NS_COUNT"
echo "# driver log after insmod:"
printf '%s\n' "$log" | grep -F nvme_rs | sed 's/^/#   /'

# guest.sh's heartbeat, Ctrl-A z on QEMU's stdin every 2 s, wakes QEMU's
# main loop; QEMU's serial mux must swallow it. Each byte that got through
# would arrive on ttyS0, whose count of received bytes reads "rx:N".
serial_rx() {
	sed -n 's/^0: .* rx:\([0-9]*\).*/\1/p' /proc/tty/driver/serial
}
if [ "$HOST_HEARTBEAT" = 1 ]; then
	check "ttyS0 received none of the host's heartbeat bytes" equals "$(serial_rx)" 0
fi

group_end
