#!/bin/sh
# needs: faults
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Asynchronous events: nvme_rs keeps an Asynchronous Event Request
# outstanding and acts on what completes it.
#  - SMART/health: the host raises the controller's critical warning (QEMU
#    qom-set smart_critical_warning, asked for over the serial line); QEMU
#    sends an event per newly set bit, if Asynchronous Event Configuration
#    enables it. nvme_rs reads the SMART/health log, which re-arms the
#    event, and logs one line naming the warning bits. A second warning
#    must be logged too (the request was re-armed), and so must one after
#    nvme_rs is reloaded. Each event also reaches user space as C's
#    uevent: a change of the controller node with NVME_AEN set to the
#    event's completion dword (a netlink listener, busybox uevent, sees it).
#  - Namespace Attribute Changed: in the faults boot namespace DETACHED_NSID
#    is attached to no controller. nvme attach-ns makes it active: nvme_rs
#    reads the Changed Namespace List and gives it a disk and a generic
#    node; nvme detach-ns takes both away. nvme ns-rescan does the same
#    synchronously.
# Only waits that are bounded, no timing beyond "within N s". Leaves the
# namespace detached, the warning cleared and nvme_rs loaded (92-hot-removal
# runs next and unplugs the controller).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CTRL=/dev/nvme0
require "faults boot with a detached namespace" test -n "${DETACHED_NSID:-}"
require "nvme_rs loaded" load_nvme_rs
NS=$DETACHED_NSID
resets_before=$(dmesg | grep -c 'resetting controller')

# --- SMART/health ------------------------------------------------------------

# ask_host_warning VALUE: the host sets the controller's critical warning.
ask_host_warning() {
	echo "nvme-rs-host: qom-set /machine/peripheral/nvme0 smart_critical_warning $1"
}

# smart_warning_is VALUE: nvme smart-log reports that critical warning
# (nvme-cli prints it with %#x: "0", "0x2"). nvme-cli reads the log page
# with RAE (Retain Asynchronous Event) clear, which in QEMU re-arms
# SMART/health events just as nvme_rs's own read does: only call it where
# that cannot hide a driver that failed to re-arm them.
smart_warning_is() {
	local out got
	out=$(nvme smart-log "$CTRL" 2>&1) || { printf '%s\n' "$out"; return 1; }
	got=$(printf '%s\n' "$out" | sed -nE 's/^critical_warning[[:space:]]*:[[:space:]]*(0x[0-9a-fA-F]+|[0-9]+)[[:space:]]*$/\1/p')
	[ -n "$got" ] && [ "$((got))" -eq "$1" ] && return 0
	echo "critical_warning is '$got', want $1; nvme smart-log said:"
	printf '%s\n' "$out" | head -n 5
	return 1
}

# log_warning_is VALUE: byte 0 of the SMART/health log page, the critical
# warning, read with RAE set, which leaves the event masked.
log_warning_is() {
	local got
	got=$(nvme get-log "$CTRL" --log-id=2 --log-len=512 --rae --raw-binary | od -A n -t u1 -N 1 | tr -d ' ')
	[ "$got" = "$1" ] && return 0
	echo "critical warning is '$got', want $1"
	return 1
}

# smart_lines: nvme_rs's SMART/health warning lines since the mark.
smart_lines() {
	dmesg_since_mark | grep -E "nvme_rs $RE_BDF: nvme0: SMART/health critical warning "
}

# smart_logged HEX NAMES: the line for that warning is in the log since the
# mark, e.g. smart_logged 0x02 temperature.
smart_logged() {
	smart_lines | grep -qE ": nvme0: SMART/health critical warning $1: $2\$"
}

# smart_lines_are N: exactly N warning lines since the mark.
smart_lines_are() {
	equals "$(smart_lines | wc -l)" "$1" || { smart_lines; return 1; }
}

# Every uevent's environment goes to /tmp/uevents, a "--" line after each.
rm -f /tmp/uevents
busybox uevent sh -c 'env >>/tmp/uevents; echo -- >>/tmp/uevents' &
uevent_pid=$!

# aen_uevent VALUE: a change uevent of nvme0 with NVME_AEN matching the
# extended regular expression VALUE arrived. Prints the values seen if not.
aen_uevent() {
	awk -v want="^NVME_AEN=$1\$" '
		$0 == "--" { if (aen && change && dev) found = 1; aen = change = dev = 0; next }
		$0 ~ want { aen = 1 }
		$0 == "ACTION=change" { change = 1 }
		/^DEVPATH=.*\/nvme\/nvme0$/ { dev = 1 }
		END { exit !found }' /tmp/uevents 2>/dev/null && return 0
	echo "NVME_AEN values seen: $(grep '^NVME_AEN=' /tmp/uevents 2>/dev/null | tr '\n' ' ')"
	return 1
}

