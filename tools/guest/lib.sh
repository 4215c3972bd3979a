# shellcheck shell=sh disable=SC3043 # busybox sh has local
# Test library for the in-guest group scripts (busybox sh).
#
# A group script sources this file, runs `check` as often as it likes and
# ends with `group_end`. The host (scripts/guest.sh) reads the summary line
# that group_end prints from the serial log, so its wording is a contract:
#     <group>: N passed, M failed

# The init exports GROUP; derive it from the file name (10-load.sh -> load)
# so a script can also be run by hand.
if [ -z "${GROUP:-}" ]; then
	GROUP=$(basename "$0" .sh)
	GROUP=${GROUP#[0-9][0-9]-}
fi

# Expected device geometry, written by scripts/guest.sh from the same values
# it hands to QEMU.
# shellcheck source=/dev/null
. "${NVME_RS_EXPECT:-/etc/nvme-rs-expect}"

_pass=0
_fail=0
_mark=
_mark_n=0

# check DESCRIPTION COMMAND [ARG...]
# Runs the command; prints "ok - ..." or "FAIL - ..." with the command's
# output (which is where a helper explains a mismatch). Returns its status.
check() {
	local desc out rc
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		_pass=$((_pass + 1))
		echo "ok - $desc"
		return 0
	else
		rc=$?
	fi
	_fail=$((_fail + 1))
	# Arguments can be whole logs: show the start of the command only.
	echo "FAIL - $desc (exit $rc: $(printf '%s\n' "$*" | head -n 1 | cut -c 1-100))"
	[ -n "$out" ] && printf '%s\n' "$out" | tail -n 40 | sed 's/^/    /'
	return "$rc"
}

# skip DESCRIPTION REASON: a check that does not apply here. Printed so the
# log says what was not checked, and counted neither way.
skip() {
	echo "# skip - $1: $2"
}

# require: like check, but a failure ends the group, for checks that every
# later one depends on (no point waiting 30 s per cycle for a driver that
# never loaded).
require() {
	check "$@" || group_end
}

# Prints the summary and leaves the script; the status is non-zero when
# something failed so the init can log it.
group_end() {
	echo "# $GROUP took $((($(_now_cs) - _group_start) / 100)) s"
	echo "$GROUP: $_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
	exit
}

# equals GOT WANT: string comparison that says what it got.
equals() {
	[ "$1" = "$2" ] && return 0
	echo "got '$1', want '$2'"
	return 1
}

# count_lines_from OUTPUT [STATUS [NAME]]
# For a program that prints its own checks as "ok - ..." and "FAIL - ..."
# lines: echoes OUTPUT and adds those lines to the group's counts. The
# program's exit STATUS (default 0) must agree: non-zero without a FAIL line
# counts as one more failure, and so does output without a single ok or FAIL
# line. NAME says which program that was.
count_lines_from() {
	local out status name nok nfail
	out=$1
	status=${2:-0}
	name=${3:-program}
	printf '%s\n' "$out"
	nok=$(printf '%s\n' "$out" | grep -c '^ok - ')
	nfail=$(printf '%s\n' "$out" | grep -c '^FAIL - ')
	_pass=$((_pass + nok))
	_fail=$((_fail + nfail))
	if [ "$status" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		_fail=$((_fail + 1))
		echo "FAIL - $name exited with status $status without a FAIL line"
	elif [ "$nok" -eq 0 ] && [ "$nfail" -eq 0 ]; then
		_fail=$((_fail + 1))
		echo "FAIL - $name printed no ok or FAIL line"
	fi
}

# sysfs_write VALUE FILE: for use under check, which runs a plain command.
sysfs_write() {
	echo "$1" >"$2"
}

# Prints uptime in centiseconds; /proc/uptime always has two decimals.
_now_cs() {
	local up rest
	read -r up rest </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}

# For the time a group took, printed by group_end.
_group_start=$(_now_cs)

# wait_for 'SHELL COMMAND' TIMEOUT_S
# Polls every 0.1 s until the command succeeds; fails after TIMEOUT_S seconds.
# The deadline is taken from the clock, not from counting polls, because a
# poll can itself take a while under TCG.
wait_for() {
	local cmd deadline
	cmd=$1
	deadline=$(($(_now_cs) + $2 * 100))
	while :; do
		eval "$cmd" >/dev/null 2>&1 && return 0
		[ "$(_now_cs)" -ge "$deadline" ] && break
		sleep 0.1
	done
	# One last try so a command that succeeded right at the deadline counts.
	eval "$cmd" >/dev/null 2>&1
}

# is_running PID: the process runs. `kill -0` is not enough for a background
# job of this shell: once it exits it stays a zombie until the shell reaps
# it, which busybox sh only does when it waits for a child, and `sleep` is
# a built-in applet that never forks.
is_running() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# dmesg_mark: puts a unique mark into the kernel log; dmesg_since_mark prints
# the kernel log lines after the latest mark. The mark is logged at debug
# level so it does not clutter the console (needs printk.devkmsg=on, which
# guest.sh sets, or the kernel rate-limits writes to /dev/kmsg).
dmesg_mark() {
	_mark_n=$((_mark_n + 1))
	_mark="nvme-rs-mark:$GROUP:$$:$_mark_n:$(_now_cs):"
	echo "<7>$_mark" >/dev/kmsg
}

dmesg_since_mark() {
	dmesg | awk -v m="$_mark" 'found { print } index($0, m) { found = 1 }'
}

# logged RE [SECONDS]: the kernel log since the mark has a line matching RE
# (ERE), within SECONDS (30): what the kernel logs from its own threads
# (the AER core's recovery, say) comes a little later. On failure, prints
# the log's tail.
_logged_now() { dmesg_since_mark | grep -qE "$1"; }
logged() {
	wait_for "_logged_now '$1'" "${2:-30}" && return 0
	echo "no log line matches: $1"
	dmesg_since_mark | tail -n 20
	return 1
}

# not_logged RE: no line since the mark matches RE; prints those that do.
not_logged() {
	local found
	found=$(dmesg_since_mark | grep -E "$1") || return 0
	printf '%s\n' "$found"
	return 1
}

# ---------------------------------------------------------------------------
# nvme_rs log contract (see the driver's dev_info calls):
#   nvme_rs <BDF>: nvme0: model "<model>", serial "<serial>", firmware "<fw>", NVMe <ver>
#   nvme_rs <BDF>: nvme0: 2 active namespaces
#   nvme_rs <BDF>: nvme0n1: 131072 blocks of 512 bytes (67108864 bytes), LBA format 0
#   nvme_rs <BDF>: nvme0: shutdown complete
# Regexes are ERE; BDF, model and firmware are matched loosely.

RE_BDF='[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]'
RE_CTRL="nvme_rs $RE_BDF: nvme[0-9]+: model \"[^\"]*\", serial \"[^\"]*\", firmware \"[^\"]*\", NVMe [0-9.]+"
RE_NSCOUNT="nvme_rs $RE_BDF: nvme[0-9]+: [0-9]+ active namespaces?"
RE_NS="nvme_rs $RE_BDF: nvme[0-9]+n[0-9]+: [0-9]+ blocks of [0-9]+ bytes \([0-9]+ bytes\), LBA format [0-9]+"
RE_SHUTDOWN="nvme_rs $RE_BDF: nvme[0-9]+: shutdown complete"

# root_port BDF: the PCI address of the device above BDF.
root_port() {
	basename "$(readlink -f "/sys/bus/pci/devices/$1/..")"
}

# is_root_port BDF: BDF is a PCI bridge (class 0x060400), as a Root Port is.
is_root_port() {
	equals "$(cat "/sys/bus/pci/devices/$1/class" 2>/dev/null)" 0x060400
}

# The PCI address of the (single) NVMe controller: class 0x010802.
nvme_bdf() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && basename "$d"
	done
}

# ng_of NSID: the generic node of that namespace. The C driver names disks
# in the order its scan finishes, so NSID N need not be ng0nN; the disk
# shares its generic node's name (ng0nX and nvme0nX).
ng_of() {
	local d
	for d in /dev/ng0n[0-9]*; do
		nvme get-ns-id "$d" 2>/dev/null | grep -q "namespace-id:$1\$" && { echo "$d"; return 0; }
	done
	return 1
}

# Number of namespace lines in the log text on stdin.
count_ns_lines() {
	grep -cE "$RE_NS"
}

# identify_matches LOGTEXT [CTRL]
# Succeeds when LOGTEXT holds one complete identify report for controller
# CTRL (default nvme0) with the expected serial, namespace count and
# geometry; otherwise says what is wrong. When several reports are present
# the last one counts.
identify_matches() {
	local log ctrl line bad n nsid blocks lba bytes want_blocks want_lba
	log=$1
	ctrl=${2:-nvme0}
	bad=0

	line=$(printf '%s\n' "$log" | grep -E "$RE_CTRL" | tail -n 1)
	if [ -z "$line" ]; then
		echo "no controller line"
		return 1
	fi
	case $line in
	*": $ctrl: model "*) ;;
	*) echo "controller is not $ctrl: $line"; bad=1 ;;
	esac
	case $line in
	*"serial \"$SERIAL\","*) ;;
	*) echo "serial is not \"$SERIAL\": $line"; bad=1 ;;
	esac
	case $line in
	*'model "",'*) echo "empty model: $line"; bad=1 ;;
	esac

	line=$(printf '%s\n' "$log" | grep -E "$RE_NSCOUNT" | tail -n 1)
	n=$(printf '%s\n' "$line" | sed -nE 's/.*: nvme[0-9]+: ([0-9]+) active namespaces?$/\1/p')
	if [ "$n" != "$NS_COUNT" ]; then
		echo "namespace count is '$n', want $NS_COUNT: $line"
		bad=1
	fi

	nsid=1
	while [ "$nsid" -le "$NS_COUNT" ]; do
		eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
		line=$(printf '%s\n' "$log" | grep -E "$RE_NS" | grep -F ": ${ctrl}n$nsid: " | tail -n 1)
		# shellcheck disable=SC2046 # split into the three numbers
		set -- $(printf '%s\n' "$line" | sed -nE 's/.*: nvme[0-9]+n[0-9]+: ([0-9]+) blocks of ([0-9]+) bytes \(([0-9]+) bytes\).*/\1 \2 \3/p')
		blocks=${1:-} lba=${2:-} bytes=${3:-}
		if [ -z "$line" ]; then
			echo "no line for ${ctrl}n$nsid"
			bad=1
		elif [ "$blocks" != "$want_blocks" ] || [ "$lba" != "$want_lba" ] ||
			[ "$bytes" != "$((want_blocks * want_lba))" ]; then
			echo "${ctrl}n$nsid: got $blocks x $lba = $bytes, want $want_blocks x $want_lba: $line"
			bad=1
		fi
		nsid=$((nsid + 1))
	done
	return "$bad"
}

