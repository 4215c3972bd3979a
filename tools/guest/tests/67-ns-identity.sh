#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Namespace identity in sysfs, as udev (the /dev/disk/by-id/nvme-* links)
# and nvme-cli read it, and the quirk table behind it. Each namespace disk
# has wwid, csi, nsid, metadata_bytes and nuse (as nvme id-ns reports
# it); uuid, nguid and eui only where
# the namespace reports them. guest.sh gives namespace 1 a UUID and an
# EUI-64, but QEMU's controller is in C's quirk table with bogus namespace
# identifiers under both its PCI IDs (1b36:0010, and 8086:5845 with
# use-intel-id=on), so both drivers ignore them: no uuid, nguid or eui, and
# a World Wide ID made of the controller's vendor ID, serial and model
# numbers and the NSID. Under the Intel ID the table also turns Write
# Zeroes off, so the disks carry none (and names IDENTIFY_CNS, which
# matters only to controllers before NVMe 1.2). The same checks pass on
# the C driver, the reference.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

# attr N NAME: namespace N's attribute NAME, or "(absent)".
attr() {
	cat "/sys/block/nvme0n$1/$2" 2>/dev/null || echo "(absent)"
}
# hex TEXT: TEXT's bytes in lowercase hex, as C's %phN.
hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}

bdf=$(nvme_bdf | head -n 1)
vendor=$(cat "/sys/bus/pci/devices/$bdf/vendor")
device=$(cat "/sys/bus/pci/devices/$bdf/device")
echo "# controller $vendor:$device"
case $NVME_OPTS in
*use-intel-id=on*) want_id=0x8086:0x5845 ;;
*) want_id=0x1b36:0x0010 ;;
esac
require "QEMU's controller has the PCI ID guest.sh asked for" equals "$vendor:$device" "$want_id"

# C numbers its disks in the order its asynchronous scan finishes, so
# nvme0nN need not be NSID N: each disk's wwid is checked against its own
# nsid, and the nsids must be 1 and 2.
model=$(sed 's/ *$//' /sys/class/nvme/nvme0/model)
nsids=
for n in 1 2; do
	nsid=$(attr "$n" nsid)
	nsids="$nsids $nsid"
	check "nvme0n$n: csi is NVM" equals "$(attr "$n" csi)" 0
	check "nvme0n$n: metadata_bytes" equals "$(attr "$n" metadata_bytes)" 0
	check "nvme0n$n: bogus identifiers ignored: no uuid, nguid or eui" \
		equals "$(attr "$n" uuid) $(attr "$n" nguid) $(attr "$n" eui)" "(absent) (absent) (absent)"
	check "nvme0n$n: wwid from the controller's vendor, serial and model and its NSID ($nsid)" \
		equals "$(attr "$n" wwid)" "nvme.${vendor#0x}-$(hex "$SERIAL")-$(hex "$model")-$(printf %08x "$nsid")"
done
# nuse: the blocks in use, which reading asks the controller for again
# (at most every 5 s). QEMU 7.2 has no thin provisioning: its NUSE is
# NSZE whatever was written, as this write shows.
dd if=/dev/zero of=/dev/nvme0n1 bs=4096 seek=256 count=1 oflag=direct 2>/dev/null
for n in 1 2; do
	idns=$(nvme id-ns "/dev/nvme0n$n" 2>/dev/null)
	id_nuse=$(printf '%s\n' "$idns" | sed -n 's/^nuse *: *//p')
	id_nsze=$(printf '%s\n' "$idns" | sed -n 's/^nsze *: *//p')
	nuse=$(attr "$n" nuse)
	check "nvme0n$n: nuse ($nuse) is a number" sh -c "echo '$nuse' | grep -qE '^[0-9]+\$'"
	check "nvme0n$n: nuse is nvme id-ns's nuse ($id_nuse)" equals "$nuse" "$((id_nuse))"
	check "nvme0n$n: QEMU reports nuse as nsze ($id_nsze)" equals "$nuse" "$((id_nsze))"
	check "nvme0n$n: nuse reads the same again at once" equals "$(attr "$n" nuse)" "$nuse"
done
check "the disks' nsids are 1 and 2" equals "$(echo "$nsids" | tr ' ' '\n' | sort -n | tr '\n' ' ')" " 1 2 "
check "the attributes are read-only" sh -c '! echo x >/sys/block/nvme0n1/wwid 2>/dev/null && ! echo 1 >/sys/block/nvme0n1/nuse 2>/dev/null'

wz=$(cat /sys/block/nvme0n1/queue/write_zeroes_max_bytes)
if [ "$want_id" = 0x8086:0x5845 ]; then
	check "Intel ID: no Write Zeroes (write_zeroes_max_bytes 0)" equals "$wz" 0
	check "Intel ID: both namespaces found" all_nodes_present
else
	check "QEMU's own ID: Write Zeroes ($wz bytes at most)" test "$wz" -gt 0
fi

group_end
