#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Namespace identity in sysfs, as udev (the /dev/disk/by-id/nvme-* links)
# and nvme-cli read it: each namespace disk's wwid, uuid, nguid, eui, csi,
# nsid and metadata_bytes, with uuid, nguid and eui present only where the
# namespace reports them. Namespace 1 has the UUID and EUI-64 guest.sh
# gave it, and its World Wide ID is the UUID; namespace 2 reports no UUID,
# so its World Wide ID is its EUI-64 if QEMU gives it one, else one made
# of the controller's vendor ID, serial and model numbers and the NSID.
# The same checks pass on the C driver, the reference.
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
# spaced HEX: "aabbcc" as "aa bb cc", as C's %ph.
spaced() {
	echo "$1" | sed 's/../& /g; s/ $//'
}

check "nvme0n1: wwid is its UUID" equals "$(attr 1 wwid)" "uuid.$NS1_UUID"
check "nvme0n1: uuid" equals "$(attr 1 uuid)" "$NS1_UUID"
check "nvme0n1: eui is its EUI-64" equals "$(attr 1 eui)" "$(spaced "$NS1_EUI64")"
check "nvme0n1: no nguid (QEMU 7.2 reports none)" equals "$(attr 1 nguid)" "(absent)"
check "nvme0n1: nsid" equals "$(attr 1 nsid)" 1
check "nvme0n2: nsid" equals "$(attr 2 nsid)" 2
for n in 1 2; do
	check "nvme0n$n: csi is NVM" equals "$(attr "$n" csi)" 0
	check "nvme0n$n: metadata_bytes" equals "$(attr "$n" metadata_bytes)" 0
done

check "nvme0n2: no uuid, no nguid" equals "$(attr 2 uuid) $(attr 2 nguid)" "(absent) (absent)"
eui2=$(attr 2 eui)
if [ "$eui2" = "(absent)" ]; then
	model=$(sed "s/ *$//" /sys/class/nvme/nvme0/model)
	want="nvme.1b36-$(hex "$SERIAL")-$(hex "$model")-00000002"
	check "nvme0n2: wwid from the controller and the NSID (no EUI-64)" equals "$(attr 2 wwid)" "$want"
else
	check "nvme0n2: wwid is its EUI-64 ($eui2)" equals "$(attr 2 wwid)" "eui.$(echo "$eui2" | tr -d ' ')"
fi
check "the attributes are read-only" sh -c '! echo x >/sys/block/nvme0n1/wwid 2>/dev/null'

group_end
