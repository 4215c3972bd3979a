#!/bin/sh
# shellcheck disable=SC3043 # busybox sh has local
# Guest side of `make bench` (busybox sh): fio against the same emulated
# controller, bound in turn to the C driver and to nvme_rs.
#
#   sh bench.sh          run the benchmark; the init does this in bench mode
#   sh bench.sh --list   print every cell name, one per line (scripts/bench.sh
#                        runs this on the host to count cells)
#
# A cell is BACKEND/WORKLOAD/PATH, e.g. null/rr4k-qd32/ng-poll:
#   BACKEND   file: namespace on a raw image file on the host (nsid 1);
#             null: QEMU's null-co back end (reads return zeroes, writes are
#             dropped), which keeps the host's storage out of the numbers
#   WORKLOAD  rr4k-qd1, rr4k-qd32, rr4k-qd128x2 (two jobs), rw4k-qd32,
#             rr512-qd32, sr128k-qd8 (rr random read, rw random write, sr
#             sequential read; block size; queue depth); and for how the
#             cost per I/O grows with the queue depth, rr4k-qd4, -qd16,
#             -qd64 and -qd256; with CPUs and queues, rr4k-qd32-percpu (one
#             QD32 job on each vCPU)
#   PATH      blk: /dev/nvme0nN with io_uring; ng: /dev/ng0nN with
#             io_uring_cmd; -poll: the same with hipri=1 (poll queues)
#
# Settings come from /etc/nvme-rs-bench (KEY=VALUE lines, written by
# scripts/guest.sh from the host's BENCH_* variables): BENCH_ROUNDS,
# BENCH_RUNTIME, BENCH_RAMP (seconds), BENCH_FILTER (extended regex on cell
# names), BENCH_INSNS, FILE_NSID and NULL_NSID.
#
# With BENCH_INSNS set (a number of I/Os per fio job), the boot counts
# instructions instead of timing: one round, each cell run for that many
# I/Os between insn-mark start and stop, which the insn-count QEMU plugin
# (tools/bench/insn-count.c) turns into instruction counts on the host.
#
# Output, on the serial console, which is the only way out of the guest:
#   nvme-rs-bench-meta: {...}   once, before the first run
#   nvme-rs-bench: {...}        one line per fio run (cell, driver, round)
#   nvme-rs-insns: {...}        instead, with BENCH_INSNS: one per counted run
#                               (cell, driver, the plugin's epoch, I/Os)
#   nvme-rs-insns-text: {...}   with BENCH_INSNS, after each driver load: where
#                               one code section of its modules was loaded
#   nvme-rs-bench-done: ...     at the end
# The lines are short JSON objects that scripts/bench.sh collects; kernel
# messages can interleave with them only between lines.

WORKLOADS="rr4k-qd1 rr4k-qd32 rr4k-qd128x2 rw4k-qd32 rr512-qd32 sr128k-qd8
rr4k-qd4 rr4k-qd16 rr4k-qd64 rr4k-qd256 rr4k-qd32-percpu"
PATHS="blk blk-poll ng ng-poll"
BACKENDS="file null"

# workload_args WORKLOAD: its fio options.
workload_args() {
	case $1 in
	rr4k-qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	rr4k-qd32) echo "--rw=randread --bs=4k --iodepth=32" ;;
	rr4k-qd4 | rr4k-qd16 | rr4k-qd64 | rr4k-qd256)
		echo "--rw=randread --bs=4k --iodepth=${1#rr4k-qd}" ;;
	rr4k-qd128x2) echo "--rw=randread --bs=4k --iodepth=128 --numjobs=2" ;;
	# One job per vCPU, each on its own CPU and so its own queue: the cell
	# for cost against CPU and queue count (BENCH_SMP on the host).
	rr4k-qd32-percpu)
		echo "--rw=randread --bs=4k --iodepth=32 --numjobs=$(nproc) --cpus_allowed_policy=split --cpus_allowed=0-$(($(nproc) - 1))" ;;
	rw4k-qd32) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	rr512-qd32) echo "--rw=randread --bs=512 --iodepth=32" ;;
	sr128k-qd8) echo "--rw=read --bs=128k --iodepth=8" ;;
	*) return 1 ;;
	esac
}

list_cells() {
	local b w p
	for b in $BACKENDS; do
		for w in $WORKLOADS; do
			for p in $PATHS; do
				echo "$b/$w/$p"
			done
		done
	done
}

