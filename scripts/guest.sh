#!/usr/bin/env bash
# Boot the nvme-rs test guest under QEMU and judge its serial log.
#
#   scripts/guest.sh --mode run|test|bench|suites --kernel-dir DIR --module PATH [--smp N] [--name NAME]
#
#   --mode run     load nvme_rs, show what it logged, unload it
#   --mode test    run every tools/guest/tests/*.sh as a test group
#   --mode bench   tools/guest/bench.sh: fio with the C driver and nvme_rs in
#                  turn (scripts/bench.sh runs this; it needs both drivers).
#                  Adds namespace 3 on QEMU's null back end, and hands the
#                  BENCH_* variables to the guest in /etc/nvme-rs-bench
#   --mode suites  blktests and xfstests (scripts/suites.sh runs this): no
#                  initramfs; the guest's root is the host's, read-only over
#                  9p under an overlay (tools/suites/init), both namespaces
#                  are 2 GiB, and the suites write their result files to
#                  build/guest/<name>/results/, shared writable over 9p.
#                  GUEST_SUITES names the suites (default
#                  blktests,xfstests-ext4,xfstests-xfs), GUEST_XFSTESTS the
#                  xfstests list (ci, tools/suites/xfstests-ci.list, the
#                  default; or quick, the whole quick group), GUEST_BLKTESTS
#                  the blktests selection (ci, tools/suites/blktests-ci.list,
#                  the default; or all, the block and nvme groups on both
#                  namespaces)
#   --kernel-dir   kernel build tree (arch/x86/boot/bzImage, C NVMe driver
#                  modules in drivers/nvme/host/), e.g. build/kernel-test
#   --module       nvme_rs.ko to test
#   --smp          guest CPUs (default $SMP or 2)
#   --name         output directory name under build/guest/ (default: mode)
#
# Environment:
#   GUEST_TIMEOUT  seconds before QEMU is killed, counted as a failure (900)
#   GUEST_QUIET    seconds of console silence after which a non-interactive
#                  run asks QEMU's monitor for each vCPU's registers and
#                  local APIC; nothing reaches the guest, and a guest that
#                  carries on is noted in the verdict, not failed (90)
#   GUEST_STALL    seconds of console silence after which a non-interactive
#                  run asks the guest for sysrq w, l and t (blocked tasks,
#                  CPU backtraces, all tasks), then kills QEMU, counted as a
#                  failure (300)
#   GUEST_DRIVER   rs (default) or c: in run mode, c loads the C driver
#                  (nvme-core.ko, nvme.ko) instead and shows nvme list and a
#                  short fio run; in test mode, c runs the groups marked
#                  "# drivers: rs c" against the C driver, the reference
#                  for the user ABI. --module may then be missing.
#   GUEST_TESTS    in test mode, the groups to run, by file name without .sh
#                  (e.g. "10-load 60-io-smoke"); all of them by default
#   GUEST_SETUP    the device setup of the boot, for the groups marked
#                  "# needs: SETUP" (only they run in such a boot):
#                  plain (default): the two namespaces below, for the
#                  groups marked with no need.
#                  faults: namespace 1 returns media errors, through
#                  QEMU's blkdebug, for reads of LBA MEDIA_READ_LBA and
#                  writes of LBA MEDIA_WRITE_LBA (in /etc/nvme-rs-expect);
#                  the controller sits in an NVM subsystem that also holds
#                  namespace DETACHED_NSID (DETACHED_BLOCKS of DETACHED_LBA
#                  bytes), attached to no controller at boot, for Namespace
#                  Attachment; and a spare drive "spare" waits for a
#                  hot-added controller (SPARE_SERIAL, SPARE_BLOCKS of 512
#                  bytes). The guest asks for QEMU monitor commands
#                  (device_del, device_add, qom-set) by printing
#                  "nvme-rs-host: COMMAND" on the serial line; see
#                  watch_guest.
#                  formats: namespaces 3 to 6 besides the two, with the
#                  formats a block device cannot simply carry: separate
#                  metadata, protection information, interleaved metadata
#                  and a zoned namespace (FMT_* in /etc/nvme-rs-expect);
#                  the controller has a Controller Memory Buffer.
#                  power: the plain namespaces, with S3 allowed (q35's
#                  ICH9-LPC.disable_s3=0; the guest's RTC alarm wakes it)
#                  and QEMU tracing the controller's shutdown
#                  notifications into trace.log. The guest marks where it
#                  is by printing "nvme-rs-host: trace-mark NAME N": from
#                  there to the next mark (or the end), exactly N normal
#                  shutdowns (CC.SHN set) must be traced, which the verdict
#                  checks. "nvme-rs-host: wake-after N" asks for a byte on
#                  the serial line N seconds later, to wake the guest from
#                  suspend to idle.
#                  None of faults, formats and power goes with --mode bench.
#   GUEST_QEMU_PLUGIN  a TCG plugin for QEMU with its arguments, as
#                  -plugin takes them (make bench's instruction count:
#                  "build/tools/insn-count.so,out=FILE,modules=ADDR"); the
#                  guest kernel then boots with nokaslr, so a plugin can tell
#                  its text from the module area by address
#   GUEST_NVME_OPTS  extra comma-separated properties for the emulated
#                  controller, appended to its -device nvme,... (e.g.
#                  "max_ioqpairs=2"); the guest finds them as NVME_OPTS in
#                  /etc/nvme-rs-expect
#
# Outputs go to build/guest/<name>/: console.log (serial log), initramfs,
# namespace images. Exit status is non-zero if the guest did not finish, if
# the kernel reported a problem, or (test mode) if any check failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prog=guest.sh

die() { echo "$prog: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-2}"; }

