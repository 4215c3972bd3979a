#!/usr/bin/env bash
# Root on NVMe: boots the test kernel twice from a disk image whose root
# file system is an ext4 partition of an nvme_rs disk, as users boot QEMU
# NVMe images in CI.
#
#   scripts/root-boot.sh --kernel-dir DIR --module PATH
#
# The host prepares a 64 MiB image with an MBR partition table: partition 1
# is a small unused one, partition 2 an ext4 file system holding a static
# busybox and /sbin/init (tools/guest/root-init). The initramfs holds only
# busybox and nvme_rs.ko: its /init loads the module, waits for
# /dev/nvme0n1p2, mounts it read-only and switches root to it. The root's
# init checks that it runs from that partition through nvme_rs, writes and
# reads back a file, checks the file the boot before wrote, remounts the
# root read-only and powers the guest off with the driver bound.
#
# Each boot passes when QEMU ends by itself, the root's init printed its
# count with no failure, the driver shut the controller down, the kernel
# log has no problem report, and e2fsck on the host, run read-only on the
# partition afterwards, finds the file system clean. The second boot also
# finds the first boot's file and no journal recovery at mount.
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
disk_sectors=$(((64 << 20) / sector))
p1_start=2048 p1_sectors=4096
p2_start=8192 p2_sectors=$((disk_sectors - 8192))

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
def entry(start, count):
    # Not bootable; CHS fields unused (0xfe/0xff/0xff); type 0x83, Linux.
    return struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", start, count)
mbr = bytearray(512)
mbr[440:444] = struct.pack("<I", 0x6e766d65)  # disk signature
mbr[446:462] = entry(p1s, p1n)
mbr[462:478] = entry(p2s, p2n)
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

# boot N: boots the image once and judges it.
boot() {
	local n=$1 log=$out/console-$1.log status=0 count problems
	echo "=== root boot $n"
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	timeout 600 qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$log" -monitor none \
		-kernel "$bzimage" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 rdinit=/init panic=-1 loglevel=7 root_boot=$n" \
		-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1 \
		-drive "file=$image,if=none,id=root,format=raw" \
		-device nvme,id=nvme0,serial=nvmers-root-0001,bus=rp0 \
		-device nvme-ns,drive=root,bus=nvme0,nsid=1,logical_block_size=$sector,physical_block_size=$sector \
		</dev/null || status=$?
	tr -d '\r' <"$log" >"$log.txt"
	grep -E '^(ok|FAIL) - |^    |root-boot' "$log.txt" | sed 's/^/  guest: /'
	if [ "$status" -eq 0 ]; then
		ok "boot $n: QEMU ended by itself"
	else
		failed "boot $n: QEMU ended by itself (exit status $status$([ "$status" -eq 124 ] && echo ', timed out after 600 s'))"
	fi
	count=$(grep -E "^root-boot-$n: [0-9]+ passed, [0-9]+ failed$" "$log.txt" || true)
	if [[ $count =~ :\ ([1-9][0-9]*)\ passed,\ 0\ failed$ ]]; then
		ok "boot $n: the root's checks passed (${BASH_REMATCH[1]})"
	else
		failed "boot $n: the root's checks passed (${count:-no count printed})"
	fi
	if grep -qE 'nvme_rs [0-9a-f:.]+: nvme0: shutdown complete' "$log.txt"; then
		ok "boot $n: nvme_rs shut the controller down at power-off"
	else
		failed "boot $n: nvme_rs shut the controller down at power-off (no 'shutdown complete')"
	fi
	problems=$(grep -nE "$problem_re" "$log.txt" || true)
	if [ -z "$problems" ]; then
		ok "boot $n: guest log clean"
	else
		failed "boot $n: guest log clean:"
		head -n 20 <<<"$problems" | sed 's/^/    /'
	fi
	if fsck_root; then
		ok "boot $n: e2fsck -fn finds the root file system clean"
	else
		failed "boot $n: e2fsck -fn finds the root file system clean"
	fi
}

if fsck_root; then ok "the prepared root file system is clean"; else failed "the prepared root file system is clean"; fi
boot 1
boot 2

echo "root-boot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