# Succeeds once the log since the mark holds a full identify report.
identify_done_since_mark() {
	[ "$(dmesg_since_mark | count_ns_lines)" -ge "$NS_COUNT" ]
}

# Shutdown line for CTRL since the mark.
shutdown_since_mark() {
	dmesg_since_mark | grep -E "$RE_SHUTDOWN" | grep -qF ": ${1:-nvme0}: shutdown complete"
}

# Loads nvme_rs unless it is loaded, so a group can run on its own.
ensure_loaded() {
	[ -d /sys/module/nvme_rs ] && return 0
	dmesg_mark
	insmod /lib/nvme-rs/nvme_rs.ko || return 1
	wait_for identify_done_since_mark 30
}

# ---------------------------------------------------------------------------
# I/O: module parameters, fio, interrupt counts.

# The line nvme_rs logs once its disks are up:
#   nvme_rs <BDF>: nvme0: 2 I/O queues (2 interrupt, 0 polled) of 1024 entries, 2 disks
RE_QUEUES="nvme_rs $RE_BDF: nvme[0-9]+: [0-9]+ I/O queues \([0-9]+ interrupt, [0-9]+ polled\) of [0-9]+ entries, [0-9]+ disks"

# Succeeds once the log since the mark has the queue line and every
# namespace's block device exists.
io_ready_since_mark() {
	local n
	dmesg_since_mark | grep -qE "$RE_QUEUES" || return 1
	n=1
	while [ "$n" -le "$NS_COUNT" ]; do
		[ -b "/dev/nvme0n$n" ] || return 1
		n=$((n + 1))
	done
}