mode='' kdir='' module='' name=''
smp=${SMP:-2}
while [ $# -gt 0 ]; do
	case $1 in
	--mode) mode=${2-}; shift 2 || usage ;;
	--kernel-dir) kdir=${2-}; shift 2 || usage ;;
	--module) module=${2-}; shift 2 || usage ;;
	--smp) smp=${2-}; shift 2 || usage ;;
	--name) name=${2-}; shift 2 || usage ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done

driver=${GUEST_DRIVER:-rs}
tests=${GUEST_TESTS:-all}
tests=${tests// /,}
timeout_s=${GUEST_TIMEOUT:-900}
quiet_s=${GUEST_QUIET:-90}
stall_s=${GUEST_STALL:-300}
nvme_opts=${GUEST_NVME_OPTS:-}
qemu_plugin=${GUEST_QEMU_PLUGIN:-}
setup=${GUEST_SETUP:-plain}
name=${name:-$mode}

case $mode in run | test | bench | suites) ;; *) echo "$prog: --mode must be run, test, bench or suites" >&2; usage ;; esac
suites=${GUEST_SUITES:-blktests,xfstests-ext4,xfstests-xfs}
suites=${suites// /,}
xfstests_list=${GUEST_XFSTESTS:-ci}
blktests_list=${GUEST_BLKTESTS:-ci}
[[ $suites =~ ^[a-z0-9,-]+$ ]] || die "GUEST_SUITES must be suite names, not '$suites'"
case $xfstests_list in ci | quick) ;; *) die "GUEST_XFSTESTS must be ci or quick, not '$xfstests_list'" ;; esac
case $blktests_list in ci | all) ;; *) die "GUEST_BLKTESTS must be ci or all, not '$blktests_list'" ;; esac
case $driver in rs | c) ;; *) die "GUEST_DRIVER must be rs or c, not '$driver'" ;; esac
case $setup in plain | faults | formats | power) ;; *) die "GUEST_SETUP must be plain, faults, formats or power, not '$setup'" ;; esac
# Each would add a namespace 3.
[ "$setup" = plain ] || [ "$mode" != bench ] || die "GUEST_SETUP=$setup does not go with --mode bench"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "--smp must be a positive number"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "GUEST_TIMEOUT must be a positive number of seconds"
[[ $quiet_s =~ ^[1-9][0-9]*$ ]] || die "GUEST_QUIET must be a positive number of seconds"
[[ $stall_s =~ ^[1-9][0-9]*$ ]] || die "GUEST_STALL must be a positive number of seconds"
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "--name may only use letters, digits, '.', '_' and '-'"
# One QEMU option string: no spaces, and no leading comma to swallow.
[[ $nvme_opts =~ ^([A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+)*)?$ ]] ||
	die "GUEST_NVME_OPTS must be comma-separated key=value pairs, not '$nvme_opts'"
[ -n "$kdir" ] || die "--kernel-dir is required"
bzimage=$kdir/arch/x86/boot/bzImage
[ -f "$bzimage" ] || die "no kernel image at $bzimage (build it with scripts/build-kernel.sh test)"
c_modules=("$kdir/drivers/nvme/host/nvme-core.ko" "$kdir/drivers/nvme/host/nvme.ko")
if [ "$driver" = c ] || [ "$mode" = bench ]; then
	for m in "${c_modules[@]}"; do [ -f "$m" ] || die "no C driver module $m"; done
fi
if [ "$driver" = rs ] || [ "$mode" = bench ]; then
	[ -n "$module" ] || die "--module is required"
	[ -f "$module" ] || die "no module at $module (build it with make -C $kdir M=$repo LLVM=1)"
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found"

out=$repo/build/guest/$name
root=$out/root
mkdir -p "$out"

# Namespace geometry: the single source for both QEMU and the guest's
# expectations (/etc/nvme-rs-expect).
serial=nvmers-ci-0001
ns_size=(0 $((64 << 20)) $((128 << 20)))
# The suites' file systems want room: xfs is at least 300 MB, and xfstests
# wants its TEST and SCRATCH devices well above that.
if [ "$mode" = suites ]; then ns_size=(0 $((2 << 30)) $((2 << 30))); fi
ns_lba=(0 512 4096)
# Namespace identity (67-ns-identity): namespace 1 has a UUID and an
# EUI-64, namespace 2 a null UUID (none); both drivers ignore them, as
# C's quirk table says of QEMU's controller.
ns1_uuid=6b2f6a0e-421c-4b8d-9a5e-1f003c2d7e11
ns1_eui64=525400123456789a
ns_ids=("" ",uuid=$ns1_uuid,eui64=0x$ns1_eui64" ",uuid=00000000-0000-0000-0000-000000000000")
# Media errors of the faults boot, on namespace 1 (512-byte blocks, so an
# LBA is an image sector): far from where the other groups write.
media_read_lba=100000
media_write_lba=100064
spare_serial=nvmers-ci-0002
spare_size=$((32 << 20))
# Faults boot only: the NVM subsystem of nvme0, and a namespace in it that
# starts attached to no controller (Namespace Attachment makes it active).
subsys_nqn=nvmers-ci-subsys
detached_nsid=3
detached_size=$((16 << 20))
detached_lba=512
# Bench mode only: one more namespace on QEMU's null back end (reads return
# zeroes, writes go nowhere), so the numbers leave out the host's storage.
# 512-byte blocks, like namespace 1, so that 512-byte I/O works on both.
null_nsid=3
null_size=$((1 << 30))
null_lba=512
# Formats boot only: namespaces 3 to 8, each on an image of fmt_size bytes
# (QEMU keeps metadata at the end of the image, so an image holds
# size / (block + metadata) blocks): separate metadata without PI; PI type 1
# that is the whole metadata; interleaved metadata; a zoned namespace; PI
# type 3 in the last 8 of 16 bytes; PI type 1 with the 64-bit guard (16
# bytes, an Extended LBA Format's guard).
fmt_size=$((16 << 20))
fmt_meta_nsid=3
fmt_pi_nsid=4
fmt_ext_nsid=5
fmt_ext_ms=16
fmt_zoned_nsid=6
fmt_zoned_size=$((32 << 20))
fmt_zone_size=$((4 << 20))
fmt_zone_max_open=4
fmt_zone_max_active=6
fmt_pi3_nsid=7
fmt_pi64_nsid=8
# Formats boot only: a Controller Memory Buffer, which the drivers put the
# I/O submission queues in (64-cmb). 16 MiB: the kernel maps device memory
# in 2 MiB sections, and QEMU's BAR is as large as the CMB.
fmt_cmb_mb=16
fmt_opts=(
	[fmt_meta_nsid]="logical_block_size=512,physical_block_size=512,ms=8,mset=0"
	[fmt_pi_nsid]="logical_block_size=512,physical_block_size=512,ms=8,mset=0,pi=1"
	[fmt_ext_nsid]="logical_block_size=512,physical_block_size=512,ms=$fmt_ext_ms,mset=1"
	[fmt_zoned_nsid]="logical_block_size=4096,physical_block_size=4096,zoned=true,zoned.zone_size=$fmt_zone_size,zoned.max_open=$fmt_zone_max_open,zoned.max_active=$fmt_zone_max_active"
	[fmt_pi3_nsid]="logical_block_size=512,physical_block_size=512,ms=16,mset=0,pi=3,pil=0"
	[fmt_pi64_nsid]="logical_block_size=512,physical_block_size=512,ms=16,mset=0,pi=1,pil=1,pif=2"
)

