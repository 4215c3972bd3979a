#!/usr/bin/env bash
# make bench: fio against the C NVMe driver and nvme_rs on the same emulated
# controller in one guest boot, then a report.
#
#   scripts/bench.sh
#
# Builds (or reuses) the benchmark kernel (scripts/kernel/bench.config: no
# debug options) and nvme_rs.ko against it, boots the guest in bench mode
# (scripts/guest.sh --mode bench, 2 vCPUs under TCG unless BENCH_SMP says) where
# tools/guest/bench.sh binds the controller to each driver in turn, round
# after round, and runs every cell with fio. A second boot, with the
# insn-count QEMU plugin (tools/bench/insn-count.c), runs every cell once
# per driver for a fixed number of I/Os and counts the guest instructions
# they take. tools/bench/report.py turns both serial logs and the counts
# into the outputs.
#
# Environment:
#   BENCH_ROUNDS   rounds; each runs every cell with both drivers (3)
#   BENCH_RUNTIME  seconds of each measured fio run (5)
#   BENCH_RAMP     seconds of unmeasured warm-up before each (1)
#   BENCH_FILTER   extended regex on cell names: only those cells (all).
#                  Names are BACKEND/WORKLOAD/PATH, e.g. null/rr4k-qd32/ng;
#                  `sh tools/guest/bench.sh --list` lists them
#   BENCH_INSNS    I/Os per fio job in the instruction-counting boot (4000);
#                  0 skips that boot
#   BENCH_SMP      guest vCPUs, and so I/O queues (2). More vCPUs than the
#                  host has cores slow the runs but not the counts; the
#                  rr4k-qd32-percpu workload runs one fio job per vCPU
#   GUEST_NVME_OPTS  extra properties for the emulated controller, after
#                  ioeventfd=on (see scripts/guest.sh)
#
# Outputs in build/bench/: results.json (one object per cell), results.md,
# chart.svg, meta.json (date, configuration), runs.jsonl (every fio run),
# and with the instruction count profile.md (instructions per I/O by
# function, tools/bench/profile.py); the guest's serial logs are
# build/guest/bench/console.log and build/guest/bench-insns/console.log,
# the plugin's counts build/bench/insns.txt and blocks.txt. The module built
# for the bench kernel is build/bench/module/nvme_rs.ko, so the test
# module (nvme_rs.ko at the top) is left alone.
#
# This measures; it asserts nothing about speed. The exit status is non-zero
# only if the guest failed or some fio run did.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prog=bench.sh
out=$repo/build/bench
kdir=$repo/build/kernel-bench

die() { echo "$prog: $*" >&2; exit 2; }