# warning_event VALUE HEX NAMES DESCRIPTION AEN: the host sets the warning
# to VALUE; the log page shows it, nvme_rs logs exactly one line for it,
# and user space gets the uevent with NVME_AEN=AEN.
warning_event() {
	dmesg_mark
	ask_host_warning "$1"
	check "$4: the SMART/health log shows critical warning $2 within 10 s" wait_for "log_warning_is $1" 10
	check "$4: nvme_rs logs \"critical warning $2: $3\" within 10 s" wait_for "smart_logged $2 '$3'" 10
	check "$4: one warning line, no other" smart_lines_are 1
	check "$4: uevent NVME_AEN=$5 on nvme0 within 10 s" wait_for "aen_uevent '$5'" 10
}

# SMART / health (type 1), Temperature Threshold (information 1), log page 2.
warning_event 2 0x02 temperature "temperature warning" 0x020101
# QEMU raises an event only for the newly set bit 0, and only if nvme_rs
# has re-armed SMART/health events by reading the log page and sent a new
# request; the log page has both bits. Spare below threshold is
# information 2.
warning_event 3 0x03 "spare below threshold, temperature" "second warning (spare)" 0x020201
check "nvme smart-log shows critical_warning 0x3" smart_warning_is 3

# Back to no warning: QEMU raises no event for cleared bits.
ask_host_warning 0
check "warning cleared: nvme smart-log shows 0 within 10 s" wait_for "smart_warning_is 0" 10

# --- namespace attachment ----------------------------------------------------

# nsids LIST-NS-ARGUMENTS...: the namespace IDs nvme list-ns prints
# ("[   0]:0x1"), in decimal, one a line.
nsids() {
	local id
	nvme list-ns "$CTRL" "$@" | sed -nE 's/^\[ *[0-9]+\]:(0x[0-9a-fA-F]+)$/\1/p' |
		while read -r id; do echo "$((id))"; done
}

# ns_active yes|no: whether the controller lists namespace NS as active.
ns_active() {
	local list
	list=$(nsids 2>&1) || { printf '%s\n' "$list"; return 1; }
	if printf '%s\n' "$list" | grep -qx "$NS"; then
		[ "$1" = yes ] && return 0
	else
		[ "$1" = no ] && return 0
	fi
	echo "active namespaces: $(echo "$list" | tr '\n' ' ') (namespace $NS active: want $1)"
	return 1
}

nodes_present() { [ -b "/dev/nvme0n$NS" ] && [ -c "/dev/ng0n$NS" ]; }
nodes_absent() { [ ! -e "/dev/nvme0n$NS" ] && [ ! -e "/dev/ng0n$NS" ]; }

# ns_logged added|removed: the line for namespace NS is in the log since
# the mark.
ns_logged() {
	dmesg_since_mark | grep -qE "nvme_rs $RE_BDF: nvme0: namespace $NS $1\$"
}

# ns_lines_are added|removed N: exactly N such lines since the mark.
ns_lines_are() {
	equals "$(dmesg_since_mark | grep -cE "nvme_rs $RE_BDF: nvme0: namespace $NS $1\$")" "$2" ||
		{ dmesg_since_mark | grep -E "nvme0: namespace [0-9]+ "; return 1; }
}

# ns_size_matches: the disk's size and block size are the namespace's.
ns_size_matches() {
	equals "$(cat "/sys/block/nvme0n$NS/size" 2>&1)" "$((DETACHED_BLOCKS * DETACHED_LBA / 512))" &&
		equals "$(cat "/sys/block/nvme0n$NS/queue/logical_block_size" 2>&1)" "$DETACHED_LBA"
}

# attach|detach: Namespace Attachment to or from this controller; nvme-cli
# exits non-zero when the controller fails the command.
attach() {
	nvme attach-ns "$CTRL" --namespace-id="$NS" --controllers="$CNTLID"
}
detach() {
	nvme detach-ns "$CTRL" --namespace-id="$NS" --controllers="$CNTLID"
}

# on_disk COMMAND...: runs it if /dev/nvme0nNS is a block device; fio and dd
# would otherwise quietly create a regular file of that name.
on_disk() {
	[ -b "/dev/nvme0n$NS" ] || { echo "/dev/nvme0n$NS is not a block device"; return 1; }
	"$@"
}

# io_still_works: the other namespaces still do I/O. Namespace 1 fails
# reads of MEDIA_READ_LBA and writes of MEDIA_WRITE_LBA (see 89), far
# beyond the 4 MiB read here.
io_still_works() {
	fio_ok --verify --name=n2 --filename=/dev/nvme0n2 --ioengine=io_uring \
		--direct=1 --rw=randwrite --bs=4k --size=4M --iodepth=8 --verify=crc32c &&
		fio_ok --read --name=n1 --filename=/dev/nvme0n1 --ioengine=io_uring \
			--direct=1 --rw=randread --bs=4k --size=4M --iodepth=8
}