if [ "${1:-}" = --list ]; then
	list_cells
	exit 0
fi

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# wait_for, dmesg_mark, load_driver; lib.sh also reads /etc/nvme-rs-expect
# (NS_COUNT, which load_driver waits for).
# shellcheck disable=SC2034 # lib.sh's
GROUP=bench
# shellcheck source=lib.sh
. /usr/share/nvme-rs/lib.sh

BENCH_ROUNDS=3 BENCH_RUNTIME=5 BENCH_RAMP=1 BENCH_FILTER='' BENCH_INSNS=0 FILE_NSID=1 NULL_NSID=''
# Read as data, not sourced: the filter is a regex the shell must not expand.
if [ -f /etc/nvme-rs-bench ]; then
	# shellcheck disable=SC2034 # value is read by the eval
	while IFS='=' read -r key value; do
		case $key in
		BENCH_ROUNDS | BENCH_RUNTIME | BENCH_RAMP | BENCH_FILTER | BENCH_INSNS | FILE_NSID | NULL_NSID)
			eval "$key=\$value" ;;
		esac
	done </etc/nvme-rs-bench
fi

say() { echo "nvme-rs-bench-log: $*"; }

for v in "$BENCH_ROUNDS" "$BENCH_RUNTIME" "$BENCH_INSNS" "$FILE_NSID" "$NULL_NSID"; do
	case $v in '' | *[!0-9]*) say "bad setting '$v' in /etc/nvme-rs-bench"; exit 1 ;; esac
done
case $BENCH_RAMP in '' | *[!0-9]*) say "bad BENCH_RAMP '$BENCH_RAMP'"; exit 1 ;; esac

cells=$(list_cells | grep -E -- "${BENCH_FILTER:-.}")
ncells=$(echo "$cells" | grep -c .)
if [ "$ncells" -eq 0 ]; then
	say "BENCH_FILTER '$BENCH_FILTER' matches no cell"
	echo "nvme-rs-bench-done: runs=0 failed=0"
	exit 1
fi

# Kernel messages on the serial console are written synchronously, and a
# chatty one in the middle of a run would be measured. Keep warnings and
# worse, which the host's verdict looks for.
dmesg -n 5

# /proc/stat counts in USER_HZ, which is 100 on x86.
HZ=100

# busy_ticks FILE: user+nice+system+irq+softirq of all CPUs from the first
# "cpu " line of FILE (a copy of /proc/stat). fio's own usr_cpu/sys_cpu leave
# out interrupt context, where completions run.
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' "$1" 2>/dev/null
}

