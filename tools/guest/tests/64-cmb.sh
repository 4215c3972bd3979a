#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# needs: formats
# Submission queues in the Controller Memory Buffer (C's use_cmb_sqes). The
# formats boot's controller has a CMB of FMT_CMB_BYTES in a BAR of its own:
#  - sysfs cmb, cmbloc and cmbsz on the controller show its registers as C
#    shows them;
#  - the driver offers it to the kernel's peer-to-peer allocator, whose
#    sysfs p2pmem/ shows its size, and publishes it (the controller reads
#    and writes data in it);
#  - every I/O queue's submission queue is allocated from it: p2pmem
#    available is the size less one page-rounded ring per queue;
#  - fio verifies with the controller reading commands from its CMB, and
#    again after a controller reset, which must leave the CMB decoded;
#  - with use_cmb_sqes=0 nothing is taken from it, and fio verifies.
# Leaves the driver loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# find_disks: sets ns1 and ns2 to the disks of namespaces 1 and 2. Called
# after every load, outside check (which runs in a subshell): C's parallel
# scan names disks in the order it finishes them.
find_disks() {
	wait_for "ng_of 1 && ng_of 2" 60
	ns1=nvme$(ng_of 1 | sed 's,^/dev/ng,,')
	ns2=nvme$(ng_of 2 | sed 's,^/dev/ng,,')
}

# have_disks: both disks found are block devices.
have_disks() {
	test -b "/dev/$ns1" && test -b "/dev/$ns2"
}

require "driver loaded with default parameters" load_driver
find_disks
require "disks of namespaces 1 and 2" have_disks

bdf=$(nvme_bdf)
ctrl=/sys/class/nvme/nvme0
p2p=/sys/bus/pci/devices/$bdf/p2pmem

# cmb_file_matches: sysfs cmb shows cmbloc and cmbsz in C's format.
cmb_file_matches() {
	equals "$(cat $ctrl/cmb)" "$(printf 'cmbloc : x%08x\ncmbsz  : x%08x' \
		"$(cat $ctrl/cmbloc)" "$(cat $ctrl/cmbsz)")"
}

# cmb_bytes: the CMB size CMBSZ gives (SZ units of 4 KiB * 16^SZU).
cmb_bytes() {
	local sz
	sz=$(cat $ctrl/cmbsz)
	echo $(((sz >> 12) * (1 << (12 + 4 * ((sz >> 8) & 15)))))
}

# ring_bytes: what the I/O queues' submission rings take, each rounded up
# to a page: a ring per hardware queue of one 64-byte entry more than the
# queue has tags (a full ring keeps one entry empty).
ring_bytes() {
	local queues depth
	set -- /sys/block/"$ns1"/mq/[0-9]*
	queues=$#
	depth=$(($(cat "$1/nr_tags") + 1))
	echo $((queues * ((depth * 64 + 4095) / 4096 * 4096)))
}

# taken: bytes of the CMB allocated.
taken() {
	echo $(($(cat $p2p/size) - $(cat $p2p/available)))
}

fio_verify() {
	fio_ok --verify --name="$1" --filename=/dev/$ns1:/dev/$ns2 --direct=1 \
		--ioengine=io_uring --iodepth=16 --rw=randwrite --bs=4k-64k --size=16m \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0
}

check "sysfs cmb shows cmbloc and cmbsz" cmb_file_matches
check "CMBSZ says $FMT_CMB_BYTES bytes" equals "$(cmb_bytes)" "$FMT_CMB_BYTES"
check "CMBSZ allows submission queues (SQS)" test $(($(cat $ctrl/cmbsz) & 1)) -eq 1
check "the peer-to-peer allocator has the whole CMB" equals "$(cat $p2p/size 2>&1)" "$FMT_CMB_BYTES"
check "the CMB is published for peers" equals "$(cat $p2p/published 2>&1)" 1
check "each I/O queue's submission ring is in the CMB" equals "$(taken)" "$(ring_bytes)"
check "fio verify with the submission queues in the CMB" fio_verify cmb
check "controller reset" sysfs_write 1 "$ctrl/reset_controller"
check "live again after the reset" wait_for "grep -qx live $ctrl/state" 30
check "fio verify after the reset" fio_verify cmb-reset
check "the rings are still the CMB's after the reset" equals "$(taken)" "$(ring_bytes)"

require "driver reloaded with use_cmb_sqes=0" load_driver use_cmb_sqes=0
find_disks
require "use_cmb_sqes=0: disks of namespaces 1 and 2" have_disks
check "use_cmb_sqes=0: nothing taken from the CMB" equals "$(taken)" 0
check "use_cmb_sqes=0: sysfs cmb still shows the CMB" cmb_file_matches
check "fio verify with the submission queues in host memory" fio_verify host
require "driver reloaded with default parameters" load_driver
find_disks
check "disks of namespaces 1 and 2 again" have_disks
check "the rings are in the CMB again" equals "$(taken)" "$(ring_bytes)"

group_end