# queue_split: "INTERRUPT POLLED" from the latest queue line in the log.
queue_split() {
	dmesg | grep -E "$RE_QUEUES" | tail -n 1 |
		sed -nE 's/.* I\/O queues \(([0-9]+) interrupt, ([0-9]+) polled\).*/\1 \2/p'
}

# load_nvme_rs [PARAM=VALUE...]: (re)loads nvme_rs with these parameters
# (none: the defaults) and waits for its disks. Works under check: it sets
# its own log mark, so a caller that wants the new log lines marks first.
load_nvme_rs() {
	if [ -d /sys/module/nvme_rs ]; then
		rmmod nvme_rs || return 1
	fi
	dmesg_mark
	insmod /lib/nvme-rs/nvme_rs.ko "$@" || return 1
	wait_for io_ready_since_mark 60 && return 0
	echo "no queue line and $NS_COUNT disks within 60 s; log since insmod:"
	dmesg_since_mark | tail -n 20
	return 1
}

# driver_modules DRIVER: the kernel modules of DRIVER (rs or c), each
# before the modules it uses: the order rmmod takes them in.
driver_modules() {
	case $1 in
	c) echo "nvme nvme_core" ;;
	*) echo nvme_rs ;;
	esac
}

# load_driver [PARAM=VALUE...]: for groups that also run against the C
# driver (marked "# drivers: rs c"): (re)loads the driver under test,
# nvme_rs or, with GUEST_DRIVER=c, nvme-core.ko and nvme.ko (whose
# poll_queues, io_queue_depth and sgl_threshold mean the same), and waits
# for every namespace's block and generic char device.
load_driver() {
	local m
	if [ "${NVME_RS_DRIVER:-rs}" != c ]; then
		load_nvme_rs "$@" || return 1
	else
		for m in $(driver_modules c); do
			if [ -d /sys/module/"$m" ]; then rmmod "$m" || return 1; fi
		done
		dmesg_mark
		insmod /lib/nvme-c/nvme-core.ko || return 1
		insmod /lib/nvme-c/nvme.ko "$@" || return 1
	fi
	wait_for all_nodes_present 60 && return 0
	echo "not every /dev/nvme0nN and /dev/ng0nN within 60 s; log since load:"
	dmesg_since_mark | tail -n 20
	return 1
}

