#!/bin/sh
# needs: faults
# shellcheck disable=SC2317 # functions run through check
# Hot removal under load: the host unplugs the controller (QEMU device_del,
# asked for over the serial line) while fio runs. The guest's PCIe hotplug
# driver removes it, nvme_rs tears down and fio gets errors within 10 s of
# the slot powering off; nothing hangs. Then the host plugs in a new controller (device_add, on a
# spare drive), which probes and passes a short verify.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "faults boot with a spare drive" test -n "${SPARE_SERIAL:-}"
require "nvme_rs loaded" load_nvme_rs
BDF=$(nvme_bdf)
require "one controller at start" equals "$(echo "$BDF" | wc -w)" 1

dmesg_mark
fio_load_start
sleep 3
require "fio running before the removal" is_running "$fio_pid"

# QEMU unplugs through the slot's attention button, after which pciehp
# waits 5 s (the time a person has to cancel) before it powers the slot off
# and removes the device: the 10 s start from there.
button_pressed() { dmesg_since_mark | grep -q 'pciehp: Slot([0-9]*): Button press: will power off'; }
echo "nvme-rs-host: device_del nvme0"
check "pciehp sees the unplug request within 10 s" wait_for button_pressed 10
pressed=$(_now_cs)
check "fio ends within 10 s of the slot powering off" wait_for "! is_running $fio_pid" 15
echo "# fio ended $((($(_now_cs) - pressed) / 100)) s after the button press"
fio_load_stop
check "fio reports an I/O error" fio_load_failed "$fio_rc"
check "the controller's nodes are gone" wait_for "[ ! -e /dev/nvme0n2 ] && [ ! -e /dev/ng0n2 ] && [ ! -e /dev/nvme0 ]" 20
check "the PCI device is gone" wait_for "[ ! -e /sys/bus/pci/devices/$BDF ]" 20
check "nvme_rs logged the teardown" sh -c "dmesg | grep -qE 'nvme_rs $BDF: nvme0: (shutdown complete|device gone)'"
check "the guest still runs commands" sh -c 'echo alive | grep -q alive'

# QEMU finishes unplugging the old device some time after the guest powered
# the slot off; a device_add into the slot before then can show the new
# card as absent, and pciehp then never powers it on.
sleep 10
dmesg_mark
echo "nvme-rs-host: device_add nvme,id=nvme1,serial=$SPARE_SERIAL,bus=rp0,drive=spare"
new_controller_ready() {
	dmesg_since_mark | grep -qE "$RE_QUEUES" && [ -b /dev/nvme0n1 ]
}
# pciehp normally powers the slot on as soon as QEMU reports the card
# present; now and then it only sees the attention button and its 5 s
# power-on never comes. Powering the slot on through sysfs is what an
# administrator would do then; either way nvme_rs must probe what appears.
if ! wait_for new_controller_ready 15; then
	for power in /sys/bus/pci/slots/*/power; do
		[ -e "$power" ] || continue
		echo "# the slot is still off: echo 1 >$power"
		echo 1 >"$power"
	done
fi
require "a new controller probes and its disk appears" wait_for new_controller_ready 30
check "the new controller has the spare's serial" \
	equals "$(tr -d ' \n' </sys/class/nvme/nvme0/serial 2>&1)" "$SPARE_SERIAL"
check "its namespace has the spare's size" \
	equals "$(cat /sys/block/nvme0n1/size 2>&1)" "$SPARE_BLOCKS"
check "short verify on the new controller" fio_ok --verify --name=new \
	--filename=/dev/nvme0n1 --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --size=4M --iodepth=8 --verify=crc32c

group_end
