#!/bin/sh
# needs: faults
# shellcheck disable=SC2317 # functions run through check
# A controller that stops answering under load, as if it had vanished: the
# guest turns off its memory space and bus mastering in PCI config space,
# so register reads no longer reach it and it cannot move data. Timed-out
# commands are aborted, the Abort times out, the reset that follows fails,
# and nvme_rs gives up on the controller (C nvme_remove_dead_ctrl): I/O
# fails, the driver unbinds and the disks and nodes go, nothing hangs.
# Binding the driver again enables the device and it works again.
# Short timeouts (io_timeout=5, admin_timeout=5) keep this quick.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "nvme_rs loaded with short timeouts" load_nvme_rs io_timeout=5 admin_timeout=5
BDF=$(nvme_bdf)
require "one controller" equals "$(echo "$BDF" | wc -w)" 1
CONFIG=/sys/bus/pci/devices/$BDF/config

dmesg_mark
fio_load_start
sleep 3
require "fio running before the controller vanishes" is_running "$fio_pid"

# PCI Command register (offset 4): memory space (bit 1) and bus master
# (bit 2) off.
command_register() { od -A n -t x2 -j 4 -N 2 "$CONFIG" | tr -d ' '; }
echo "# PCI command register: $(command_register)"
printf '\000\000' | dd of="$CONFIG" bs=1 seek=4 count=2 conv=notrunc 2>/dev/null
check "memory space and bus mastering are off" \
	sh -c "[ \$((0x$(command_register) & 6)) -eq 0 ]"
gone=$(_now_cs)

check "fio ends within 60 s" wait_for "! is_running $fio_pid" 60
echo "# fio ended $((($(_now_cs) - gone) / 100)) s after the controller vanished"
fio_load_stop
check "fio reports an I/O error" fio_load_failed "$fio_rc"
gave_up() {
	dmesg_since_mark | grep -qE "nvme_rs $BDF: nvme0: removing the controller, which no longer works"
}
check "nvme_rs gives up on the controller" gave_up
check "its disks and nodes are gone within 30 s" wait_for \
	"[ ! -e /dev/nvme0n1 ] && [ ! -e /dev/nvme0n2 ] && [ ! -e /dev/ng0n2 ] && [ ! -e /dev/nvme0 ]" 30
check "the driver is unbound, the PCI device stays" \
	sh -c "[ ! -e /sys/bus/pci/devices/$BDF/driver ] && [ -e /sys/bus/pci/devices/$BDF ]"
check "no task hangs: the guest still runs commands" sh -c 'echo alive | grep -q alive'
echo "# timeline:"
dmesg_since_mark | grep -E "nvme_rs $BDF" | sed 's/^/#   /' | head -n 20

# Binding enables the device again (pci_enable_device, bus mastering) and
# the controller, which only had its decoding turned off, comes back.
dmesg_mark
echo "$BDF" >/sys/bus/pci/drivers/nvme_rs/bind
check "binding again brings the disks back" wait_for io_ready_since_mark 60
check "a verify passes after the rebind" fio_ok --verify --name=again \
	--filename=/dev/nvme0n2 --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --size=4M --iodepth=8 --verify=crc32c
check "rmmod works afterwards" rmmod nvme_rs
check "reload with default parameters" load_nvme_rs

group_end
