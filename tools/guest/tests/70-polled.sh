#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# Polled I/O: with poll_queues=1 the driver adds a queue without an
# interrupt vector (HCTX_TYPE_POLL) that io_uring IOPOLL (fio hipri) reaps by
# polling. Data must come back intact, and while only polled I/O is in
# flight no I/O queue interrupt may fire; ordinary I/O right after must
# raise them again. Leaves nvme_rs loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

NCPU=$(nproc)

dmesg_mark
require "reload with poll_queues=1" load_nvme_rs poll_queues=1
# shellcheck disable=SC2046 # two numbers
set -- $(queue_split)
irq_queues=${1:-} poll_queues=${2:-}
echo "# $(dmesg_since_mark | grep -E "$RE_QUEUES" | tail -n 1)"
check "log line says 1 polled queue" equals "$poll_queues" 1
check "at least one interrupt-driven queue" test "${irq_queues:-0}" -ge 1
check "one interrupt vector per interrupt-driven I/O queue" \
	equals "$(io_irq_counts | wc -l)" "$irq_queues"

nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	dev=/dev/nvme0n$nsid
	eval "lba=\$NS${nsid}_LBA"
	check "$dev: io_poll enabled" equals "$(cat "/sys/block/nvme0n$nsid/queue/io_poll")" 1
	check "$dev: $((irq_queues + poll_queues)) blk-mq hardware queues" \
		equals "$(find "/sys/block/nvme0n$nsid/mq" -mindepth 1 -maxdepth 1 -type d | wc -l)" \
		"$((irq_queues + poll_queues))"
	# Two jobs share the one poll queue from two CPUs.
	check "$dev: polled verify (io_uring hipri fixedbufs QD16, bs $lba-128k)" \
		fio_ok --verify --name=polled --filename="$dev" --direct=1 --rw=randwrite \
		--verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
		--ioengine=io_uring --hipri=1 --fixedbufs=1 --iodepth=16 --bsrange="$lba-128k" \
		--size=4M --numjobs=2 --offset_increment=16M \
		--cpus_allowed="0-$((NCPU - 1))" --cpus_allowed_policy=split
	nsid=$((nsid + 1))
done

# mixed IO-ARGUMENT...: reads and writes of 4-16 KiB on both namespaces,
# two jobs each. No verify: fio syncs the device before verifying, and a
# flush is never polled. Small blocks: a bio the block layer must split
# loses its polled flag. invalidate=0: no cache flush ioctl either.
# fio takes the options before the first --name as global ones.
mixed() {
	fio_ok --direct=1 --rw=randrw --bsrange=4k-16k --size=4M --offset_increment=16M \
		--numjobs=2 --invalidate=0 --ioengine=io_uring --iodepth=8 \
		--cpus_allowed="0-$((NCPU - 1))" --cpus_allowed_policy=split "$@" \
		--name=mixed1 --filename=/dev/nvme0n1 --name=mixed2 --filename=/dev/nvme0n2
}
before=$(io_irq_counts)
check "polled mixed I/O (io_uring hipri)" mixed --hipri=1
after=$(io_irq_counts)
deltas=$(irq_deltas "$before" "$after")
echo "# I/O queue interrupts during polled I/O: $(echo "$deltas" | tr '\n' ' ')"
check "no I/O queue interrupt during polled I/O" \
	equals "$(echo "$deltas" | awk '$2 != 0' | tr '\n' ' ')" ""

before=$after
check "interrupt-driven mixed I/O (io_uring)" mixed
deltas=$(irq_deltas "$before" "$(io_irq_counts)")
echo "# I/O queue interrupts during interrupt-driven I/O: $(echo "$deltas" | tr '\n' ' ')"
check "interrupt-driven I/O raised I/O queue interrupts" \
	test "$(echo "$deltas" | awk '{ s += $2 } END { print s + 0 }')" -gt 0

check "reload with default parameters" load_nvme_rs

group_end