# --- initramfs ---------------------------------------------------------------

# The suites boot has none: its root is the host's (see --mode suites).
if [ "$mode" != suites ]; then

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,dev,proc,sys,tmp,root,usr/share/nvme-rs/tests,lib/nvme-rs,lib/nvme-c}

# Copies the shared libraries BIN needs (and the dynamic loader) to the same
# paths under the initramfs root. ldd fails on a static binary: nothing to do.
add_libs() {
	local bin=$1 libs lib
	libs=$(ldd "$bin" 2>/dev/null) || return 0
	if grep -q 'not found' <<<"$libs"; then
		die "$bin: missing libraries: $(grep 'not found' <<<"$libs" | tr -s '\t\n' '  ')"
	fi
	# shellcheck disable=SC2013 # library paths have no spaces
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$libs"); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done
}

# add_bin PROGRAM: installs a host program at the same path, with its
# libraries. The path may already hold a busybox applet link, which points
# at the host's busybox: remove it rather than copy through it.
add_bin() {
	local bin
	bin=$(command -v "$1") || die "$1 not found on the host"
	mkdir -p "$root${bin%/*}"
	rm -f "$root$bin"
	cp -L "$bin" "$root$bin"
	add_libs "$bin"
}

add_bin busybox
# Applet links at build time, so PATH works from the first line of /init.
for applet in $("$root$(command -v busybox)" --list-full); do
	[ -e "$root/$applet" ] || ln -s "$(command -v busybox)" "$root/$applet"
done
add_bin fio
add_bin nvme
# The filesystem and discard groups need more than busybox has: its mke2fs
# makes only ext2 and its blkdiscard cannot zero-fill (-z). busybox sh runs
# its own applets ahead of PATH, so the tests call these as mkfs.ext4 and
# /usr/sbin/blkdiscard.
add_bin mke2fs
add_bin e2fsck
add_bin blkdiscard
add_bin blkzone
# util-linux's, which changes user (busybox's only changes capabilities).
add_bin setpriv
ln -sfn mke2fs "$root$(dirname "$(command -v mke2fs)")/mkfs.ext4"
if [ -f /etc/mke2fs.conf ]; then cp /etc/mke2fs.conf "$root/etc/"; fi

# add_tool SOURCE NAME [LIBRARY...]: builds the C program SOURCE under
# build/tools/NAME, statically so the initramfs needs none of its
# libraries, when the source is newer than the build, and installs it as
# /usr/bin/NAME.
add_tool() {
	local src=$1 name=$2 bin
	shift 2
	bin=$repo/build/tools/$name
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		command -v gcc >/dev/null || die "gcc not found (scripts/install-deps.sh installs it)"
		mkdir -p "${bin%/*}"
		gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$bin.tmp" "$src" "$@" ||
			die "cannot build $bin (a library missing? scripts/install-deps.sh)"
		mv "$bin.tmp" "$bin"
	fi
	install -m 755 "$bin" "$root/usr/bin/$name"
}

# The passthrough ABI test program (85-passthru), with liburing.
add_tool "$repo/tools/passthru/nvme-passthru-test.c" nvme-passthru-test -luring
# The passthrough ioctls from a 32-bit program, and the same checks from a
# 64-bit one (85-passthru-compat).
if [ "$mode" = test ]; then
	add_tool "$repo/tools/passthru/nvme-compat-test.c" nvme-compat-test -m32
	add_tool "$repo/tools/passthru/nvme-compat-test.c" nvme-compat-test64
fi
# Passthrough with metadata buffers (66-formats), with liburing.
if [ "$mode" = test ]; then
	add_tool "$repo/tools/passthru/nvme-metadata-test.c" nvme-metadata-test -luring
fi
# Zone Append through the block layer (66-formats): a test module, built
# against the guest's kernel in build/tools/zone-append.
if [ "$mode" = test ] && [ "$setup" = formats ]; then
	za=$repo/build/tools/zone-append
	za_src=$repo/tools/zone-append/zone_append_test.c
	if [ ! -f "$za/zone_append_test.ko" ] || [ "$za_src" -nt "$za/zone_append_test.ko" ] ||
		[ "$repo/tools/zone-append/Kbuild" -nt "$za/zone_append_test.ko" ] ||
		[ "$kdir/vmlinux" -nt "$za/zone_append_test.ko" ]; then
		rm -rf "$za"
		mkdir -p "$za"
		cp "$za_src" "$repo/tools/zone-append/Kbuild" "$za/"
		make -s -C "$kdir" M="$za" LLVM=1 modules >"$za/build.log" 2>&1 ||
			die "cannot build the zone append test module: $(tail -n 20 "$za/build.log")"
	fi
	cp "$za/zone_append_test.ko" "$root/lib/nvme-rs/"
