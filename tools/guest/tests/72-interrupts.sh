#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Completions arrive on the interrupt of the queue the I/O was submitted to,
# and each CPU submits to its own queue: blk-mq hardware queue N (whose CPUs
# sysfs lists in mq/N/cpu_list) is I/O queue N+1, interrupt nvme0q<N+1>.
# fio pinned to one CPU at a time must raise exactly that CPU's queue
# interrupt, and over all CPUs every I/O queue interrupt must have fired.
# Leaves nvme_rs loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

MQ=/sys/block/nvme0n1/mq
require "nvme_rs loaded with default parameters" load_nvme_rs
# shellcheck disable=SC2046 # two numbers
set -- $(queue_split)
irq_queues=${1:-0}
echo "# $irq_queues interrupt-driven I/O queues, CPUs online: $(cat /sys/devices/system/cpu/online)"
check "one interrupt vector per I/O queue" equals "$(io_irq_counts | wc -l)" "$irq_queues"

# The hardware queue whose cpu_list holds CPU $1, by directory number.
# cpu_list is "0, 2, 3".
hctx_of_cpu() {
	local d
	for d in "$MQ"/*/; do
		d=${d%/}
		tr -d ' ' <"$d/cpu_list" | tr ',' '\n' | grep -qx "$1" && echo "${d##*/}"
	done
}

total=$(io_irq_counts)
for cpu in $(tr ',' ' ' </sys/devices/system/cpu/online | awk '{
	for (i = 1; i <= NF; i++) { n = split($i, r, "-"); for (c = r[1]; c <= r[n]; c++) print c } }'); do
	hctx=$(hctx_of_cpu "$cpu")
	check "CPU $cpu is in exactly one hardware queue's cpu_list" equals "$(echo "$hctx" | wc -w)" 1
	before=$(io_irq_counts)
	check "CPU $cpu: fio pinned to it (libaio QD8, 4k reads and writes)" \
		fio_ok --name="cpu$cpu" --filename=/dev/nvme0n1 --direct=1 --rw=randrw --bs=4k \
		--size=2M --offset=$((cpu * 4))M --ioengine=libaio --iodepth=8 --cpus_allowed="$cpu"
	raised=$(irq_deltas "$before" "$(io_irq_counts)" | awk '$2 > 0 { print $1 }' | tr '\n' ' ')
	echo "# CPU $cpu: hardware queue $hctx; interrupts raised: $raised"
	[ -n "$hctx" ] || continue
	check "CPU $cpu: completions on nvme0q$((hctx + 1)) only" equals "$raised" "nvme0q$((hctx + 1)) "
done

deltas=$(irq_deltas "$total" "$(io_irq_counts)")
echo "# I/O queue interrupts over all CPUs: $(echo "$deltas" | tr '\n' ' ')"
if [ "$irq_queues" -ge 2 ] && [ "$(nproc)" -ge 2 ]; then
	check "more than one I/O queue interrupt fired" \
		test "$(echo "$deltas" | awk '$2 > 0' | wc -l)" -gt 1
else
	skip "more than one I/O queue interrupt fired" "$(nproc) CPU(s), $irq_queues I/O queue(s)"
fi
check "every I/O queue interrupt fired" equals "$(echo "$deltas" | awk '$2 == 0' | tr '\n' ' ')" ""

group_end
