#!/usr/bin/env bash
# Root on NVMe, and hibernation to it: boots the test kernel four times
# from a disk image whose root file system is an ext4 partition of an
# nvme_rs disk, as users boot QEMU NVMe images in CI.
#
#   scripts/root-boot.sh --kernel-dir DIR --module PATH
#
# The host prepares a 512 MiB sparse image with an MBR partition table:
# partition 1 is swap, partition 2 an ext4 file system holding a static
# busybox and /sbin/init (tools/guest/root-init). The initramfs holds only
# busybox and nvme_rs.ko: its /init loads the module, waits for
# /dev/nvme0n1p2, mounts it read-only and switches root to it. The root's
# init checks that it runs from that partition through nvme_rs, writes and
# reads back a file, checks the file the boot before wrote, remounts the
# root read-only and powers the guest off with the driver bound.
#
# Boots 1 and 2 do just that. Boot 3 then hibernates through the platform
# (ACPI S4) with its image on the swap partition, and boot 4's initramfs
# resumes that image instead of mounting the root: the resumed boot-3
# system checks nvme0 is live and its files read back, then powers off.
# That runs every hibernation callback: freeze, thaw and poweroff in boot
# 3, freeze in boot 4's kernel before it jumps to the image, restore in the
# image.
#
# A boot that powers off passes when QEMU ends by itself, the root's init
# printed its count with no failure, the driver shut the controller down,
# the kernel log has no problem report, and e2fsck on the host, run
# read-only on the partition afterwards, finds the file system clean. Boot 3
# passes when QEMU ends by itself after "hibernating" with no count and a
# clean log.
# Prints "root-boot: N passed, M failed"; exits non-zero on any failure.
# Outputs go to build/guest/root-boot/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prog=root-boot.sh
die() { echo "$prog: $*" >&2; exit 2; }

kdir='' module=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-dir) kdir=${2-}; shift 2 || die "--kernel-dir needs a value" ;;
	--module) module=${2-}; shift 2 || die "--module needs a value" ;;
	*) die "unknown argument '$1'" ;;
	esac
done
bzimage=$kdir/arch/x86/boot/bzImage
[ -f "$bzimage" ] || die "no kernel image at $bzimage (--kernel-dir)"
[ -f "$module" ] || die "no module at $module (--module)"
busybox=$(command -v busybox) || die "busybox not found (scripts/install-deps.sh installs busybox-static)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static (busybox-static)"
for tool in mkfs.ext4 e2fsck cpio qemu-system-x86_64 python3; do
	command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh)"
done
# shellcheck source=newc.sh
. "$repo/scripts/newc.sh"
# shellcheck source=kernel-problems.sh
. "$repo/scripts/kernel-problems.sh"

out=$repo/build/guest/root-boot
rm -rf "$out"
mkdir -p "$out"
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
failed() { echo "FAIL - $1"; fail=$((fail + 1)); }

# --- the disk ----------------------------------------------------------------

image=$out/disk.img
sector=512
disk_sectors=$(((512 << 20) / sector))
# Partition 1 is swap, for the hibernation image; partition 2 the root.
p1_start=2048 p1_sectors=$(((384 << 20) / sector))
p2_start=$((p1_start + p1_sectors))
p2_sectors=$((disk_sectors - p2_start))

