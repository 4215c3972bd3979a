#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# needs: formats
# drivers: rs c
# Namespaces whose format a block device cannot simply carry, in the
# formats boot (GUEST_SETUP=formats; FMT_* in /etc/nvme-rs-expect). The
# test kernel has CONFIG_BLK_DEV_INTEGRITY and CONFIG_BLK_DEV_ZONED; C 6.12
# is the reference:
#  - separate metadata without PI: a disk with the block layer's "nop"
#    integrity profile, whose zeroed metadata buffer each command points
#    at;
#  - separate PI type 1 that is the whole metadata: a disk with the
#    T10-DIF-TYPE1-CRC profile (the block layer generates the PI, with the
#    LBA as reference tag, and verifies it on reads; the controller checks
#    guard and reference tag); with write_generate off, writes carry no
#    buffer and the controller generates the PI (PRACT);
#  - separate PI type 3 in the last 8 of 16 bytes of metadata: the
#    T10-DIF-TYPE3-CRC profile at offset 8; PI type 1 with the 64-bit guard
#    of an Extended LBA Format (QEMU pif=2): EXT-DIF-TYPE1-CRC64, its
#    48-bit reference tags in CDW14 and CDW3;
#  - interleaved metadata: capacity 0, and the generic node moves each
#    block with its metadata;
#  - a zoned namespace: a host-managed zoned disk with the controller's
#    open and active limits (QEMU zoned.max_open and max_active, each
#    refusing one zone more), zone reports, open, close, finish and
#    reset, fio's zoned mode, and Zone Append through the generic node
#    and through the block layer (the test module tools/zone-append:
#    REQ_OP_ZONE_APPEND bios return the sectors they were written at, and
#    a full zone refuses one); an unprivileged user's zone commands are
#    judged by the ZNS command set's effects log, as C's.
# Passthrough takes metadata buffers where the disk has a profile, as C.
# Beyond C, nvme_rs refuses passthrough that would have the controller
# move separate metadata through a metadata pointer of 0, or past the end
# of a buffer too short for it: C sends both, and the controller then
# writes or reads guest physical address 0 or past the buffer, so those
# checks are not run against C.
#
# The C driver names disks in the order its scan finishes: namespaces are
# found by the NSID their generic node reports.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "formats boot" test "${SETUP:-}" = formats
require "driver loaded with default parameters" load_driver

require "generic nodes of namespaces $FMT_META_NSID to $FMT_PI64_NSID" \
	wait_for "ng_of $FMT_META_NSID && ng_of $FMT_PI_NSID && ng_of $FMT_EXT_NSID && ng_of $FMT_ZONED_NSID && ng_of $FMT_PI3_NSID && ng_of $FMT_PI64_NSID" 60