rounds=${BENCH_ROUNDS:-3}
runtime=${BENCH_RUNTIME:-5}
ramp=${BENCH_RAMP:-1}
filter=${BENCH_FILTER:-}
insns=${BENCH_INSNS:-4000}
smp=${BENCH_SMP:-2}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
[[ $runtime =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNTIME must be a positive number of seconds"
[[ $ramp =~ ^[0-9]+$ ]] || die "BENCH_RAMP must be a number of seconds"
[[ $insns =~ ^[0-9]+$ ]] || die "BENCH_INSNS must be a number of I/Os"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "BENCH_SMP must be a positive number of vCPUs"
# The guest reads the filter as one KEY=VALUE line.
[[ $filter != *$'\n'* ]] || die "BENCH_FILTER must be one line"

# The cell list comes from the guest script itself, so host and guest
# cannot disagree on it.
mapfile -t cells < <(sh "$repo/tools/guest/bench.sh" --list | grep -E -- "${filter:-.}" || true)
[ "${#cells[@]}" -gt 0 ] || die "BENCH_FILTER '$filter' matches no cell (sh tools/guest/bench.sh --list)"

# Under TCG a measured run and its warm-up together take about 2.5 s more
# than they run (fio starting and stopping twice); loading a driver and the
# boot take a few seconds each. The guest switches drivers once per group
# of cells (backend and workload), and at most once more per round.
groups=$(printf '%s\n' "${cells[@]}" | sed 's|/[^/]*$||' | uniq | wc -l)
runs=$((${#cells[@]} * 2 * rounds))
estimate=$((runs * (2 * (runtime + ramp) + 5) / 2 + rounds * (groups + 1) * 5 + 30))
# The counting boot: one round; a counted run of a few thousand I/Os takes
# a second or two besides its warm-up and fio's start and exit.
insn_estimate=0
if [ "$insns" -gt 0 ]; then
	insn_estimate=$((${#cells[@]} * 2 * (ramp + 2) + (groups + 1) * 5 + 30))
fi
printf '%s: %d cells x 2 drivers x %d rounds = %d fio runs of %ss (+%ss warm-up), then %s: about %d min in the guest\n' \
	"$prog" "${#cells[@]}" "$rounds" "$runs" "$runtime" "$ramp" \
	"$([ "$insns" -gt 0 ] && echo "one round of $insns I/Os per job with instructions counted" || echo "no instruction count")" \
	$(((estimate + insn_estimate + 59) / 60)) >&2

# --- kernel and module -------------------------------------------------------

"$repo/scripts/build-kernel.sh" bench
[ -f "$kdir/arch/x86/boot/bzImage" ] || die "no bench kernel at $kdir"

# 6.12's Kbuild builds an external module in its source directory (MO=
# arrived later), and `make module` keeps the test kernel's nvme_rs.ko at the
# top of the work tree. So the sources are copied to build/bench/module and
# built there. Only files whose content changed are copied, which keeps
# their timestamps and the next build incremental; build outputs of the
# work tree are not sources and stay behind.
moddir=$out/module
mkdir -p "$moddir"
# What is measured is the source as copied now, whatever is committed or
# edited while the guest runs.
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
(
	cd "$repo"
	find Kbuild Makefile drivers rust -type f \
		\( -name Kbuild -o -name Makefile -o -name '*.rs' -o -name '*.c' -o -name '*.h' \) -print0
) | while IFS= read -r -d '' f; do
	if ! cmp -s "$repo/$f" "$moddir/$f"; then
		mkdir -p "$moddir/$(dirname "$f")"
		cp -p "$repo/$f" "$moddir/$f"
	fi
done
make -C "$kdir/" M="$moddir" LLVM=1 modules
module=$moddir/nvme_rs.ko

# --- guest -------------------------------------------------------------------

mkdir -p "$out"
export BENCH_ROUNDS=$rounds BENCH_RUNTIME=$runtime BENCH_RAMP=$ramp BENCH_FILTER=$filter BENCH_INSNS=0
# ioeventfd: a doorbell write only signals an eventfd and QEMU's main loop
# works the queue, rather than the vCPU thread inside the write. The shadow
# doorbell work (issue 6) relies on it, so both drivers are measured so.
nvme_opts=ioeventfd=on${GUEST_NVME_OPTS:+,$GUEST_NVME_OPTS}
log=$repo/build/guest/bench/console.log
# A guest that never starts must not leave the last run's log to be reported.
rm -f "$log"

# boot NAME TIMEOUT QUIET [VAR=VALUE...]: boots the bench guest as
# build/guest/NAME with the extra environment given and returns guest.sh's
# status. Kernel log lines (timestamped) and the guest's lines starting with
# QUIET (its JSON lines) are left out of the terminal, not of the log: its
# "nvme-rs-bench-log:" lines say the same for people.
boot() {
	local name=$1 timeout=$2 quiet=$3
	shift 3
	env "$@" GUEST_NVME_OPTS="$nvme_opts" GUEST_TIMEOUT="$timeout" \
		"$repo/scripts/guest.sh" --mode bench --name "$name" --smp "$smp" \
		--kernel-dir "$kdir/" --module "$module" </dev/null |
		grep --line-buffered -v -E "^(\[ *[0-9]+\.[0-9]+\]|$quiet)"
	return "${PIPESTATUS[0]}"
}

guest_status=0
boot bench $((estimate * 2 + 600)) 'nvme-rs-bench: ' || guest_status=$?

# --- instruction count -------------------------------------------------------

# The same cells in a second boot, each run once per driver for $insns I/Os
# per job, with QEMU counting the guest instructions between the guest's
# marks: unlike time, that count does not move with the host's load.
insn_log=$repo/build/guest/bench-insns/console.log
insn_counts=$out/insns.txt
insn_blocks=$out/blocks.txt
rm -f "$insn_log" "$insn_counts" "$insn_blocks" "$out/profile.md"
insn_status=0
if [ "$insns" -gt 0 ]; then
	plugin=$repo/build/tools/insn-count.so
	plugin_src=$repo/tools/bench/insn-count.c
	if [ ! -f "$plugin" ] || [ "$plugin_src" -nt "$plugin" ]; then
		mkdir -p "${plugin%/*}"
		gcc -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC \
			-fvisibility=hidden -o "$plugin.tmp" "$plugin_src" -lpthread ||
			die "cannot build $plugin"
		mv "$plugin.tmp" "$plugin"
	fi
	# Where the kernel's module area starts (MODULES_VADDR): past a kernel
	# image of 1 GiB with KASLR configured, 512 MiB without.
	if grep -q '^CONFIG_RANDOMIZE_BASE=y' "$kdir/.config"; then
		modules=0xffffffffc0000000
	else
		modules=0xffffffffa0000000
	fi
	boot bench-insns $((insn_estimate * 3 + 600)) 'nvme-rs-insns: ' \
		BENCH_INSNS="$insns" GUEST_QEMU_PLUGIN="$plugin,out=$insn_counts,blocks=$insn_blocks,modules=$modules" ||
		insn_status=$?
fi

# --- report ------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
# Facts about the host and the setup, for meta.json, as KEY VALUE arguments.
python3 - "$out/host-meta.json" \
	date "$started" \
	finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	commit "$commit" \
	qemu "$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')" \
	accel tcg,thread=multi \
	nvme_opts "$nvme_opts" \
	kernel_config "$(basename "$(readlink -f "$kdir")")" \
	host_kernel "$(uname -r)" \
	host_cpus "$(nproc)" \
	cpu "$cpu" \
	filter "$filter" <<'EOF'
import json, sys
path, rest = sys.argv[1], sys.argv[2:]
meta = dict(zip(rest[0::2], rest[1::2]))
meta["host_cpus"] = int(meta["host_cpus"])
with open(path, "w") as f:
    json.dump(meta, f, indent=2)
EOF
report_status=0
insn_args=()
if [ "$insns" -gt 0 ]; then insn_args=("$insn_log" "$insn_counts"); fi
python3 "$repo/tools/bench/report.py" collect "$log" "$out/host-meta.json" "$out" "${insn_args[@]}" ||
	report_status=$?
# Where each driver's instructions went, by function: for people, so a
# failure here is said and fails nothing.
if [ "$insns" -gt 0 ] && [ -s "$insn_blocks" ]; then
	python3 "$repo/tools/bench/profile.py" "$insn_log" "$insn_counts" "$insn_blocks" "$kdir" "$module" >"$out/profile.md" ||
		echo "$prog: no profile (tools/bench/profile.py failed)" >&2
fi
done_line=$(sed -n 's/^nvme-rs-bench-done: //p' "$log" | tail -n 1)
insn_done=$(sed -n 's/^nvme-rs-bench-done: //p' "$insn_log" 2>/dev/null | tail -n 1)

echo
[ -f "$out/results.md" ] && cat "$out/results.md"
insn_note=
if [ "$insns" -gt 0 ]; then insn_note="; counting guest: ${insn_done:-did not finish}"; fi
echo "$prog: results in ${out#"$repo"/}/: results.json, results.md, chart.svg, profile.md (guest: ${done_line:-did not finish}$insn_note)" >&2
if [ "$guest_status" -ne 0 ] || [ "$report_status" -ne 0 ] || [[ $done_line != *" failed=0" ]]; then
	echo "$prog: FAILED (guest.sh status $guest_status, report status $report_status), see ${log#"$repo"/}" >&2
	exit 1
fi
if [ "$insns" -gt 0 ] && { [ "$insn_status" -ne 0 ] || [[ $insn_done != *" failed=0" ]]; }; then
	echo "$prog: FAILED: the instruction-counting boot (guest.sh status $insn_status), see ${insn_log#"$repo"/}" >&2
	exit 1
fi