# all_nodes_present: /dev/nvme0 and every namespace's block and generic node exist.
all_nodes_present() {
	local n
	[ -c /dev/nvme0 ] || return 1
	n=1
	while [ "$n" -le "$NS_COUNT" ]; do
		[ -b "/dev/nvme0n$n" ] && [ -c "/dev/ng0n$n" ] || return 1
		n=$((n + 1))
	done
}

# fio_ok [--verify | --wrote | --read] FIO-ARGUMENT...: runs fio (terse
# output, from /tmp so a state file cannot land elsewhere) and succeeds when
# fio exited 0, printed a result line and no job reports an error. With
# --verify every job must also have written and read back data, with
# --wrote written, with --read read: a job that moved nothing (a verify-only
# run that found no work, say) would otherwise pass. On failure, prints what
# fio said.
fio_ok() {
	local need out rc
	need=
	case $1 in
	--verify) need=rw ;;
	--wrote) need=w ;;
	--read) need=r ;;
	esac
	[ -n "$need" ] && shift
	out=$(cd /tmp && fio --output-format=terse --terse-version=3 "$@" 2>&1)
	rc=$?
	fio_judge "$need" "$rc" "$out"
}

# fio_load_start: starts 4 KiB random reads and writes on /dev/nvme0n2 in
# the background (QD8, up to 300 s), its terse output in /tmp/load-fio.out,
# for groups that take the controller away under load; sets fio_pid.
fio_load_start() {
	(cd /tmp && exec fio --output-format=terse --terse-version=3 --name=load \
		--filename=/dev/nvme0n2 --ioengine=io_uring --direct=1 --rw=randrw \
		--bs=4k --iodepth=8 --time_based --runtime=300 >/tmp/load-fio.out 2>&1) &
	# shellcheck disable=SC2034 # for the calling group
	fio_pid=$!
}

# fio_load_stop: ends the load if it still runs (a check before found it
# should have ended: do not wait out its runtime) and sets fio_rc to fio's
# exit status.
fio_load_stop() {
	kill "$fio_pid" 2>/dev/null
	wait "$fio_pid"
	# shellcheck disable=SC2034 # for the calling group
	fio_rc=$?
}

# fio_load_failed STATUS: the load fio_load_start began exited with STATUS,
# non-zero, and a job line reports an error.
fio_load_failed() {
	[ "$1" -ne 0 ] || { echo "fio exited 0"; return 1; }
	awk -F';' '$1 == "3" && $5 != 0 { e = 1 } END { exit !e }' /tmp/load-fio.out && return 0
	echo "no job line reports an error:"
	cat /tmp/load-fio.out
	return 1
}

