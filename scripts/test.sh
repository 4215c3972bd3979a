#!/usr/bin/env bash
# `make test`: every test nvme-rs has, in order, with one closing count.
#
#   1. static checks (unsafe code rules, layering and import cycles,
#      rustfmt)
#   2. host unit tests of the pure logic (cargo test)
#   3. build the test kernel and the module; the module's stack use
#      (scripts/check-stack.py: no frame over 2 KiB, no chain of its own
#      frames over 5 KiB, which the test kernel's KASAN-doubled stacks
#      would otherwise hide)
#   4. in-guest tests under QEMU (scripts/guest.sh --mode test)
#   5. a second, shorter guest run with 4 CPUs sharing 2 I/O queues
#      (max_ioqpairs=2): load, I/O smoke, shared-queue fio verify, leaks
#   6. large transfers on a controller without a transfer limit (mdts=0),
#      up to the driver's 8 MiB cap, with each driver; the namespace
#      identity group with QEMU's controller under its Intel
#      PCI ID (use-intel-id=on), which the quirk table treats differently,
#      with each driver; then the user-ABI groups (io_uring passthrough
#      with fio, the passthrough test program, nvme-cli, namespace
#      identity) against the C driver: the same expectations must hold for
#      the reference, or the tests are wrong
#   7. the fault groups, in a boot whose device has media errors, a
#      detached namespace and a spare drive (GUEST_SETUP=faults): media
#      errors, asynchronous events, a controller that stops answering,
#      hot removal and add; then the controller node's I/O command with
#      one namespace with the C driver
#   8. the format groups, in a boot whose controller also has namespaces
#      with separate metadata, protection information, interleaved
#      metadata and zones (GUEST_SETUP=formats), with nvme_rs and then with
#      the C driver, the reference
#   9. PCIe errors, system sleep, function resets and system shutdown
#      (GUEST_SETUP=power: S3 allowed, QEMU tracing shutdown
#      notifications): correctable, non-fatal and fatal PCIe errors
#      injected under fio verify; suspend to RAM and to idle and
#      hibernation's freeze and thaw under fio verify; ten Function Level
#      Resets; then a reboot; and in a boot of its own a power-off; each
#      with nvme_rs and then with the C driver
#  10. root on NVMe: boots whose initramfs loads nvme_rs and switches root
#      to an ext4 partition of its disk (scripts/root-boot.sh), the file
#      system checked clean on the host after each; the third hibernates
#      to the disk's swap partition, and the fourth resumes it
#  11. the kernel's own suites (scripts/suites.sh): the blktests selection
#      (tools/suites/blktests-ci.list) and the xfstests list on ext4 and
#      xfs (tools/suites/xfstests-ci.list), with nvme_rs and then with the
#      C driver, in a guest whose root is the host's userland over 9p;
#      fails on any test nvme_rs does worse on than C
#
# Each stage's own `N passed, M failed` counts are added up; a stage that
# fails without reaching its count (a build error, a guest that never came
# back) counts as one failure. Exits non-zero on any failure.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
mkdir -p build
total_pass=0
total_fail=0

summary() {
	echo
	echo "make test: $total_pass passed, $total_fail failed"
	[ "$total_fail" -eq 0 ]
}