# busybox with a link per applet under bin/, in a root directory ROOT.
add_busybox() {
	local applet
	mkdir -p "$1/bin"
	cp "$busybox" "$1/bin/busybox"
	for applet in $("$busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$1/bin/$applet"
	done
}

rootfs=$out/rootfs
mkdir -p "$rootfs"/{sbin,proc,sys,dev,tmp,var,etc}
add_busybox "$rootfs"
install -m 755 "$repo/tools/guest/root-init" "$rootfs/sbin/init"
part=$out/p2.img
truncate -s $((p2_sectors * sector)) "$part"
mkfs.ext4 -q -F -L nvme-rs-root -d "$rootfs" "$part"

# An MBR with two Linux partitions; the image is sparse where nothing is.
truncate -s $((disk_sectors * sector)) "$image"
python3 - "$image" "$p1_start" "$p1_sectors" "$p2_start" "$p2_sectors" <<'EOF'
import struct, sys
path, p1s, p1n, p2s, p2n = sys.argv[1], *map(int, sys.argv[2:])
def entry(kind, start, count):
    # Not bootable; CHS fields unused (0xfe/0xff/0xff).
    return struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", kind, b"\xfe\xff\xff", start, count)
mbr = bytearray(512)
mbr[440:444] = struct.pack("<I", 0x6e766d65)  # disk signature
mbr[446:462] = entry(0x82, p1s, p1n)  # Linux swap
mbr[462:478] = entry(0x83, p2s, p2n)  # Linux
mbr[510:512] = b"\x55\xaa"
with open(path, "r+b") as f:
    f.write(mbr)
EOF
dd if="$part" of="$image" bs=$sector seek="$p2_start" conv=notrunc,sparse status=none

# e2fsck, read-only, on partition 2 as the image holds it now.
fsck_root() {
	local copy=$out/p2-check.img result
	dd if="$image" of="$copy" bs=$sector skip="$p2_start" count="$p2_sectors" conv=sparse status=none
	result=$(e2fsck -fn "$copy" 2>&1) && { rm -f "$copy"; return 0; }
	printf '%s\n' "$result" | head -n 20 | sed 's/^/    /'
	rm -f "$copy"
	return 1
}

# --- the initramfs -----------------------------------------------------------

initrd=$out/initramfs
mkdir -p "$initrd"/{proc,sys,dev,newroot,lib}
add_busybox "$initrd"
cp "$module" "$initrd/lib/nvme_rs.ko"
cat >"$initrd/init" <<'EOF'
#!/bin/sh
# Loads nvme_rs and switches root to the second partition of its first disk.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
give_up() {
	echo "root-boot initramfs: $1"
	poweroff -f
}
insmod /lib/nvme_rs.ko || give_up "insmod nvme_rs.ko failed"
i=0
while [ ! -b /dev/nvme0n1p2 ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || give_up "no /dev/nvme0n1p2 within 60 s"
	sleep 0.1
done
# root_resume: resume the hibernation image on the swap partition, which
# does not come back here; before the root is mounted, as initramfs
# tools do.
if grep -qw root_resume /proc/cmdline; then
	echo "root-boot initramfs: resuming from /dev/nvme0n1p1"
	echo /dev/nvme0n1p1 >/sys/power/resume
	give_up "no hibernation image resumed from /dev/nvme0n1p1"
fi
mount -t ext4 -o ro /dev/nvme0n1p2 /newroot || give_up "cannot mount /dev/nvme0n1p2"
mount --move /dev /newroot/dev
umount /proc /sys
echo "root-boot initramfs: switching root to /dev/nvme0n1p2"
exec switch_root /newroot /sbin/init
EOF
chmod 755 "$initrd/init"
{
	(cd "$initrd" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0)
	newc_record dev/console $((0020600)) 5 1
	newc_record 'TRAILER!!!' 0 0 0
} >"$out/initramfs.cpio"

# --- the boots ---------------------------------------------------------------

# logged_after FIRST THEN LOG: LOG has a line matching THEN (ERE) after one
# matching FIRST.
logged_after() {
	awk -v first="$1" -v then="$2" '$0 ~ first { seen = 1 } seen && $0 ~ then { found = 1 } END { exit !found }' "$3"
}

# boot NAME RUN ENDS [ARGS]: boots the image once, with ARGS on the kernel's
# command line, and judges it. RUN is the root-init run whose checks this
# boot's log must count (root-boot-RUN: N passed, 0 failed); ENDS says how
# the boot ends: poweroff (nvme_rs shuts the controller down, and the file
# system is clean afterwards) or hibernate (the image is written, QEMU
# ends on ACPI S4, and no count is printed: the run goes on in the boot
# that resumes it).
boot() {
	local name=$1 run=$2 ends=$3 args=${4-} log=$out/console-$1.log status=0 count problems
	echo "=== root boot $name${args:+ ($args)}"
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	timeout 600 qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
		-nodefaults -no-user-config -display none -no-reboot \
		-global ICH9-LPC.disable_s4=0 \
		-serial "file:$log" -monitor none \
		-kernel "$bzimage" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 rdinit=/init panic=-1 loglevel=7 hibernate=nocompress no_console_suspend root_boot=$run $args" \
		-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1 \
		-drive "file=$image,if=none,id=root,format=raw" \
		-device nvme,id=nvme0,serial=nvmers-root-0001,bus=rp0 \
		-device nvme-ns,drive=root,bus=nvme0,nsid=1,logical_block_size=$sector,physical_block_size=$sector \
		</dev/null || status=$?
	tr -d '\r' <"$log" >"$log.txt"
	grep -E '^(ok|FAIL) - |^    |root-boot|PM: (hibernation|Image|Read|Wrote)' "$log.txt" | sed 's/^/  guest: /'
	if [ "$status" -eq 0 ]; then
		ok "boot $name: QEMU ended by itself"
	else
		failed "boot $name: QEMU ended by itself (exit status $status$([ "$status" -eq 124 ] && echo ', timed out after 600 s'))"
	fi
	count=$(grep -E "^root-boot-$run: [0-9]+ passed, [0-9]+ failed$" "$log.txt" || true)
	if [ "$ends" = hibernate ]; then
		if grep -qx "root-boot-$run: hibernating" "$log.txt" && [ -z "$count" ]; then
			ok "boot $name: hibernated (no count printed before the resume)"
		else
			failed "boot $name: hibernated (${count:-no 'hibernating' line})"
		fi
	elif [[ $count =~ :\ ([1-9][0-9]*)\ passed,\ 0\ failed$ ]]; then
		ok "boot $name: the root's checks passed (${BASH_REMATCH[1]})"
	else
		failed "boot $name: the root's checks passed (${count:-no count printed})"
	fi
	# The hibernation callbacks, seen in the log (no_console_suspend keeps
	# it going while devices sleep): boot 3's poweroff shuts the
	# controller down after the image is saved; in boot 4, the image's
	# restore brings it back after the image is loaded.
	if [ "$ends" = hibernate ]; then
		if logged_after 'PM: Image saving done' 'nvme_rs [0-9a-f:.]+: nvme0: shutdown complete' "$log.txt"; then
			ok "boot $name: the poweroff callback shut the controller down after the image was saved"
		else
			failed "boot $name: the poweroff callback shut the controller down after the image was saved"
		fi
	elif [[ $args == *root_resume* ]]; then
		if logged_after 'PM: Image loading done' 'nvme_rs [0-9a-f:.]+: nvme0: reset complete' "$log.txt"; then
			ok "boot $name: the restore callback brought the controller back"
		else
			failed "boot $name: the restore callback brought the controller back"
		fi
	fi
	problems=$(grep -nE "$problem_re" "$log.txt" || true)
	if [ -z "$problems" ]; then
		ok "boot $name: guest log clean"
	else
		failed "boot $name: guest log clean:"
		head -n 20 <<<"$problems" | sed 's/^/    /'
	fi
	[ "$ends" = poweroff ] || return 0
	if grep -qE 'nvme_rs [0-9a-f:.]+: nvme0: shutdown complete' "$log.txt"; then
		ok "boot $name: nvme_rs shut the controller down at power-off"
	else
		failed "boot $name: nvme_rs shut the controller down at power-off (no 'shutdown complete')"
	fi
	if fsck_root; then
		ok "boot $name: e2fsck -fn finds the root file system clean"
	else
		failed "boot $name: e2fsck -fn finds the root file system clean"
	fi
}

if fsck_root; then ok "the prepared root file system is clean"; else failed "the prepared root file system is clean"; fi
boot 1 1 poweroff
boot 2 2 poweroff
boot 3 3 hibernate root_then=hibernate
boot 4 3 poweroff root_resume

echo "root-boot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