meta_ng=$(ng_of "$FMT_META_NSID")
pi_ng=$(ng_of "$FMT_PI_NSID")
ext_ng=$(ng_of "$FMT_EXT_NSID")
zoned_ng=$(ng_of "$FMT_ZONED_NSID")
pi3_ng=$(ng_of "$FMT_PI3_NSID")
pi64_ng=$(ng_of "$FMT_PI64_NSID")
# The disk shares its generic node's name: ng0nX and nvme0nX.
meta=nvme${meta_ng#/dev/ng}
pi=nvme${pi_ng#/dev/ng}
ext=nvme${ext_ng#/dev/ng}
zoned=nvme${zoned_ng#/dev/ng}
pi3=nvme${pi3_ng#/dev/ng}
pi64=nvme${pi64_ng#/dev/ng}

# sectors DISK: its capacity in 512-byte sectors, from sysfs.
sectors() {
	cat "/sys/block/$1/size"
}

# refused WHAT NVME-ARGUMENT...: nvme-cli fails with EINVAL (and the
# controller never saw the command, so nothing was read or written).
refused() {
	local out
	if out=$(nvme "$@" 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	case $out in
	*"Invalid argument"*) return 0 ;;
	esac
	echo "failed otherwise: $out"
	return 1
}

is_rs() {
	[ "${NVME_RS_DRIVER:-rs}" = rs ]
}

# integrity DISK ATTRIBUTE: the disk's integrity attribute in sysfs.
integrity() {
	cat "/sys/block/$1/integrity/$2"
}

# le32 N: N as 4 little-endian bytes.
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}

# mbr_partition DISK START SECTORS: writes an MBR whose one partition (type
# 83h) starts at sector START and has SECTORS, and has the kernel read it.
mbr_partition() {
	{
		head -c 446 /dev/zero
		printf '\000\000\000\000\203\000\000\000'
		le32 "$2"
		le32 "$3"
		head -c 48 /dev/zero
		printf '\125\252'
	} >/tmp/fmt-mbr
	dd if=/tmp/fmt-mbr of="/dev/$1" bs=512 count=1 oflag=direct conv=notrunc status=none &&
		blockdev --rereadpt "/dev/$1" && wait_for "test -b /dev/${1}p1" 10
}

# fio_verify DISK NAME: random writes of mixed sizes through the disk,
# read back and verified.
fio_verify() {
	fio_ok --verify --name="$2" --filename="/dev/$1" --direct=1 --ioengine=io_uring \
		--iodepth=8 --rw=randwrite --bs=512-16k --size=4M --verify=crc32c \
		--verify_fatal=1 --do_verify=1 --verify_state_save=0
}

# --- separate metadata, no PI -------------------------------------------------

check "$meta (separate metadata): capacity of $FMT_PI_BLOCKS blocks" \
	equals "$(sectors "$meta")" "$FMT_PI_BLOCKS"
check "$meta: integrity profile nop" equals "$(integrity "$meta" format)" nop
check "$meta: no tags for the block layer" equals "$(integrity "$meta" tag_size)" 0
check "$meta: one metadata interval per block" \
	equals "$(integrity "$meta" protection_interval_bytes)" 512
check "$meta: fio verify through the block device" fio_verify "$meta" meta
if is_rs; then
	check "$meta: passthrough read without a metadata buffer refused" \
		refused read "$meta_ng" --start-block=0 --block-count=0 --data-size=512 --data=/tmp/fmt-read
	head -c 512 /dev/urandom >/tmp/fmt-in
	check "$meta: passthrough write without a metadata buffer refused" \
		refused write "$meta_ng" --start-block=0 --block-count=0 --data-size=512 --data=/tmp/fmt-in
	check "$meta: passthrough write with PRACT refused (no PI to act on)" \
		refused write "$meta_ng" --start-block=0 --block-count=0 --data-size=512 --data=/tmp/fmt-in --prinfo=8
	check "$meta: the driver says the metadata is in integrity buffers" \
		sh -c "dmesg | grep -q '${meta}: metadata in the block layer.s integrity buffers, 8 bytes per block, protection information None'"
else
	skip "$meta: passthrough without a metadata buffer" "C 6.12 sends it with a metadata pointer of 0"
fi
check "$meta: flush through the generic node still works" nvme flush "$meta_ng"

# --- PI type 1, 8 bytes: the block layer generates it, both check it ---------

check "$pi (PI type 1): capacity of $FMT_PI_BLOCKS blocks" equals "$(sectors "$pi")" "$FMT_PI_BLOCKS"
check "$pi: integrity profile T10-DIF-TYPE1-CRC" equals "$(integrity "$pi" format)" T10-DIF-TYPE1-CRC
check "$pi: the device checks it" equals "$(integrity "$pi" device_is_integrity_capable)" 1
check "$pi: fio verify through the block device" fio_verify "$pi" pi
check "$pi: blocks 0-127 written" fio_ok --wrote --name=pi-seq --filename="/dev/$pi" \
	--direct=1 --rw=write --bs=4k --size=64k
# PRINFO 0xd: PRACT, guard and reference tag checked. The controller
# checks the PI the block writes left: the LBA as reference tag.
check "$pi: PI written with the LBA as reference tag" \
	nvme read "$pi_ng" --start-block=100 --block-count=0 --data-size=512 \
	--data=/tmp/fmt-read --prinfo=0xd --ref-tag=100
check "$pi: a wrong reference tag fails the check" \
	sh -c "! nvme read $pi_ng --start-block=100 --block-count=0 --data-size=512 --data=/tmp/fmt-read --prinfo=0xd --ref-tag=99"
# Without generated PI, writes carry no buffer: the controller inserts PI
# (PRACT), which it checks again on the next read.
echo 0 >"/sys/block/$pi/integrity/write_generate"
check "$pi: writes without the block layer's PI (write_generate 0)" fio_ok --wrote \
	--name=pi-pract --filename="/dev/$pi" --direct=1 --rw=write --bs=4k --size=64k --offset=1M
echo 1 >"/sys/block/$pi/integrity/write_generate"
check "$pi: their PI has the LBA as reference tag" \
	nvme read "$pi_ng" --start-block=2050 --block-count=0 --data-size=512 \
	--data=/tmp/fmt-read --prinfo=0xd --ref-tag=2050
check "$pi: and the block layer verifies it on reads" \
	dd if="/dev/$pi" of=/dev/null bs=4k skip=256 count=16 iflag=direct status=none
# A partition at LBA 8192: the block layer generates reference tags from
# the partition's start and remaps them to the disk's LBAs, which the
# command's reference tag (the LBA) must then match.
check "$pi: an MBR with one partition at LBA 8192" mbr_partition "$pi" 8192 8192
check "$pi: fio verify through the partition" fio_verify "${pi}p1" pi-part
check "$pi: the partition's PI has the disk's LBA as reference tag" \
	nvme read "$pi_ng" --start-block=8292 --block-count=0 --data-size=512 \
	--data=/tmp/fmt-read --prinfo=0xd --ref-tag=8292
if is_rs; then
	check "$pi: passthrough read without PRACT refused" \
		refused read "$pi_ng" --start-block=100 --block-count=0 --data-size=512 --data=/tmp/fmt-read
	check "$pi: the driver says the PI is in integrity buffers" \
		sh -c "dmesg | grep -q '${pi}: metadata in the block layer.s integrity buffers, 8 bytes per block, protection information Some(Type1) (guard Crc16)'"
else
	skip "$pi: passthrough read without PRACT" "C 6.12 sends it with a metadata pointer of 0"
fi

# --- 16 bytes of metadata: PI type 3 at offset 8, the 64-bit guard -------------

check "$pi3 (PI type 3, last 8 of 16 bytes): capacity of $FMT_MS16_BLOCKS blocks" \
	equals "$(sectors "$pi3")" "$FMT_MS16_BLOCKS"
check "$pi3: integrity profile T10-DIF-TYPE3-CRC" equals "$(integrity "$pi3" format)" T10-DIF-TYPE3-CRC
check "$pi3: fio verify through the block device" fio_verify "$pi3" pi3
check "$pi64 (PI type 1, 64-bit guard): capacity of $FMT_MS16_BLOCKS blocks" \
	equals "$(sectors "$pi64")" "$FMT_MS16_BLOCKS"
check "$pi64: integrity profile EXT-DIF-TYPE1-CRC64" \
	equals "$(integrity "$pi64" format)" EXT-DIF-TYPE1-CRC64
check "$pi64: fio verify through the block device" fio_verify "$pi64" pi64
check "$pi64: blocks 0-127 written" fio_ok --wrote --name=pi64-seq --filename="/dev/$pi64" \
	--direct=1 --rw=write --bs=4k --size=64k
# PRINFO 0xd: the controller checks guard and 48-bit reference tag.
check "$pi64: PI written with the LBA as reference tag" \
	nvme read "$pi64_ng" --start-block=100 --block-count=0 --data-size=512 \
	--data=/tmp/fmt-read --prinfo=0xd --ref-tag=100
if is_rs; then
	check "$pi64: the driver read the guard from the NVM Identify Namespace" \
		sh -c "dmesg | grep -q '${pi64}: metadata in the block layer.s integrity buffers, 16 bytes per block, protection information Some(Type1) (guard Crc64)'"
fi

# --- passthrough with metadata buffers ------------------------------------------

# IO64_CMD, SUBMIT_IO and NVME_URING_CMD_IO with metadata buffers on both
# namespaces, and a write whose PI has a wrong guard (tools/passthru/
# nvme-metadata-test.c). Bounded: if it hangs, what it printed counts.
md_out=$(timeout 120 nvme-metadata-test --driver "${NVME_RS_DRIVER:-rs}" \
	"$meta_ng" "$FMT_META_NSID" "$pi_ng" "$FMT_PI_NSID" 2>&1)
count_lines_from "$md_out" $? nvme-metadata-test
# It left LBA 2112 of the PI namespace with a wrong guard: the controller's
# Guard Check Error reaches a reader of the disk as EILSEQ (C maps the
# status to BLK_STS_PROTECTION).
check "$pi: a block with a wrong guard reads as EILSEQ" sh -c \
	"! dd if=/dev/$pi of=/dev/null bs=4k skip=264 count=1 iflag=direct 2>/tmp/fmt-dd.err &&
	grep -q 'Invalid or incomplete multibyte or wide character' /tmp/fmt-dd.err"

# --- interleaved metadata -------------------------------------------------------

check "$ext (interleaved metadata): capacity 0" equals "$(sectors "$ext")" 0
head -c "$((2 * FMT_EXT_BLOCK))" /dev/urandom >/tmp/fmt-ext-in
check "$ext: two blocks with metadata written through the generic node" \
	nvme write "$ext_ng" --start-block=8 --block-count=1 --data-size=$((2 * FMT_EXT_BLOCK)) --data=/tmp/fmt-ext-in
check "$ext: and read back the same" sh -c "
	nvme read $ext_ng --start-block=8 --block-count=1 --data-size=$((2 * FMT_EXT_BLOCK)) --data=/tmp/fmt-ext-out &&
	cmp /tmp/fmt-ext-in /tmp/fmt-ext-out"

# --- zoned ----------------------------------------------------------------------

zq=/sys/block/$zoned/queue
zone_sectors=$((FMT_ZONE_BLOCKS * 8))
# zone_cond N: the condition blkzone reports for zone N, as "2(oi)".
zone_cond() {
	blkzone report -o $(($1 * zone_sectors)) -c 1 "/dev/$zoned" |
		sed -nE 's/.*zcond: *([0-9]+\([a-z]+\)).*/\1/p'
}
# zone_wp N: zone N's write pointer, in sectors from the zone's start.
zone_wp() {
	blkzone report -o $(($1 * zone_sectors)) -c 1 "/dev/$zoned" |
		sed -nE 's/.*wptr (0x[0-9a-f]+).*/\1/p'
}
# zones_cmd ACTION FIRST COUNT: blkzone ACTION on COUNT zones from FIRST.
zones_cmd() {
	blkzone "$1" -o $(($2 * zone_sectors)) -c "$3" "/dev/$zoned"
}

check "$zoned (zoned): a block device" test -b "/dev/$zoned"
check "$zoned: host-managed" equals "$(cat "$zq/zoned")" host-managed
check "$zoned: $FMT_ZONES zones" equals "$(cat "$zq/nr_zones")" "$FMT_ZONES"
check "$zoned: zones of $FMT_ZONE_BLOCKS blocks" equals "$(cat "$zq/chunk_sectors")" "$zone_sectors"
check "$zoned: at most $FMT_ZONE_MAX_OPEN open zones" \
	equals "$(cat "$zq/max_open_zones")" "$FMT_ZONE_MAX_OPEN"
check "$zoned: at most $FMT_ZONE_MAX_ACTIVE active zones" \
	equals "$(cat "$zq/max_active_zones")" "$FMT_ZONE_MAX_ACTIVE"
check "$zoned: zone appends up to the transfer limit" \
	equals "$(cat "$zq/zone_append_max_bytes")" "$(($(cat "$zq/max_hw_sectors_kb") * 1024))"
check "blkzone report: $FMT_ZONES zones, all empty" \
	equals "$(blkzone report "/dev/$zoned" | grep -c 'zcond: *1(em)')" "$FMT_ZONES"
zones=$(nvme zns report-zones "$zoned_ng" 2>&1)
check "$zoned: the generic node reports $FMT_ZONES zones too" \
	equals "$(printf '%s\n' "$zones" | grep -c 'SLBA:')" "$FMT_ZONES"

# The zone state machine through the block device.
check "$zoned: 64 KiB written to zone 1" dd if=/dev/urandom of="/dev/$zoned" bs=64k count=1 \
	seek=$((FMT_ZONE_BLOCKS / 16)) oflag=direct status=none
check "$zoned: zone 1 implicitly open" equals "$(zone_cond 1)" "2(oi)"
check "$zoned: its write pointer moved 128 sectors" equals "$(($(zone_wp 1)))" 128
check "$zoned: a write away from the write pointer fails" sh -c \
	"! dd if=/dev/zero of=/dev/$zoned bs=4k count=1 seek=$((FMT_ZONE_BLOCKS + 64)) oflag=direct status=none 2>/dev/null"
check "blkzone close zone 1" zones_cmd close 1 1
check "$zoned: zone 1 closed" equals "$(zone_cond 1)" "4(cl)"
check "blkzone finish zone 1" zones_cmd finish 1 1
check "$zoned: zone 1 full" equals "$(zone_cond 1)" "14(fu)"
check "blkzone reset zone 1" zones_cmd reset 1 1
check "$zoned: zone 1 empty again" equals "$(zone_cond 1)" "1(em)"
# The open limit: the controller refuses one zone more.
check "blkzone open zones 0-$((FMT_ZONE_MAX_OPEN - 1))" zones_cmd open 0 "$FMT_ZONE_MAX_OPEN"
check "$zoned: zone 0 explicitly open" equals "$(zone_cond 0)" "3(oe)"
check "$zoned: opening zone $FMT_ZONE_MAX_OPEN beyond the limit fails" \
	sh -c "! blkzone open -o $((FMT_ZONE_MAX_OPEN * zone_sectors)) -c 1 /dev/$zoned 2>/dev/null"
# The active limit: closed zones stay active; with FMT_ZONE_MAX_ACTIVE
# zones active the controller refuses to open one more, and a write that
# would open one fails.
check "blkzone close zones 0-$((FMT_ZONE_MAX_OPEN - 1))" zones_cmd close 0 "$FMT_ZONE_MAX_OPEN"
check "blkzone open zones $FMT_ZONE_MAX_OPEN-$((FMT_ZONE_MAX_ACTIVE - 1))" \
	zones_cmd open "$FMT_ZONE_MAX_OPEN" $((FMT_ZONE_MAX_ACTIVE - FMT_ZONE_MAX_OPEN))
check "$zoned: $FMT_ZONE_MAX_ACTIVE zones active (closed or open)" equals \
	"$(blkzone report "/dev/$zoned" | grep -cE 'zcond: *(3\(oe\)|4\(cl\))')" "$FMT_ZONE_MAX_ACTIVE"
check "$zoned: opening zone $FMT_ZONE_MAX_ACTIVE beyond the active limit fails" \
	sh -c "! blkzone open -o $((FMT_ZONE_MAX_ACTIVE * zone_sectors)) -c 1 /dev/$zoned 2>/dev/null"
check "$zoned: so does a write to it" sh -c \
	"! dd if=/dev/zero of=/dev/$zoned bs=4k count=1 seek=$((FMT_ZONE_MAX_ACTIVE * FMT_ZONE_BLOCKS)) oflag=direct status=none 2>/dev/null"
check "$zoned: zone $FMT_ZONE_MAX_ACTIVE still empty" equals "$(zone_cond "$FMT_ZONE_MAX_ACTIVE")" "1(em)"
check "blkzone reset of every zone" blkzone reset "/dev/$zoned"
check "$zoned: every zone empty after it" \
	equals "$(blkzone report "/dev/$zoned" | grep -c 'zcond: *1(em)')" "$FMT_ZONES"

# fio's zoned mode: sequential writes across zones, read back and verified.
check "$zoned: fio zonemode=zbd verify across 3 zones" fio_ok --verify --name=zbd \
	--filename="/dev/$zoned" --direct=1 --ioengine=psync --zonemode=zbd \
	--offset=$((2 * FMT_ZONE_BLOCKS * 4096)) --size=$((3 * FMT_ZONE_BLOCKS * 4096)) \
	--rw=write --bs=64k --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--verify_state_save=0

# Zone Append through the generic node: the controller says where.
head -c 8192 /dev/urandom >/tmp/fmt-append
append_zone=$((6 * FMT_ZONE_BLOCKS))
check "$zoned: 4 KiB written to zone 6 first" dd if=/dev/zero of="/dev/$zoned" bs=4k count=1 \
	seek="$append_zone" oflag=direct status=none
append_out=$(nvme zns zone-append "$zoned_ng" --zslba="$append_zone" --data-size=8192 \
	--data=/tmp/fmt-append 2>&1)
check "nvme zns zone-append: appended after the first block" \
	equals "$(printf '%s\n' "$append_out" | sed -nE 's/.*appended data to LBA (0x)?([0-9a-f]+).*/\2/p')" \
	"$(printf '%x' $((append_zone + 1)))"
check "$zoned: and the data is there" sh -c \
	"dd if=/dev/$zoned bs=4k skip=$((append_zone + 1)) count=2 iflag=direct status=none | cmp - /tmp/fmt-append"
blkzone reset "/dev/$zoned"

# An unprivileged user's zone commands on the generic node follow the ZNS
# command set's effects log, not the NVM one (C head->effects): reading
# zones is allowed (the ZNS log marks Zone Management Receive supported); a
# Zone Append from a node opened read-only (as nvme-cli opens it) is not.
# (util-linux's setpriv by its path: busybox sh prefers its own applet.)
unprivileged() {
	/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
# refused_unprivileged COMMAND...: fails with EACCES as user 65534.
refused_unprivileged() {
	local out
	if out=$(unprivileged "$@" 2>&1); then
		echo "succeeded: $out"
		return 1
	fi
	printf '%s\n' "$out" | grep -q 'Permission denied' && return 0
	echo "failed otherwise: $out"
	return 1
}
chmod 0666 "$zoned_ng"
# Zone Management Receive (report zones) as io-passthru, one page of it.
check "unprivileged: Zone Management Receive on $zoned_ng" unprivileged nvme io-passthru \
	"$zoned_ng" --opcode=0x7a --namespace-id="$FMT_ZONED_NSID" --data-len=4096 --read \
	--cdw12=1023 --raw-binary
check "unprivileged: Zone Append through a read-only open is refused" refused_unprivileged \
	nvme zns zone-append "$zoned_ng" --zslba=0 --data-size=4096 --data=/tmp/fmt-append
check "$zoned: and nothing was appended" equals "$(zone_cond 0)" "1(em)"
chmod 0600 "$zoned_ng"

# Zone Append through the block layer (REQ_OP_ZONE_APPEND), which no file
# system here issues: the test module appends to zone 7 and reads back,
# printing its checks to the log.
dmesg_mark
insmod /lib/nvme-rs/zone_append_test.ko dev="/dev/$zoned" zone=7
za_status=$?
count_lines_from "$(dmesg_since_mark | sed -n 's/.*zone-append-test: \(ok - \|FAIL - \)/\1/p')" \
	"$za_status" zone_append_test.ko
rmmod zone_append_test 2>/dev/null
blkzone reset "/dev/$zoned"

# The ordinary namespaces beside them are untouched.
check "namespaces 1 and 2 keep their disks" all_nodes_present

group_end