fi
# Admin commands side by side (96-admin-concurrency), with liburing.
add_tool "$repo/tools/passthru/admin-concurrency.c" admin-concurrency -luring
# The PCIe error injector (89-pcie-failure, 93-pcie-errors).
if [ "$mode" = test ]; then
	add_tool "$repo/tools/aer/aer-inject.c" aer-inject
fi
# The bench's instruction count marks its runs with this (tools/bench/insn-count.c).
if [ "$mode" = bench ]; then
	add_tool "$repo/tools/bench/insn-mark.c" insn-mark
fi

if [ -f "$module" ]; then
	cp "$module" "$root/lib/nvme-rs/nvme_rs.ko"
else
	echo "$prog: note: no nvme_rs module, the guest gets none" >&2
fi
for m in "${c_modules[@]}"; do
	if [ -f "$m" ]; then cp "$m" "$root/lib/nvme-c/"; else echo "$prog: note: no $m" >&2; fi
done

install -m 755 "$repo/tools/guest/init" "$root/init"
install -m 644 "$repo/tools/guest/lib.sh" "$root/usr/share/nvme-rs/lib.sh"
install -m 755 "$repo/tools/guest/bench.sh" "$root/usr/share/nvme-rs/bench.sh"
for t in "$repo"/tools/guest/tests/*.sh; do
	[ -e "$t" ] && install -m 755 "$t" "$root/usr/share/nvme-rs/tests/"
done

{
	echo "SERIAL=$serial"
	if [ "$mode" = bench ]; then echo "NS_COUNT=$null_nsid"; else echo "NS_COUNT=$((${#ns_size[@]} - 1))"; fi
	echo "NVME_OPTS=$nvme_opts"
	echo "SETUP=$setup"
	# A non-interactive run feeds QEMU's stdin a heartbeat (see watch_guest).
	if [ -t 0 ]; then echo "HOST_HEARTBEAT=0"; else echo "HOST_HEARTBEAT=1"; fi
	echo "MEDIA_READ_LBA=$media_read_lba"
	echo "MEDIA_WRITE_LBA=$media_write_lba"
	echo "SPARE_SERIAL=$spare_serial"
	echo "SPARE_BLOCKS=$((spare_size / 512))"
	if [ "$setup" = faults ]; then
		echo "DETACHED_NSID=$detached_nsid"
		echo "DETACHED_BLOCKS=$((detached_size / detached_lba))"
		echo "DETACHED_LBA=$detached_lba"
	fi
	for i in 1 2; do
		echo "NS${i}_BLOCKS=$((ns_size[i] / ns_lba[i]))"
		echo "NS${i}_LBA=${ns_lba[i]}"
	done
	echo "NS1_UUID=$ns1_uuid"
	echo "NS1_EUI64=$ns1_eui64"
	if [ "$setup" = formats ]; then
		echo "FMT_META_NSID=$fmt_meta_nsid"
		echo "FMT_PI_NSID=$fmt_pi_nsid"
		echo "FMT_PI_BLOCKS=$((fmt_size / (512 + 8)))"
		echo "FMT_EXT_NSID=$fmt_ext_nsid"
		echo "FMT_EXT_BLOCK=$((512 + fmt_ext_ms))"
		echo "FMT_ZONED_NSID=$fmt_zoned_nsid"
		echo "FMT_ZONES=$((fmt_zoned_size / fmt_zone_size))"
		echo "FMT_ZONE_BLOCKS=$((fmt_zone_size / 4096))"
		echo "FMT_ZONE_MAX_OPEN=$fmt_zone_max_open"
		echo "FMT_ZONE_MAX_ACTIVE=$fmt_zone_max_active"
		echo "FMT_PI3_NSID=$fmt_pi3_nsid"
		echo "FMT_PI64_NSID=$fmt_pi64_nsid"
		echo "FMT_MS16_BLOCKS=$((fmt_size / (512 + 16)))"
		echo "FMT_CMB_BYTES=$((fmt_cmb_mb << 20))"
	fi
	if [ "$mode" = bench ]; then
		echo "NS${null_nsid}_BLOCKS=$((null_size / null_lba))"
		echo "NS${null_nsid}_LBA=$null_lba"
	fi
} >"$root/etc/nvme-rs-expect"
if [ "$mode" = bench ]; then
	# Read by bench.sh as KEY=VALUE data, never sourced (BENCH_FILTER is a regex).
	{
		env | grep -E '^BENCH_[A-Z_]+=' || true
		echo "FILE_NSID=1"
		echo "NULL_NSID=$null_nsid"
	} >"$root/etc/nvme-rs-bench"
fi
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'nogroup:x:65534:' >>"$root/etc/group"

# shellcheck source=newc.sh
. "$repo/scripts/newc.sh"

# Uncompressed: unpacking a gzip archive of fio's libraries costs the
# emulated guest about 5 s per boot, far more than the host saves.
initramfs=$out/initramfs.cpio
rm -f "$out/initramfs.cpio.gz"
{
	(cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0)
	newc_record dev/console $((0020600)) 5 1
	newc_record 'TRAILER!!!' 0 0 0
} >"$initramfs"
fi

# --- namespaces --------------------------------------------------------------

for i in 1 2; do
	rm -f "$out/ns$i.img"
	truncate -s "${ns_size[i]}" "$out/ns$i.img"
done

# --- QEMU --------------------------------------------------------------------

# The faults boot puts nvme0 in an NVM subsystem, which Namespace Attachment
# needs: QEMU 7.2 attaches and detaches only namespaces of the controller's
# subsystem, and a detached namespace (nvme-ns detached=on) must be in one.
# The subsystem device must come before the controller that links to it.
subsys=()
nvme_subsys=
if [ "$setup" = faults ]; then
	subsys=(-device "nvme-subsys,id=subsys0,nqn=$subsys_nqn")
	nvme_subsys=,subsys=subsys0
fi
# The formats boot's controller has a CMB (fmt_cmb_mb).
nvme_cmb=
if [ "$setup" = formats ]; then nvme_cmb=,cmb_size_mb=$fmt_cmb_mb; fi

# The power boot resets the link below the Root Port (PCIe error
# recovery). At its default 16 GT/s the kernel then waits for the port's
# Data Link Layer Link Active bit, which QEMU 7.2 does not set again after
# a secondary bus reset, and gives the device up; at 5 GT/s the kernel
# waits 100 ms and polls the device's configuration space instead, as for
# any slower port (pci_bridge_wait_for_secondary_bus).
root_port_opts=
if [ "$setup" = power ]; then root_port_opts=,x-speed=5; fi

# The suites boot: the kernel mounts the host's root read-only over 9p and
# runs tools/suites/init from it, which runs the suites in an overlay and
# writes their results to the second, writable share.
cmdline_extra=
boot=()
[ "$mode" = suites ] || boot=(-initrd "$initramfs")
results=$out/results
if [ "$mode" = suites ]; then
	rm -rf "$results"
	mkdir -p "$results"
	cmdline_extra=" root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro init=$repo/tools/suites/init"
	cmdline_extra+=" nvme_rs_suites_run=$repo/tools/suites/run.sh nvme_rs_module=$module nvme_rs_kdir=$(cd "$kdir" && pwd -P)"
	cmdline_extra+=" nvme_rs_suites=$suites nvme_rs_xfstests=$xfstests_list nvme_rs_blktests=$blktests_list"
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	boot=(
		-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap"
	)
fi

# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
qemu=(
	qemu-system-x86_64
	-machine q35 -accel tcg,thread=multi -cpu max -smp "$smp" -m 2G
	-nodefaults -no-user-config -nographic -no-reboot
	-serial mon:stdio
	-pidfile "$out/qemu.pid"
	-kernel "$bzimage" "${boot[@]}"
	# panic=-1 plus -no-reboot ends QEMU on a panic; oopses do not panic, so
	# the guest keeps going and the whole report reaches the log.
	# printk.devkmsg=on: lib.sh writes marks to /dev/kmsg, which is otherwise
	# rate-limited. log_buf_len: the marks must not scroll out.
	-append "${qemu_plugin:+nokaslr }console=ttyS0 rdinit=/init panic=-1 loglevel=7 printk.devkmsg=on log_buf_len=4M nvme_rs_mode=$mode nvme_rs_driver=$driver nvme_rs_tests=$tests nvme_rs_setup=$setup$cmdline_extra"
	-device "pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1$root_port_opts"
	"${subsys[@]}"
	-device "nvme,id=nvme0,serial=$serial,bus=rp0$nvme_subsys$nvme_cmb${nvme_opts:+,$nvme_opts}"
)
if [ -n "$qemu_plugin" ]; then
	qemu+=(-plugin "$qemu_plugin")
fi
# discard=unmap: a Dataset Management deallocate punches a hole in the
# image, so deallocated blocks read back as zeroes as the namespace claims
# (DLFEAT); QEMU's default, discard=ignore, would leave the old data.
# blkdebug: an error rule is armed by the raw driver's read_aio or
# write_aio event and fires for a request covering its sector; QEMU's NVMe
# turns the EIO into Unrecovered Read Error or Write Fault.
if [ "$setup" = faults ]; then
	cat >"$out/blkdebug.conf" <<EOF
[inject-error]
event = "read_aio"
iotype = "read"
errno = "5"
sector = "$media_read_lba"

[inject-error]
event = "write_aio"
iotype = "write"
errno = "5"
sector = "$media_write_lba"
EOF
	rm -f "$out/spare.img" "$out/ns$detached_nsid.img"
	truncate -s "$spare_size" "$out/spare.img"
	truncate -s "$detached_size" "$out/ns$detached_nsid.img"
	# QEMU's q35 hands hotplug of its root ports to ACPI by default; off,
	# the guest's native PCIe hotplug driver (pciehp) handles device_del
	# and device_add, as on real PCIe slots. The spare's controller joins
	# no subsystem: it is a different device that takes the slot.
	#
	# The detached namespace names the controller's bus like the others;
	# QEMU moves it to the subsystem. shared=off: a private namespace, for
	# one controller at a time (NMIC 0), which is all the tests need.
	qemu+=(
		-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
		-drive "file=$out/spare.img,if=none,id=spare,format=raw"
		-drive "file=$out/ns$detached_nsid.img,if=none,id=ns$detached_nsid,format=raw,discard=unmap"
		-device "nvme-ns,drive=ns$detached_nsid,bus=nvme0,nsid=$detached_nsid,logical_block_size=$detached_lba,physical_block_size=$detached_lba,detached=on,shared=off"
	)
fi
for i in 1 2; do
	file=$out/ns$i.img
	if [ "$setup" = faults ] && [ "$i" = 1 ]; then file=blkdebug:$out/blkdebug.conf:$file; fi
	qemu+=(
		-drive "file=$file,if=none,id=ns$i,format=raw,discard=unmap"
		-device "nvme-ns,drive=ns$i,bus=nvme0,nsid=$i,logical_block_size=${ns_lba[i]},physical_block_size=${ns_lba[i]}${ns_ids[i]}"
	)
done
if [ "$setup" = formats ]; then
	for i in "${!fmt_opts[@]}"; do
		rm -f "$out/ns$i.img"
		if [ "$i" = "$fmt_zoned_nsid" ]; then size=$fmt_zoned_size; else size=$fmt_size; fi
		truncate -s "$size" "$out/ns$i.img"
		qemu+=(
			-drive "file=$out/ns$i.img,if=none,id=ns$i,format=raw"
			-device "nvme-ns,drive=ns$i,bus=nvme0,nsid=$i,${fmt_opts[i]}"
		)
	done
fi
# The power boot: S3, which q35 offers only when asked, and a trace of the
# controller's shutdown notifications (QEMU flushes each trace line).
trace=$out/trace.log
trace_marks=$out/trace-marks
rm -f "$trace" "$trace_marks"
trace_lines() {
	local n
	n=$(grep -c . "$trace" 2>/dev/null) || true
	echo "${n:-0}"
}
if [ "$setup" = power ]; then
	echo pci_nvme_mmio_shutdown_set >"$out/trace-events"
	qemu+=(
		-global ICH9-LPC.disable_s3=0
		-trace "events=$out/trace-events,file=$trace"
	)
fi
if [ "$mode" = bench ]; then
	qemu+=(
		-blockdev "driver=null-co,node-name=ns$null_nsid,read-zeroes=on,size=$null_size"
		-device "nvme-ns,drive=ns$null_nsid,bus=nvme0,nsid=$null_nsid,logical_block_size=$null_lba,physical_block_size=$null_lba"
	)
fi

log=$out/console.log
pidfile=$out/qemu.pid
rm -f "$pidfile" "$log.silences"
tty_state=
if [ -t 0 ]; then
	tty_state=$(stty -g)
else
	# QEMU reads its stdio chardev: keep it off whatever stdin the caller had.
	# watch_guest below feeds it instead.
	exec </dev/null
fi

# monitor COMMAND...: runs HMP commands through the serial mux (Ctrl-A c
# switches between the guest's serial line and QEMU's monitor). Their output
# lands in the console log. The guest sees nothing of it: the mux's switch
# events do not reach the emulated UART.
monitor() {
	local cmd
	printf '\001c'
	sleep 0.2
	for cmd in "$@"; do
		printf '%s\n' "$cmd"
		sleep 1
	done
	printf '\001c'
	sleep 0.5
}

# watch_guest: QEMU's stdin in a non-interactive run, with three jobs.
#
# Heartbeat: every 2 s it writes Ctrl-A z, an escape sequence QEMU's serial
# mux swallows (it knows only h, ?, x, s, b, c and t after Ctrl-A): the
# guest receives nothing (10-load checks that ttyS0 has received no byte),
# but QEMU's main loop wakes up to read it. That loop fires the timers of
# the emulated devices, the guest's local APIC timers among them, and under
# QEMU 7.2's multi-threaded TCG it has twice slept through them during a
# module reload, with both vCPUs halted: once for 300 s; once for 90 s,
# which the guest reported as "rcu_sched kthread timer wakeup didn't
# happen for 22444 jiffies". Both times the guest carried on within a
# fraction of a second of a byte arriving here, before any monitor command
# had run. With the heartbeat such a lost wakeup costs the guest at most
# 2 s, too little for its stall detectors or the silence watch below.
#
# Host requests: a fault group asks the host for what only QEMU can do by
# printing "nvme-rs-host: COMMAND". Three monitor commands are run, and
# nothing else:
#  - device_del ID and device_add PROPERTIES (hot removal and hot add);
#  - qom-set /machine/peripheral/ID PROPERTY VALUE, with plain words for
#    ID, PROPERTY and VALUE, to change a device's property at run time
#    (the controller's smart_critical_warning, which raises a SMART/health
#    asynchronous event).
# The monitor leaves its "(qemu) " prompt at the start of the guest's next
# line, so a request may follow it.
#
# Silence: a guest that stops printing has either hung somewhere the
# kernel's own detectors may not see (a task sleeping interruptibly, or
# timers that stopped), or is just busy. In two stages:
#  - after GUEST_QUIET seconds, QEMU's monitor dumps every vCPU's registers
#    (halted or not, interrupts on or off) and local APIC (timer armed or
#    expired, vectors pending). Nothing reaches the guest, so if it then
#    carries on, either it was busy or QEMU itself had stalled despite the
#    heartbeat. The verdict notes each such silence; it is not a failure,
#    since nothing the guest could do was involved in ending it.
#  - after GUEST_STALL seconds, it sends sysrq w, l and t (a serial break
#    then the key, with CONFIG_MAGIC_SYSRQ_SERIAL: blocked tasks, CPU
#    backtraces, every task), then kills QEMU, which the verdict reports as
#    a failure.
# Both write what they saw to $log.silences for the verdict.
#
# It returns once QEMU has gone.
watch_guest() {
	local pid='' ticks=0 size last=0 guest_end=0 lines seen_lines=0 since=$SECONDS dumped=0 key line cpu
	local beat=$SECONDS
	local -a lapics
	# Four ticks a second: a fault group times what follows its request.
	while sleep 0.25; do
		if [ $((SECONDS - beat)) -ge 2 ]; then
			printf '\001z'
			beat=$SECONDS
		fi
		if [ -z "$pid" ]; then
			pid=$(cat "$pidfile" 2>/dev/null) || pid=
			ticks=$((ticks + 1))
			# QEMU never started (bad option, say): nothing to watch.
			[ -n "$pid" ] || { [ "$ticks" -lt 120 ] && continue; return 0; }
		fi
		kill -0 "$pid" 2>/dev/null || return 0
		size=$(stat -c %s "$log" 2>/dev/null) || size=0
		if [ "$size" -gt "$last" ]; then
			if [ "$dumped" -gt 0 ]; then
				line="console silent for $((SECONDS - since))s (GUEST_QUIET ${quiet_s}s), then resumed $((SECONDS - dumped))s after the monitor dump"
				echo "$prog: $line" >&2
				echo "$line" >>"$log.silences"
				dumped=0
			fi
			# Whole lines only: a request still being printed waits a tick.
			lines=$(wc -l <"$log")
			while IFS= read -r line; do
				line=${line%$'\r'}
				line=${line#"(qemu) "}
				if [[ $setup == power && $line =~ ^nvme-rs-host:\ trace-mark\ [a-z0-9-]+\ [0-9]+$ ]]; then
					# Where the guest is, as the number of trace lines so far.
					echo "${line#nvme-rs-host: trace-mark } $(trace_lines)" >>"$trace_marks"
				elif [[ $setup == power && $line =~ ^nvme-rs-host:\ wake-after\ [0-9]+$ ]]; then
					# Suspend to idle: a byte on the serial line, a wakeup
					# source the guest enabled, ends it (QEMU's RTC alarm
					# does not wake an idle guest).
					(sleep "${line##* }" && printf '\r') &
				elif [[ $line == "nvme-rs-host: device_del "* || $line == "nvme-rs-host: device_add "* ||
					$line =~ ^nvme-rs-host:\ qom-set\ /machine/peripheral/[A-Za-z0-9_-]+\ [A-Za-z0-9_-]+\ [A-Za-z0-9_.-]+$ ]]; then
					echo "$prog: guest asks: ${line#nvme-rs-host: }" >&2
					monitor "${line#nvme-rs-host: }"
				elif [[ $line == "nvme-rs-host: "* ]]; then
					echo "$prog: guest asks for something not allowed, ignored: ${line#nvme-rs-host: }" >&2
				fi
			done < <(sed -n "$((seen_lines + 1)),${lines}p" "$log" | grep -a -E '^(\(qemu\) )?nvme-rs-host: ')
			seen_lines=$lines last=$size guest_end=$size since=$SECONDS
			continue
		fi
		if [ "$dumped" -eq 0 ] && [ $((SECONDS - since)) -ge "$quiet_s" ]; then
			echo "$prog: no console output for ${quiet_s}s: QEMU's monitor dumps the vCPUs (nothing reaches the guest)" >&2
			lapics=()
			for ((cpu = 0; cpu < smp; cpu++)); do lapics+=("info lapic $cpu"); done
			monitor 'info registers -a' "${lapics[@]}"
			# The dump is QEMU's output, not the guest's.
			last=$(stat -c %s "$log" 2>/dev/null) || last=0
			dumped=$SECONDS
			continue
		fi
		[ $((SECONDS - since)) -ge "$stall_s" ] || continue
		echo "$prog: no console output for ${stall_s}s: asking the guest for sysrq w, l and t, then stopping it" >&2
		{
			echo "console silent for ${stall_s}s (GUEST_STALL): guest stopped; its last lines before the silence:"
			head -c "$guest_end" "$log" | tr -d '\r' | tail -n 5 | sed 's/^/    /'
		} >>"$log.silences"
		for key in w l t; do
			sleep 1
			printf '\001b'
			sleep 1
			printf '%s' "$key"
			sleep 10
		done
		sleep 10
		echo "$prog: stopping the stalled guest" >&2
		kill "$pid" 2>/dev/null
		return 0
	done
}

# Only ever kill our own QEMU (its command line names our pid file), e.g.
# when this script is interrupted; QEMU leaves the terminal raw if killed.
cleanup() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || pid=
	if [ -n "$pid" ] && grep -qF "$pidfile" "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
	fi
	if [ -n "$tty_state" ]; then stty "$tty_state" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "$prog: booting $mode guest (driver $driver, $smp CPUs${nvme_opts:+, nvme $nvme_opts}, timeout ${timeout_s}s); log in ${log#"$repo"/}" >&2
start=$SECONDS
set +e
# --foreground: QEMU must stay in the terminal's process group to read it.
if [ -n "$tty_state" ]; then
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" | tee "$log"
	status=("${PIPESTATUS[@]}")
else
	watch_guest | timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" | tee "$log"
	status=("${PIPESTATUS[@]:1}")
fi
set -e
elapsed=$((SECONDS - start))
if [ -n "$tty_state" ]; then stty "$tty_state" 2>/dev/null || true; fi

# The serial console ends lines with CR LF.
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"

# --- verdict -----------------------------------------------------------------

echo
echo "$prog: --- verdict ($mode mode, QEMU ran ${elapsed}s, exit status ${status[0]})"
init_at=$(sed -n 's/^nvme-rs-guest: init at uptime \([0-9.]*\) s.*/\1/p' "$log" | head -n 1)
done_at=$(sed -n 's/^nvme-rs-guest: finished at uptime \([0-9.]*\) s.*/\1/p' "$log" | tail -n 1)
echo "$prog: guest reached /init at ${init_at:-?}s uptime, finished at ${done_at:-?}s"

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
failed() { echo "FAIL - $1"; fail=$((fail + 1)); }