# fio_verify_start: fio writing and verifying 4 KiB blocks on both block
# devices until fio_verify_stop, time based with a verify backlog, so it
# keeps writing and reading back through whatever the group does meanwhile;
# sets fio_pid. Its terse output goes to /tmp/verify-fio.out.
fio_verify_start() {
	(cd /tmp && exec fio --output-format=terse --terse-version=3 \
		--name=blk --filename=/dev/nvme0n1 --ioengine=io_uring \
		--direct=1 --rw=randwrite --bs=4k --size=16M --iodepth=16 \
		--verify=crc32c --verify_backlog=64 --time_based --runtime=900 \
		--name=blk2 --filename=/dev/nvme0n2 --ioengine=io_uring \
		--direct=1 --rw=randwrite --bs=4k --size=16M --iodepth=16 \
		--verify=crc32c --verify_backlog=64 --time_based --runtime=900 \
		>/tmp/verify-fio.out 2>&1) &
	fio_pid=$!
	# Let fio get going before whatever comes next.
	sleep 3
}

# fio_verify_stop WHAT: checks fio_verify_start's fio still runs (so what
# happened meanwhile happened under load), stops it with SIGINT (it verifies
# its backlog first) and checks it saw no error.
fio_verify_stop() {
	local rc
	check "$1: fio still running (it happened under load)" is_running "$fio_pid"
	kill -INT "$fio_pid" 2>/dev/null
	wait "$fio_pid"
	rc=$?
	# fio exits with 128 when a signal stopped it; its job lines still say
	# whether anything failed.
	[ "$rc" -eq 128 ] && rc=0
	check "$1: fio: no error, every job wrote and verified" \
		fio_judge rw "$rc" "$(cat /tmp/verify-fio.out)"
}

# quiet_log: the kernel log since the mark has no timeout, Abort or reset.
quiet_log() {
	local bad
	bad=$(dmesg_since_mark | grep -iE 'timed? ?out|abort|resetting controller|reset failed|remov')
	[ -z "$bad" ] && return 0
	printf '%s\n' "$bad"
	return 1
}

# trace_mark NAME N (GUEST_SETUP=power): from here to the next mark, QEMU
# must trace exactly N normal shutdowns. The host notes the trace's length
# when it reads the line; the pause lets it do so before anything else
# happens.
trace_mark() {
	echo "nvme-rs-host: trace-mark $1 $2"
	sleep 2
}

# fio_judge NEED STATUS OUTPUT: fio_ok's verdict on a fio run made
# elsewhere (one stopped with SIGINT, say, whose expected status the caller
# passes as 0). NEED is "rw", "w", "r" or empty, as fio_ok's options.
fio_judge() {
	local need rc out bad
	need=$1 rc=$2 out=$3
	# Terse v3: 3;fio-VER;JOB;GROUP;ERROR;READ_KB;...;WRITE_KB (field 47).
	bad=$(printf '%s\n' "$out" | awk -F';' -v need="$need" '
		$1 == "3" && $2 ~ /^fio-/ {
			jobs++
			if ($5 != 0) print "job " $3 ": error " $5
			else if ((need ~ /w/ && $47 + 0 == 0) || (need ~ /r/ && $6 + 0 == 0))
				print "job " $3 ": wrote " $47 " KiB, read " $6 " KiB"
		}
		END { if (!jobs) print "no job result lines" }')
	[ "$rc" -eq 0 ] && [ -z "$bad" ] && return 0
	echo "fio exit status $rc"
	[ -n "$bad" ] && printf '%s\n' "$bad"
	printf '%s\n' "$out" | grep -v '^3;fio-' | head -n 30
	return 1
}

# io_irq_counts: "NAME COUNT" per I/O queue interrupt of nvme0 (nvme0q1,
# nvme0q2, ...; not the admin queue nvme0q0), summed over the CPUs.
io_irq_counts() {
	awk -v c=nvme0 '
		$NF ~ ("^" c "q[0-9]+$") && $NF != c "q0" {
			s = 0
			for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
			print $NF, s
		}' /proc/interrupts
}

# irq_deltas BEFORE AFTER: "NAME INCREASE" per vector, from two
# io_irq_counts outputs.
irq_deltas() {
	printf '%s\n--\n%s\n' "$1" "$2" | awk '
		$0 == "--" { after = 1; next }
		!after { b[$1] = $2; next }
		NF == 2 { print $1, $2 - b[$1] }'
}
