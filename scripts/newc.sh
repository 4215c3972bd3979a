# shellcheck shell=bash
# newc_record NAME MODE RDEVMAJOR RDEVMINOR: one newc cpio record with no
# data, for a device node (or the archive's trailer, 'TRAILER!!!' 0 0 0).
# An initramfs carries /dev/console this way without root to mknod it: the
# kernel needs that node to give /init its stdin and stdout before /init
# can mount devtmpfs. Sourced by scripts/guest.sh and scripts/root-boot.sh.
newc_record() {
	local namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$1"
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}
