#!/bin/sh
# Unbinding and rebinding through sysfs shuts the controller down and brings
# it back identical, under the same instance name.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CYCLES=5
DRV=/sys/bus/pci/drivers/nvme_rs
BDF=$(nvme_bdf)
require "exactly one NVMe controller (class 0x010802)" equals "$(echo "$BDF" | wc -w)" 1
require "nvme_rs loaded" ensure_loaded
require "$BDF bound to nvme_rs at start" test -e "$DRV/$BDF"

i=1
while [ "$i" -le "$CYCLES" ]; do
	dmesg_mark
	require "cycle $i: unbind $BDF" sysfs_write "$BDF" "$DRV/unbind"
	check "cycle $i: shutdown line for nvme0" wait_for "shutdown_since_mark nvme0" 10
	check "cycle $i: $BDF has no driver" test ! -e "/sys/bus/pci/devices/$BDF/driver"

	dmesg_mark
	require "cycle $i: bind $BDF" sysfs_write "$BDF" "$DRV/bind"
	require "cycle $i: identify report within 30 s" wait_for identify_done_since_mark 30
	check "cycle $i: nvme0 again, same values" identify_matches "$(dmesg_since_mark)" nvme0
	check "cycle $i: $BDF bound to nvme_rs" test -e "$DRV/$BDF"
	i=$((i + 1))
done

group_end
