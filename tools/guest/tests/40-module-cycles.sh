#!/bin/sh
# rmmod shuts the controller down; insmod brings it back identical, under the
# same instance name. The module is left unloaded for the leak check.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CYCLES=5
BDF=$(nvme_bdf)
require "exactly one NVMe controller (class 0x010802)" equals "$(echo "$BDF" | wc -w)" 1
require "nvme_rs loaded at start" ensure_loaded

unload() { # unload DESCRIPTION-PREFIX
	dmesg_mark
	require "$1: rmmod nvme_rs" rmmod nvme_rs
	check "$1: shutdown line for nvme0" wait_for "shutdown_since_mark nvme0" 10
	check "$1: module gone" test ! -e /sys/module/nvme_rs
	check "$1: $BDF has no driver" test ! -e "/sys/bus/pci/devices/$BDF/driver"
}

i=1
while [ "$i" -le "$CYCLES" ]; do
	unload "cycle $i"
	dmesg_mark
	require "cycle $i: insmod nvme_rs.ko" insmod /lib/nvme-rs/nvme_rs.ko
	require "cycle $i: identify report within 30 s" wait_for identify_done_since_mark 30
	check "cycle $i: nvme0 again, same values" identify_matches "$(dmesg_since_mark)" nvme0
	check "cycle $i: $BDF bound to nvme_rs" test -e "/sys/bus/pci/drivers/nvme_rs/$BDF"
	i=$((i + 1))
done
unload final

group_end
