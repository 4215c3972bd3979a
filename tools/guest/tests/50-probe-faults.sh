#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Probe failures unwind cleanly: bind the controller with the Nth memory
# allocation made by nvme_rs failing (slab or page allocator, through the
# kernel's fail-nth fault injection with a stack filter on the module's
# address range), for every N up to the last allocation probe makes. After
# every step the device is either bound and working, or not bound; leaks and
# use-after-free from the failed probes show up in the kmemleak group and
# the log check (KASAN).
#
# The filter looks only 6 frames up from the allocation: far enough to see
# what nvme_rs allocates itself and what the services it calls allocate
# directly (blk-mq tags, IRQ actions, disks), not the bookkeeping deep inside
# them (the ACPI interpreter under pci_enable_device, /proc/irq entries,
# MSI affinity masks), whose own allocation-failure handling is the kernel's
# business and is known to warn. The module is loaded with small queues so
# the walk over every allocation stays short.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

DRV=/sys/bus/pci/drivers/nvme_rs
DBG=/sys/kernel/debug
MAX_N=2000
DEPTH=6
BDF=$(nvme_bdf)
require "exactly one NVMe controller (class 0x010802)" equals "$(echo "$BDF" | wc -w)" 1
[ -d /sys/module/nvme_rs ] && rmmod nvme_rs
dmesg_mark
require "nvme_rs loaded with io_queue_depth=16" insmod /lib/nvme-rs/nvme_rs.ko io_queue_depth=16
require "identify report" wait_for identify_done_since_mark 30
require "fail-nth available" test -w /proc/thread-self/fail-nth

# The module's memory, from /proc/modules: "name size refs deps state base".
# shellcheck disable=SC2046 # split into the fields on purpose
set -- $(grep '^nvme_rs ' /proc/modules)
size=$2 base=$6
require "module address known" test -n "$base" -a "$base" != 0x0000000000000000
end=$(printf '0x%x' $((base + size)))
echo "# nvme_rs at $base..$end"

# Make every allocation an injection point (sleeping ones, order-0 pages),
# but only when nvme_rs is on the stack; keep the injections quiet, as a
# stack dump would read as a bug report in the log check.
for attr in failslab fail_page_alloc; do
	require "$attr: filter on nvme_rs" sh -c "echo $base >$DBG/$attr/require-start &&
		echo $end >$DBG/$attr/require-end && echo $DEPTH >$DBG/$attr/stacktrace-depth &&
		echo 0 >$DBG/$attr/verbose && echo N >$DBG/$attr/ignore-gfp-wait"
done
require "fail_page_alloc: order 0 and highmem too" sh -c \
	"echo 0 >$DBG/fail_page_alloc/min-order && echo N >$DBG/fail_page_alloc/ignore-gfp-highmem"

unbind() {
	[ -e "$DRV/$BDF" ] || return 0
	echo "$BDF" >"$DRV/unbind"
}
require "start unbound" unbind

# inject N: binds with the Nth filtered allocation failing. Prints "fired"
# when the fault was used up during the bind, "pending" when the bind made
# fewer than N such allocations.
inject() {
	(
		echo "$1" >/proc/thread-self/fail-nth
		echo "$BDF" >"$DRV/bind" 2>/dev/null
		read -r left </proc/thread-self/fail-nth
		echo 0 >/proc/thread-self/fail-nth
		[ "$left" = 0 ] && echo fired || echo pending
	)
}

dmesg_mark
walk_mark=$_mark
steps=0 failed_binds=0 bad=0 n=1
while [ "$n" -le "$MAX_N" ]; do
	dmesg_mark
	[ "$(inject "$n")" = pending ] && break
	steps=$((steps + 1))
	if [ -e "$DRV/$BDF" ]; then
		# The failure was absorbed by a fallback: the controller must then
		# be fully up.
		if ! identify_matches "$(dmesg_since_mark)" nvme0 >/dev/null; then
			echo "N=$n: bound, but without a full identify report"
			bad=$((bad + 1))
		fi
		unbind
	else
		failed_binds=$((failed_binds + 1))
		if [ -e "/sys/bus/pci/devices/$BDF/driver" ]; then
			echo "N=$n: bind failed but the device has a driver"
			bad=$((bad + 1))
		fi
	fi
	n=$((n + 1))
done

# The last bind reached no injected failure: it is an ordinary bind.
unbind
_mark=$walk_mark
echo "# $steps binds with a failed allocation, $failed_binds of them failed"
check "the walk reached the end of probe" test "$n" -le "$MAX_N"
check "faults reached deep into probe (N >= 50)" test "$n" -ge 50
check "most injected failures failed the bind" test "$((failed_binds * 2))" -ge "$steps"
check "every step left the device bound and working, or unbound" equals "$bad" 0
check "the ACPI interpreter was not hit" sh -c "! dmesg | grep -F 'ACPI Error'"

dmesg_mark
check "a clean bind works afterwards" sysfs_write "$BDF" "$DRV/bind"
check "identify report after the clean bind" wait_for identify_done_since_mark 30
check "values still right" identify_matches "$(dmesg_since_mark)" nvme0

# Leave the module as the other groups expect it: default parameters.
rmmod nvme_rs
ensure_loaded

group_end