# fio_summary DIR FILE: "IOPS TOTAL_IOS P50_NS P99_NS ERROR" for direction
# DIR (read or write) from fio's JSON output in FILE (pretty-printed, one
# key per line; with group_reporting there is one job entry). Lines that are
# not JSON, such as fio's note about the prerun output, do not match.
fio_summary() {
	awk -v dir="$1" '
		function val(s) { s = $NF; sub(/,$/, "", s); return s }
		$1 == "\"error\"" && err == "" { err = val() }
		/^ *"(read|write|trim|sync)" : \{/ { sec = $1; gsub(/"/, "", sec); clat = 0 }
		sec != dir { next }
		$1 == "\"iops\"" && iops == "" { iops = val() }
		$1 == "\"total_ios\"" && ios == "" { ios = val() }
		/"clat_ns" : \{/ { clat = 1 }
		/"lat_ns" : \{/ { clat = 0 }
		clat && $1 == "\"50.000000\"" { p50 = val() }
		clat && $1 == "\"99.000000\"" { p99 = val() }
		END {
			if (iops == "") exit 1
			print iops, ios, (p50 == "" ? 0 : p50), (p99 == "" ? 0 : p99), (err == "" ? 0 : err)
		}' "$2"
}

# node_of NSID PREFIX: the /dev node among PREFIX* (/dev/nvme0n or
# /dev/ng0n) whose namespace is NSID. The number in a name is the driver's
# instance, not the NSID: the C driver scans namespaces in parallel, so
# nvme0n1 can be namespace 2. NVME_IOCTL_ID (nvme get-ns-id) asks the
# namespace itself, on either driver.
node_of() {
	local dev id
	for dev in "$2"*; do
		[ -e "$dev" ] || continue
		id=$(nvme get-ns-id "$dev" 2>/dev/null | sed -n 's/.*namespace-id: *\([0-9]*\).*/\1/p')
		[ "$id" = "$1" ] && { echo "$dev"; return 0; }
	done
	return 1
}

# find_nodes: sets FILE_BLK, FILE_NG, NULL_BLK and NULL_NG for the driver
# just loaded (not in a subshell, then).
find_nodes() {
	if FILE_BLK=$(node_of "$FILE_NSID" /dev/nvme0n) && FILE_NG=$(node_of "$FILE_NSID" /dev/ng0n) &&
		NULL_BLK=$(node_of "$NULL_NSID" /dev/nvme0n) && NULL_NG=$(node_of "$NULL_NSID" /dev/ng0n); then
		say "namespace $FILE_NSID is $FILE_BLK and $FILE_NG, namespace $NULL_NSID is $NULL_BLK and $NULL_NG"
		return 0
	fi
	say "no node for namespace $FILE_NSID or $NULL_NSID among" /dev/nvme0n* /dev/ng0n*
	return 1
}

# fio_args CELL: the fio options for a cell, less run time and output.
fio_args() {
	local backend rest workload path blk ng args
	backend=${1%%/*}
	rest=${1#*/}
	workload=${rest%%/*}
	path=${rest#*/}
	case $backend in
	file) blk=$FILE_BLK ng=$FILE_NG ;;
	null) blk=$NULL_BLK ng=$NULL_NG ;;
	*) return 1 ;;
	esac
	args=$(workload_args "$workload") || return 1
	# The block device gets O_DIRECT, so the page cache is out of the way;
	# the char device has no page cache and refuses O_DIRECT.
	case $path in
	blk) args="$args --filename=$blk --ioengine=io_uring --direct=1" ;;
	blk-poll) args="$args --filename=$blk --ioengine=io_uring --direct=1 --hipri=1" ;;
	ng) args="$args --filename=$ng --ioengine=io_uring_cmd --cmd_type=nvme" ;;
	ng-poll) args="$args --filename=$ng --ioengine=io_uring_cmd --cmd_type=nvme --hipri=1" ;;
	*) return 1 ;;
	esac
	# norandommap and randrepeat=0: no per-block bookkeeping in fio, and no
	# two runs replaying the same offsets from a cache.
	echo "--name=bench --group_reporting --norandommap --randrepeat=0 $args"
}

runs=0
failed=0

# set_up_cell CELL: sets args (CELL's fio options) and dir (read or write),
# clears the last run's files in /tmp and does a warm-up run (BENCH_RAMP s,
# not measured: the first I/O after a load, or on a new path, sets up state
# in both the guest and QEMU).
set_up_cell() {
	args=$(fio_args "$1") || { say "$1: no such cell"; return 1; }
	case $args in *--rw=randwrite* | *--rw=write*) dir="write" ;; *) dir="read" ;; esac
	cd /tmp || return 1
	rm -f bench.prerun.txt bench.postrun.txt bench.json
	if [ "$BENCH_RAMP" -gt 0 ]; then
		# shellcheck disable=SC2086 # option words
		fio $args --time_based --runtime="$BENCH_RAMP" --output-format=terse >/dev/null 2>&1
	fi
}

# run_failed WHAT TAG FIELDS: counts a failed fio run, says so with the first
# lines of its output ($out, exit status $rc) and prints TAG's line with
# FIELDS (JSON members) and the error, so the host sees the run too.
run_failed() {
	failed=$((failed + 1))
	say "[$n/$total] $1: fio failed (exit $rc)"
	printf '%s\n' "$out" | head -n 10 | sed 's/^/nvme-rs-bench-log:   /'
	echo "$2: {$3,\"err\":\"fio exit $rc\"}"
}

