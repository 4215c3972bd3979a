#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# CPUs sharing I/O queues. The driver wants one interrupt-driven I/O queue
# per CPU but gets what the controller grants: scripts/test.sh boots 4 CPUs
# with max_ioqpairs=2, so 4 CPUs share 2 queues. Whatever the setup, the
# queue count must be min(CPUs, granted), blk-mq's hardware queues must
# cover every CPU exactly once, and one fio verify job per CPU, all at
# once, must pass and raise every queue's interrupt. The check that a queue
# is shared applies only when there are more CPUs than queues (skipped, not
# counted, otherwise). Leaves nvme_rs loaded with default parameters.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# "0-3" or "0,2-3" -> one CPU number a line.
cpu_numbers() {
	tr ',' '\n' | awk -F- '{ for (c = $1; c <= $NF; c++) print c }'
}

online=$(cpu_numbers </sys/devices/system/cpu/online)
possible_list=$(cpu_numbers </sys/devices/system/cpu/possible)
possible=$(echo "$possible_list" | wc -l)
ncpu=$(echo "$online" | wc -l)
# QEMU grants max_ioqpairs I/O queue pairs, 64 unless guest.sh was told.
granted=$(echo "${NVME_OPTS:-}" | tr ',' '\n' | sed -n 's/^max_ioqpairs=//p')
granted=${granted:-64}
want=$possible
[ "$granted" -lt "$want" ] && want=$granted
echo "# $ncpu CPUs online ($possible possible), controller grants $granted queue pairs: want $want I/O queues"

dmesg_mark
require "nvme_rs loaded with default parameters" load_nvme_rs
echo "# $(dmesg_since_mark | grep -E "$RE_QUEUES" | tail -n 1)"
check "log line: $want interrupt-driven queues, 0 polled" equals "$(queue_split)" "$want 0"
check "one interrupt vector per I/O queue" equals "$(io_irq_counts | wc -l)" "$want"

nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	mq=/sys/block/nvme0n$nsid/mq
	check "nvme0n$nsid: $want blk-mq hardware queues" \
		equals "$(find "$mq" -mindepth 1 -maxdepth 1 -type d | wc -l)" "$want"
	lists=$(cat "$mq"/*/cpu_list 2>/dev/null | tr -d ' ' | tr ',' '\n' | grep . | sort -n)
	# blk-mq maps every possible CPU, online or not.
	check "nvme0n$nsid: the hardware queues cover each possible CPU exactly once" \
		equals "$(echo "$lists" | tr '\n' ' ')" "$(echo "$possible_list" | tr '\n' ' ')"
	for d in "$mq"/*/; do
		echo "# nvme0n$nsid ${d#"$mq"/}cpu_list: $(cat "$d/cpu_list")"
	done
	nsid=$((nsid + 1))
done

if [ "$ncpu" -gt "$want" ]; then
	most=$(for d in /sys/block/nvme0n1/mq/*/; do
		tr -d ' ' <"$d/cpu_list" | tr ',' '\n' | grep -c .
	done | sort -n | tail -n 1)
	check "some hardware queue serves several CPUs" test "${most:-0}" -ge 2
else
	skip "some hardware queue serves several CPUs" "$ncpu CPUs, $want queues: none shared"
fi

# One job per CPU on each namespace, all at once; regions do not overlap.
before=$(io_irq_counts)
check "fio verify, $ncpu jobs a namespace, one per CPU (io_uring QD16, bs 4k-64k)" \
	fio_ok --verify --direct=1 --rw=randwrite --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --verify_state_save=0 --ioengine=io_uring --iodepth=16 \
	--bsrange=4k-64k --size=3M --offset_increment=$((48 / ncpu))M --numjobs="$ncpu" \
	--cpus_allowed="$(echo "$online" | tr '\n' ',' | sed 's/,$//')" --cpus_allowed_policy=split \
	--name=ns1 --filename=/dev/nvme0n1 --name=ns2 --filename=/dev/nvme0n2
deltas=$(irq_deltas "$before" "$(io_irq_counts)")
echo "# I/O queue interrupts: $(echo "$deltas" | tr '\n' ' ')"
check "every I/O queue interrupt fired" equals "$(echo "$deltas" | awk '$2 == 0' | tr '\n' ' ')" ""

group_end