CNTLID=$(nvme id-ctrl "$CTRL" 2>&1 | sed -nE 's/^cntlid[[:space:]]*:[[:space:]]*(0x[0-9a-fA-F]+|[0-9]+)[[:space:]]*$/\1/p')
require "nvme id-ctrl reports the controller ID" test -n "$CNTLID"
CNTLID=$((CNTLID))
echo "# controller ID $CNTLID"
# allocated: in the controller's subsystem, attached or not.
allocated() {
	local list
	list=$(nsids --all 2>&1) && printf '%s\n' "$list" | grep -qx "$NS" && return 0
	echo "allocated namespaces: $(echo "$list" | tr '\n' ' ')"
	return 1
}
check "namespace $NS exists in the subsystem (nvme list-ns --all)" allocated
check "namespace $NS is not active at start" ns_active no
check "namespace $NS has no disk or generic node at start" nodes_absent

# Attach: the event brings the disk.
dmesg_mark
check "nvme attach-ns namespace $NS succeeds" attach
check "the controller lists namespace $NS as active" ns_active yes
check "/dev/nvme0n$NS and /dev/ng0n$NS appear within 15 s" wait_for nodes_present 15
check "nvme_rs logs \"namespace $NS added\" within 5 s" wait_for "ns_logged added" 5
check "namespace $NS added once" ns_lines_are added 1
check "/dev/nvme0n$NS has the namespace's size and block size" ns_size_matches
check "fio verify on /dev/nvme0n$NS" on_disk fio_ok --verify --name=attached \
	--filename="/dev/nvme0n$NS" --ioengine=io_uring --direct=1 --rw=randwrite \
	--bs=4k --size=4M --iodepth=8 --verify=crc32c
# What the next attachment must read back: the same namespace, not a new one.
check "a marked block written to /dev/nvme0n$NS" on_disk sh -c \
	"head -c 4096 /dev/urandom >/tmp/aen-block && $(command -v dd) if=/tmp/aen-block of=/dev/nvme0n$NS bs=4096 seek=1000 count=1 oflag=direct"

# Detach: the event takes it away.
dmesg_mark
check "nvme detach-ns namespace $NS succeeds" detach
check "the controller no longer lists namespace $NS as active" ns_active no
check "/dev/nvme0n$NS and /dev/ng0n$NS are gone within 15 s" wait_for nodes_absent 15
check "nvme_rs logs \"namespace $NS removed\" within 5 s" wait_for "ns_logged removed" 5
check "namespace $NS removed once" ns_lines_are removed 1
check "I/O on the other namespaces still works" io_still_works

# Again, with nvme ns-rescan (NVME_IOCTL_RESCAN) as well: whichever of it
# and the event comes second finds nothing left to do.
dmesg_mark
check "nvme attach-ns namespace $NS succeeds again" attach
check "nvme ns-rescan succeeds" nvme ns-rescan "$CTRL"
check "/dev/nvme0n$NS and /dev/ng0n$NS are back within 15 s" wait_for nodes_present 15
check "nvme_rs logs \"namespace $NS added\" within 5 s" wait_for "ns_logged added" 5
check "namespace $NS added once, not once per rescan" ns_lines_are added 1
check "/dev/nvme0n$NS has the namespace's size and block size" ns_size_matches
check "the block written before the detach reads back" on_disk sh -c \
	"$(command -v dd) if=/dev/nvme0n$NS of=/tmp/aen-read bs=4096 skip=1000 count=1 iflag=direct && cmp /tmp/aen-block /tmp/aen-read"
check "nvme id-ns works on namespace $NS" nvme id-ns "$CTRL" --namespace-id="$NS"

dmesg_mark
check "nvme detach-ns namespace $NS succeeds again" detach
check "nvme ns-rescan succeeds" nvme ns-rescan "$CTRL"
check "/dev/nvme0n$NS and /dev/ng0n$NS are gone again within 15 s" wait_for nodes_absent 15
check "nvme_rs logs \"namespace $NS removed\" within 5 s" wait_for "ns_logged removed" 5
check "namespace $NS removed once, not once per rescan" ns_lines_are removed 1
check "namespace $NS ends detached" ns_active no

# --- after a reload ----------------------------------------------------------

# rmmod with an Asynchronous Event Request outstanding, then a new one from
# the new probe: a warning is still reported.
check "nvme_rs unloads and loads again" load_nvme_rs
# Any SMART / health event on log page 2: QEMU's information for a
# degraded reliability is its own choice.
warning_event 4 0x04 "reliability degraded" "after the reload" "0x02[0-9a-f]{2}01"
ask_host_warning 0
check "warning cleared again: nvme smart-log shows 0 within 10 s" wait_for "smart_warning_is 0" 10

check "I/O on namespaces 1 and 2 works at the end" io_still_works
check "no controller reset came of it" \
	equals "$(dmesg | grep -c 'resetting controller')" "$resets_before"
check "nvme_rs is loaded and its disks are there" all_nodes_present

kill "$uevent_pid" 2>/dev/null

group_end