# run_cell DRIVER ROUND CELL: set_up_cell, then the measured run, and one
# line of results.
#
# CPU time is read from /proc/stat by fio's exec_prerun and exec_postrun,
# which fio runs in each job's thread after setup and after the last I/O, so
# fio's start-up and exit are outside the window. fio saves their output as
# bench.prerun.txt and bench.postrun.txt in its working directory; with two
# jobs both write the same file at nearly the same moment.
run_cell() {
	local drv="$1" round="$2" cell="$3" args dir out rc sum ticks0 ticks1
	set_up_cell "$cell" || return 1
	# shellcheck disable=SC2086 # option words
	out=$(fio $args --time_based --runtime="$BENCH_RUNTIME" --output-format=json --output=bench.json \
		--exec_prerun='cat /proc/stat' --exec_postrun='cat /proc/stat' 2>&1)
	rc=$?
	runs=$((runs + 1))
	ticks0=$(busy_ticks bench.prerun.txt)
	ticks1=$(busy_ticks bench.postrun.txt)
	if [ "$rc" -ne 0 ] || ! sum=$(fio_summary "$dir" bench.json) || [ -z "$ticks0" ] || [ -z "$ticks1" ]; then
		run_failed "$drv round $round $cell" nvme-rs-bench \
			"\"cell\":\"$cell\",\"drv\":\"$drv\",\"round\":$round"
		return 1
	fi
	# shellcheck disable=SC2086 # five words
	set -- $sum
	[ "$5" = 0 ] || failed=$((failed + 1))
	echo "nvme-rs-bench: {\"cell\":\"$cell\",\"drv\":\"$drv\",\"round\":$round,\"iops\":$1,\"ios\":$2,\"p50_ns\":$3,\"p99_ns\":$4,\"busy_ticks\":$((ticks1 - ticks0)),\"hz\":$HZ,\"err\":$5}"
	awk -v n="$n/$total" -v d="$drv" -v r="$round" -v c="$cell" -v iops="$1" -v ios="$2" \
		-v p50="$3" -v p99="$4" -v t="$((ticks1 - ticks0))" -v hz="$HZ" 'BEGIN {
		printf "nvme-rs-bench-log: [%s] %s round %s %s: %.0f IOPS, p50 %.1f us, p99 %.1f us, %.1f us CPU/IO\n",
			n, d, r, c, iops, p50 / 1000, p99 / 1000, (ios > 0 ? t * 1e6 / hz / ios : 0) }'
}

# count_cell DRIVER ROUND CELL: with BENCH_INSNS, set_up_cell, then
# BENCH_INSNS I/Os per job between insn-mark start and stop, which fio
# runs in each job's thread after its setup and after its last I/O, so fio's
# start-up and exit are not counted. One line gives the plugin's epoch (one
# per insn-mark reset, so the host can pair the line with its counts) and
# the I/Os fio did, which can be fewer where a sequential job reaches the end
# of the namespace first.
epoch=0
count_cell() {
	local drv="$1" cell="$3" args dir out rc sum
	set_up_cell "$cell" || return 1
	insn-mark reset
	epoch=$((epoch + 1))
	# shellcheck disable=SC2086 # option words
	out=$(fio $args --number_ios="$BENCH_INSNS" --output-format=json --output=bench.json \
		--exec_prerun='insn-mark start' --exec_postrun='insn-mark stop' 2>&1)
	rc=$?
	runs=$((runs + 1))
	if [ "$rc" -ne 0 ] || ! sum=$(fio_summary "$dir" bench.json); then
		run_failed "$drv $cell" nvme-rs-insns "\"cell\":\"$cell\",\"drv\":\"$drv\",\"epoch\":$epoch"
		return 1
	fi
	# shellcheck disable=SC2086 # five words
	set -- $sum
	[ "$5" = 0 ] || failed=$((failed + 1))
	echo "nvme-rs-insns: {\"cell\":\"$cell\",\"drv\":\"$drv\",\"epoch\":$epoch,\"ios\":$2,\"err\":$5}"
	say "[$n/$total] $drv $cell: $2 I/Os counted"
}

# unload DRIVER: rmmod; nvme_rs and nvme_core both register the nvme device
# classes, so one must be gone before the other loads.
unload() {
	local m
	for m in $(driver_modules "$1"); do
		rmmod "$m" || return 1
	done
}

# load DRIVER: insmod with one poll queue, so the -poll paths poll, and wait
# for every namespace's block and char device (lib.sh's load_driver).
load() {
	NVME_RS_DRIVER=$1 load_driver poll_queues=1
}

# module_text DRIVER: where the code sections of DRIVER's modules were
# loaded, so the host can name the functions the plugin's profile counted
# (tools/bench/profile.py). Each load may place them elsewhere.
module_text() {
	local m f
	for m in $(driver_modules "$1"); do
		for f in /sys/module/"$m"/sections/.text*; do
			[ -r "$f" ] || continue
			echo "nvme-rs-insns-text: {\"drv\":\"$1\",\"module\":\"$m\",\"section\":\"${f##*/}\",\"addr\":\"$(cat "$f")\"}"
		done
	done
}

