#!/bin/sh
# shellcheck disable=SC3043 # busybox sh has local
# drivers: rs c
# needs: faults
# NVME_IOCTL_IO_CMD on the controller node /dev/nvme0, as Linux 6.12's
# nvme_dev_user_cmd: deprecated, it runs on the controller's only
# namespace, with that namespace's checks and permission rules; with
# several namespaces it fails with EINVAL (and C's warning in the log),
# with none with ENOTTY. No boot has a controller with one namespace, so
# this uses the faults boot, whose controller sits in an NVM subsystem:
# Namespace Attachment detaches namespace 2, then 1, and attaches both
# again (C names the nodes left by its own instance numbers, so the
# test looks the remaining one up). nvme-passthru-test --ctrl-io-cmd does
# the ioctls; it also checks
# NVME_IOCTL_SUBSYS_RESET as root, ENOTTY since QEMU 7.2 reports no NVM
# Subsystem Reset (CAP.NSSRS). Leaves both namespaces attached and the
# driver loaded (91-async-events runs later).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CTRL=/dev/nvme0
require "faults boot (controller in an NVM subsystem)" test -n "${DETACHED_NSID:-}"
require "load the driver" load_driver

CNTLID=$(nvme id-ctrl "$CTRL" 2>&1 | sed -nE 's/^cntlid[[:space:]]*:[[:space:]]*(0x[0-9a-fA-F]+|[0-9]+)[[:space:]]*$/\1/p')
require "nvme id-ctrl reports the controller ID" test -n "$CNTLID"
CNTLID=$((CNTLID))

# attach|detach NSID: Namespace Attachment to or from this controller.
attach() {
	nvme attach-ns "$CTRL" --namespace-id="$1" --controllers="$CNTLID"
}
detach() {
	nvme detach-ns "$CTRL" --namespace-id="$1" --controllers="$CNTLID"
}

# io_cmd COUNT [NSID]: the checks for a controller with COUNT namespaces.
io_cmd() {
	local out rc
	out=$(timeout 120 nvme-passthru-test --ctrl-io-cmd "$@" 2>&1)
	rc=$?
	count_lines_from "$out" "$rc" nvme-passthru-test
}

# nodes_left N: N generic nodes and N disks of nvme0 exist.
nodes_left() {
	local ng disks
	ng=$(ls /dev/ng0n* 2>/dev/null | wc -l)
	disks=$(ls -d /sys/block/nvme0n* 2>/dev/null | wc -l)
	[ "$ng" -eq "$1" ] && [ "$disks" -eq "$1" ] && return 0
	echo "$ng generic nodes and $disks disks, want $1: $(ls /dev/ng0n* /dev/nvme0n* 2>&1 | tr '\n' ' ')"
	return 1
}

logged() {
	dmesg_since_mark | grep -q "$1" && return 0
	echo "no '$1' in the log since the mark"
	return 1
}

dmesg_mark
io_cmd 2
check "C's warning: not supported when multiple namespaces present" \
	logged "NVME_IOCTL_IO_CMD not supported when multiple namespaces present!"

check "nvme detach-ns namespace 2" detach 2
check "one generic node and one disk left" wait_for 'nodes_left 1' 30
# C names the nodes by an instance number its parallel scan hands out at
# load, which need not be the NSID: find the one left.
node=$(ls /dev/ng0n* 2>/dev/null | sed -n 's|^/dev/ng0n||p' | head -n 1)
echo "# the only namespace's nodes: ng0n${node:-?}, nvme0n${node:-?}"
dmesg_mark
io_cmd 1 "${node:-1}"
check "C's warning: deprecated ioctl on the char device" \
	logged "using deprecated NVME_IOCTL_IO_CMD ioctl on the char device!"

check "nvme detach-ns namespace 1" detach 1
check "no generic node or disk left" wait_for 'nodes_left 0' 30
io_cmd 0

check "nvme attach-ns namespace 1" attach 1
check "nvme attach-ns namespace 2" attach 2
check "every namespace's nodes are back" wait_for all_nodes_present 30
io_cmd 2

group_end
