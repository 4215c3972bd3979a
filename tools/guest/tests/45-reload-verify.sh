#!/bin/sh
# shellcheck disable=SC2317 # functions run through check
# Fifty rmmod/insmod cycles with a short verify between them: data written
# and flushed before each unload reads back after the reload; every tenth
# cycle the char devices are used before the unload (nvme-cli, io_uring
# passthrough) and fio verifies on the new disk. Unload and reload must
# neither lose acknowledged data nor hang, however often they come.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CYCLES=${RELOAD_CYCLES:-50}
DEV=/dev/nvme0n1
# Stamps go to blocks of 4 KiB from 40 MiB on, one per cycle, clear of the
# fio region below (32 MiB, 2 MiB long).
STAMP_BASE=10240

require "nvme_rs loaded" load_nvme_rs

# stamp_matches CYCLE: the block written before cycle CYCLE's unload holds
# what was written.
stamp_matches() {
	dd if="$DEV" bs=4k skip=$((STAMP_BASE + $1)) count=1 iflag=direct 2>/dev/null |
		cmp - "/tmp/stamp-$1"
}

i=1
while [ "$i" -le "$CYCLES" ]; do
	head -c 4096 /dev/urandom >"/tmp/stamp-$i"
	check "cycle $i: write and flush a stamp" \
		dd if="/tmp/stamp-$i" of="$DEV" bs=4k seek=$((STAMP_BASE + i)) oflag=direct conv=fsync
	# Every tenth cycle also uses the char devices before the unload and
	# runs fio after the reload; fio's start-up under TCG is too slow for
	# every one.
	busy=$((i % 10 == 0))
	if [ "$busy" = 1 ]; then
		check "cycle $i: nvme id-ctrl on /dev/nvme0" nvme id-ctrl /dev/nvme0
		check "cycle $i: passthrough read on /dev/ng0n2" fio_ok --read --name=pt \
			--filename=/dev/ng0n2 --ioengine=io_uring_cmd --cmd_type=nvme \
			--rw=randread --bs=4k --size=1M --iodepth=4
	fi
	require "cycle $i: rmmod, insmod, disks back" load_nvme_rs
	check "cycle $i: stamp reads back after the reload" stamp_matches "$i"
	if [ "$busy" = 1 ]; then
		check "cycle $i: fio verify on the new disk" fio_ok --verify --name=v \
			--filename="$DEV" --ioengine=io_uring --direct=1 --rw=randwrite \
			--bs=4k --offset=32M --size=2M --iodepth=8 --verify=crc32c
	fi
	i=$((i + 1))
done

# Every stamp, not just the last one, survived all the reloads after it.
bad=
i=1
while [ "$i" -le "$CYCLES" ]; do
	stamp_matches "$i" || bad="$bad $i"
	i=$((i + 1))
done
check "all $CYCLES stamps read back at the end" equals "${bad:-none}" none

group_end