# The file-backed namespace starts as a sparse image: reads of holes would
# cost the host nothing. Write it once, whole, before anything is measured,
# and flush it: QEMU then syncs the image, so the host's writeback of it is
# over before the first run rather than slowing it.
prefill() {
	cd /tmp || return 1
	fio --name=prefill --filename="$FILE_BLK" --ioengine=io_uring --direct=1 \
		--rw=write --bs=128k --iodepth=8 --end_fsync=1 --output-format=terse >/dev/null 2>&1 ||
		say "prefill of $FILE_BLK failed"
}

if [ "$BENCH_INSNS" -gt 0 ]; then
	measure=count_cell
	BENCH_ROUNDS=1
else
	measure=run_cell
fi
total=$((ncells * 2 * BENCH_ROUNDS))
echo "nvme-rs-bench-meta: {\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),\"fio\":\"$(fio --version)\",\"rounds\":$BENCH_ROUNDS,\"runtime_s\":$BENCH_RUNTIME,\"ramp_s\":$BENCH_RAMP,\"insns\":$BENCH_INSNS,\"cells\":$ncells,\"runs\":$total,\"file_nsid\":$FILE_NSID,\"null_nsid\":$NULL_NSID}"
if [ "$BENCH_INSNS" -gt 0 ]; then
	say "$ncells cells x 2 drivers = $total fio runs of $BENCH_INSNS I/Os per job (+${BENCH_RAMP}s warm-up), instructions counted"
else
	say "$ncells cells x 2 drivers x $BENCH_ROUNDS rounds = $total fio runs of ${BENCH_RUNTIME}s (+${BENCH_RAMP}s warm-up)"
fi

# A group is a BACKEND/WORKLOAD pair, its cells the paths through it. Both
# drivers run a group back to back, so the two runs of a cell are at most a
# few runs apart: the host's load drifts over minutes (its writeback, its
# other work), and runs far apart in time would compare that drift too.
groups=$(echo "$cells" | sed 's|/[^/]*$||' | uniq)
ngroups=$(echo "$groups" | grep -c .)

# The driver bound now ("" for none): a group that starts with the driver
# the one before ended with keeps it bound.
bound=
prefilled=

# use DRIVER: binds the controller to DRIVER unless it already is; returns
# non-zero, having said why, if the driver did not come up.
use() {
	local out
	[ "$bound" = "$1" ] && return 0
	if [ -n "$bound" ]; then
		unload "$bound" || say "round $round: rmmod of the $bound driver failed"
		bound=
	fi
	if ! out=$(load "$1" 2>&1) || ! find_nodes; then
		say "round $round: the $1 driver did not come up"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/nvme-rs-bench-log:   /'
		unload "$1" >/dev/null 2>&1
		return 1
	fi
	bound=$1
	[ "$BENCH_INSNS" -eq 0 ] || module_text "$1"
	if [ -z "$prefilled" ]; then
		prefill
		prefilled=1
	fi
}

say "$ngroups groups of cells (backend and workload), each run by both drivers in turn"
n=0
round=1
while [ "$round" -le "$BENCH_ROUNDS" ]; do
	g=0
	for group in $groups; do
		# Alternate which driver goes first, group after group and round
		# after round, so neither always has the earlier slot or the
		# freshly loaded module.
		if [ $(((round + g) % 2)) -eq 1 ]; then order="c rs"; else order="rs c"; fi
		g=$((g + 1))
		group_cells=$(echo "$cells" | grep -F -- "$group/")
		for drv in $order; do
			if ! use "$drv"; then
				k=$(echo "$group_cells" | grep -c .)
				say "round $round: $group with the $drv driver skipped ($k cells)"
				failed=$((failed + k))
				n=$((n + k))
				continue
			fi
			for cell in $group_cells; do
				n=$((n + 1))
				$measure "$drv" "$round" "$cell"
			done
		done
	done
	round=$((round + 1))
done
if [ -n "$bound" ]; then
	unload "$bound" || say "rmmod of the $bound driver failed"
fi

echo "nvme-rs-bench-done: runs=$runs failed=$failed"