# shellcheck source=kernel-problems.sh
. "$repo/scripts/kernel-problems.sh"

if [ "${status[0]}" -eq 124 ] || [ "${status[0]}" -eq 137 ]; then
	failed "guest came back: timed out after ${timeout_s}s (GUEST_TIMEOUT), killed"
elif ! grep -qx 'nvme-rs-guest: done' "$log"; then
	failed "guest came back: no 'nvme-rs-guest: done' line (QEMU exit status ${status[0]})"
elif [ "${status[0]}" -ne 0 ]; then
	failed "guest came back: QEMU exit status ${status[0]}"
else
	ok "guest came back"
fi
# What the silence watchdog saw (see watch_guest): the stopped guest is
# already a failure above; a silence that ended by itself is only noted.
if [ -s "$log.silences" ]; then
	echo "$prog: note: console silences (GUEST_QUIET ${quiet_s}s; QEMU's vCPU and local APIC dumps are in the console log):"
	sed 's/^/    /' "$log.silences"
fi

# Kernel reports known not to come from nvme_rs are dropped before the
# check, each with its reason, and the log says so:
#  - 6.12's PCIe hotplug driver, removing an unplugged device, takes its
#    slot's reset_lock with pci_rescan_remove_lock held after having taken
#    them the other way round earlier on the same path (pciehp_ist ->
#    pciehp_unconfigure_device). Lockdep reports it on the first hot
#    removal whatever driver the device had; the report names only pciehp
#    frames. Dropped only if it is that report and never mentions nvme_rs.
#  - The C driver's system suspend (nvme_suspend, run by the PM core's
#    async work) starts freezing its queues in one work item and ends the
#    freeze in another, after resume: the workqueue code reports the
#    queue usage counters as leaked locks, and lockdep a circular
#    dependency through them, or a worker exiting with them held. Seen only in the power boot with
#    GUEST_DRIVER=c; dropped only where the held locks were taken in
#    nvme_start_freeze [nvme_core] (or, once that report was seen, the
#    same async work's second leak report, which lockdep, now off, no
#    longer details) and nvme_rs is never mentioned.
known_reports() {
	awk '
		# A report block: from its first line to the end of its backtrace.
		/WARNING: possible circular locking dependency detected/ || /BUG: workqueue leaked atomic, lock or RCU/ ||
		/WARNING: [^ ]+ still has locks held!/ {
			inblock = 1; buf = ""; pciehp = 0; ours = 0; cfreeze = 0
			leak = ($0 ~ /workqueue leaked/)
		}
		inblock {
			buf = buf $0 "\n"
			if ($0 ~ /irq\/[0-9]+-pciehp\/[0-9]+ is trying to acquire lock/) pciehp++
			if ($0 ~ /\(&ctrl->reset_lock\)/ || $0 ~ /\(pci_rescan_remove_lock\)/) pciehp++
			if ($0 ~ /nvme_start_freeze\+.*\[nvme_core\]/) cfreeze = 1
			if ($0 ~ /workfn=async_run_entry_fn/ && cfreeze_seen) cfreeze = 1
			if ($0 ~ /nvme_rs/) ours = 1
			if ($0 ~ /<\/TASK>/) {
				inblock = 0
				if (!leak && pciehp >= 3 && !ours)
					print "[guest.sh: dropped a known pciehp lockdep report (reset_lock vs pci_rescan_remove_lock), see guest.sh]"
				else if (cfreeze && !ours) {
					cfreeze_seen = 1
					print "[guest.sh: dropped a known C driver report (nvme_start_freeze held across its suspend work), see guest.sh]"
				} else
					printf "%s", buf
			}
			next
		}
		{ print }
		END { if (inblock) printf "%s", buf }
	' "$1"
}
known_reports "$log" >"$log.checked"
grep -q '^\[guest.sh: dropped a known' "$log.checked" &&
	echo "$prog: note: $(grep -c '^\[guest.sh: dropped a known' "$log.checked") known kernel report(s) not from nvme_rs dropped from the check (see console.log)"
