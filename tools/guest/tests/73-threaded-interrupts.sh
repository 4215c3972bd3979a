#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# use_threaded_interrupts=1 (C's nvme parameter of that name): each I/O
# queue's completions are reaped in its IRQ's kernel thread (irq/N-nvme0qM),
# the hard interrupt handler only looking whether one is waiting. I/O must
# complete and verify as without it, through those threads. Leaves the
# driver loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded with use_threaded_interrupts=1" load_driver use_threaded_interrupts=1

# irq_threads: how many IRQ threads serve nvme0's I/O queues (irq/N-nvme0qM,
# cut to 15 characters in the comm).
irq_threads() {
	local p n=0
	for p in /proc/[0-9]*/comm; do
		case $(cat "$p" 2>/dev/null) in irq/*-nvme0q[1-9]*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

queues=$(io_irq_counts | wc -l)
check "an IRQ thread per interrupt-driven I/O queue ($queues)" equals "$(irq_threads)" "$queues"
before=$(io_irq_counts)
check "fio verify on nvme0n1 and nvme0n2 through the threads" fio_ok --verify \
	--name=threaded --filename=/dev/nvme0n1:/dev/nvme0n2 --direct=1 --ioengine=io_uring \
	--iodepth=16 --rw=randwrite --bs=4k-64k --size=16m --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --verify_state_save=0
after=$(io_irq_counts)
check "the I/O queues' interrupts fired" \
	test "$(irq_deltas "$before" "$after" | awk '{ s += $2 } END { print s + 0 }')" -gt 0
check "driver reloaded with default parameters" load_driver
check "no IRQ threads without it" equals "$(irq_threads)" 0

group_end