# add_counts LOG RC MODE: MODE "all" sums every count line (cargo prints one
# per test binary), "last" takes only the final one (the guest summary).
add_counts() {
	local log=$1 rc=$2 mode=$3 lines p=0 f=0
	lines=$(grep -E '[0-9]+ passed[,;] [0-9]+ failed' "$log" |
		sed -E 's/.*[^0-9]([0-9]+) passed[,;] ([0-9]+) failed.*/\1 \2/;s/^([0-9]+) passed[,;] ([0-9]+) failed.*/\1 \2/')
	[ "$mode" = last ] && lines=$(tail -n 1 <<<"$lines")
	if [ -n "$lines" ]; then
		read -r p f < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' <<<"$lines")
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "*** $log: exited with $rc without a failed count; counted as one failure"
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

run_stage() {
	local name=$1 mode=$2; shift 2
	local log="build/test-$name.log"
	echo "=== $name"
	"$@" 2>&1 | tee "$log"
	add_counts "$log" "${PIPESTATUS[0]}" "$mode"
}

scripts/install-deps.sh || { total_fail=$((total_fail + 1)); summary; exit 1; }

run_stage unsafe-rules last python3 scripts/check-unsafe.py
run_stage layers last python3 scripts/check-layers.py
run_stage format last scripts/check-format.sh
run_stage host all cargo test --manifest-path "$repo/Cargo.toml"

echo "=== build"
if make -s module > build/test-build.log 2>&1; then
	echo "built kernel and module"
	run_stage stack last python3 scripts/check-stack.py "$repo/nvme_rs.ko"
	# Every group in one boot takes about 25 minutes under TCG here; the
	# limit leaves room for a slower machine. A hang does not wait for it:
	# the guest's stall watchdog stops a guest silent for 5 minutes.
	run_stage guest last env GUEST_TIMEOUT="${GUEST_TIMEOUT:-3600}" \
		scripts/guest.sh --mode test --kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	# More CPUs than the controller grants I/O queues: the queue mapping
	# and sharing paths the 2-CPU run never takes. QEMU takes doorbells
	# through ioeventfd here, the way it is run for benchmarks, so shadow
	# doorbells are also tested against that side of its emulation.
	run_stage guest-4cpu last env GUEST_NVME_OPTS=max_ioqpairs=2,ioeventfd=on \
		GUEST_TESTS="10-load 60-io-smoke 80-shared-queues 90-kmemleak" \
		scripts/guest.sh --mode test --smp 4 --name test-4cpu \
		--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	# A controller without a transfer limit (mdts=0): requests up to the
	# driver's own 8 MiB cap, whose PRP lists are chained over several
	# pages, with each driver.
	for driver in rs c; do
		run_stage "guest-mdts0-$driver" last env GUEST_DRIVER=$driver \
			GUEST_NVME_OPTS=mdts=0 GUEST_TESTS=63-large-transfers \
			scripts/guest.sh --mode test --name "test-mdts0-$driver" \
			--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	done
	# QEMU's controller under its other PCI ID, which C's quirk table
	# (spec/quirks.rs) gives more quirks: both drivers must apply them.
	for driver in rs c; do
		run_stage "guest-intel-id-$driver" last env GUEST_DRIVER=$driver \
			GUEST_NVME_OPTS=use-intel-id=on GUEST_TESTS=67-ns-identity \
			scripts/guest.sh --mode test --name "test-intel-id-$driver" \
			--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	done
	run_stage guest-c-reference last env GUEST_DRIVER=c \
		GUEST_TESTS="63-large-transfers 67-ns-identity 68-apst 68-host-behavior 69-limits 71-hwmon 73-threaded-interrupts 84-uring-cmd-fio 85-passthru 85-passthru-compat 86-nvme-cli 87-ctrl-state 96-admin-concurrency" \
		scripts/guest.sh --mode test --name test-c-reference --kernel-dir build/kernel-test/
	run_stage guest-faults last env GUEST_SETUP=faults \
		scripts/guest.sh --mode test --name test-faults \
		--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	# The fault boot's user-visible groups with the C driver, the reference.
	run_stage guest-faults-c last env GUEST_SETUP=faults GUEST_DRIVER=c \
		GUEST_TESTS=85-passthru-single-ns \
		scripts/guest.sh --mode test --name test-faults-c --kernel-dir build/kernel-test/
	run_stage guest-formats last env GUEST_SETUP=formats \
		scripts/guest.sh --mode test --name test-formats \
		--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	run_stage guest-formats-c last env GUEST_SETUP=formats GUEST_DRIVER=c \
		scripts/guest.sh --mode test --name test-formats-c --kernel-dir build/kernel-test/
	for driver in rs c; do
		suffix=${driver#rs}
		suffix=${suffix:+-$suffix}
		run_stage "guest-power$suffix" last env GUEST_SETUP=power GUEST_DRIVER=$driver \
			GUEST_TESTS="93-pcie-errors 94-power" \
			scripts/guest.sh --mode test --name "test-power$suffix" \
			--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
		run_stage "guest-power-off$suffix" last env GUEST_SETUP=power GUEST_DRIVER=$driver \
			GUEST_TESTS=95-power-off \
			scripts/guest.sh --mode test --name "test-power-off$suffix" \
			--kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	done
	run_stage root-boot last scripts/root-boot.sh --kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
	# About 36 minutes, both drivers at once (Documentation/suites.md).
	run_stage suites last scripts/suites.sh --kernel-dir build/kernel-test/ --module "$repo/nvme_rs.ko"
else
	tail -n 60 build/test-build.log
	echo "*** build failed; guest tests not run (counted as one failure)"
	total_fail=$((total_fail + 1))
fi

summary