problems=$(grep -nE "$problem_re" "$log.checked" || true)
if [ -z "$problems" ]; then
	ok "guest log clean"
else
	failed "guest log clean: $(wc -l <<<"$problems") kernel problem line(s):"
	# shellcheck disable=SC2001
	sed 's/^/    console.log.checked:/' <<<"$problems" | head -n 50
fi

# The power boot's trace: each marked stretch has as many normal
# shutdowns as its mark says.
if [ "$setup" = power ] && [ "$mode" = test ]; then
	if [ ! -s "$trace_marks" ]; then
		failed "QEMU trace: the guest marked no stretch to check"
	else
		total=$(trace_lines)
		while read -r mark want from to; do
			got=$(awk -v from="$from" -v to="$to" 'NR > from && NR <= to && /pci_nvme_mmio_shutdown_set/ { n++ } END { print n + 0 }' "$trace")
			if [ "$got" -eq "$want" ]; then
				ok "QEMU trace: $mark: $want normal shutdown(s)"
			else
				failed "QEMU trace: $mark: $got normal shutdown(s), want $want"
			fi
		done < <(awk -v total="$total" '{ name[NR] = $1; want[NR] = $2; at[NR] = $3 }
			END { for (i = 1; i <= NR; i++) print name[i], want[i], at[i], (i < NR ? at[i + 1] : total) }' "$trace_marks")
	fi
fi

if [ "$mode" = test ]; then
	# Each started group must have printed "<group>: N passed, M failed"; a
	# group that did not (crashed, hung, or its line was garbled) counts as one
	# failure so it can never pass silently.
	groups=0
	while read -r group gp gf; do
		groups=$((groups + 1))
		if [ "$gp" = - ]; then
			echo "  $group: started but printed no summary (counted as 1 failed)"
			fail=$((fail + 1))
		else
			echo "  $group: $gp passed, $gf failed"
			pass=$((pass + gp))
			fail=$((fail + gf))
		fi
	done < <(awk '
		/^nvme-rs-guest: group [^ ]+ start$/ { started[++n] = $3 }
		match($0, /[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$/) {
			split(substr($0, RSTART, RLENGTH), f, /[: ,]+/)
			p[f[1]] = f[2]; q[f[1]] = f[4]
		}
		END { for (i = 1; i <= n; i++) { g = started[i]; print g, (g in p) ? p[g] " " q[g] : "- -" } }
	' "$log")
	[ "$groups" -gt 0 ] || failed "test groups ran: none started"
	bad=$(grep -E '[0-9]+ passed, [0-9]*[1-9][0-9]* failed$' "$log" || true)
	if [ -n "$bad" ]; then
		echo "$prog: failing groups:"
		# shellcheck disable=SC2001
		sed 's/^/    /' <<<"$bad"
	fi
	echo "$pass passed, $fail failed"
fi

# The suites' own results are judged by scripts/suites.sh.
if [ "$mode" = suites ]; then echo "$pass passed, $fail failed"; fi

[ "$fail" -eq 0 ] || { echo "$prog: FAILED, see ${log#"$repo"/}" >&2; exit 1; }
echo "$prog: OK" >&2
