#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# The block limits the controller's NVM command set Identify (CNS 06h) sets,
# as C's nvme_init_non_mdts_limits and nvme_config_discard apply them: a
# discard range is at most DMRSL logical blocks, a discard at most DMRL
# ranges (256 where DMRL is 0), and Write Zeroes at most WZSL pages (a
# transfer, MDTS, where WZSL is 0). QEMU 7.2 reports DMRSL 524287 and no
# DMRL or WZSL; the expectations are worked out from what nvme-cli reads,
# so both drivers meet the same ones.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

# field NAME: a field of the NVM command set Identify Controller.
field() {
	nvme nvm-id-ctrl /dev/nvme0 | sed -n "s/^$1 *: *//p"
}
dmrsl=$(field dmrsl)
dmrl=$(field dmrl)
wzsl=$(field wzsl)
mdts=$(nvme id-ctrl /dev/nvme0 | sed -n 's/^mdts *: *//p')
echo "# dmrsl $dmrsl, dmrl $dmrl, wzsl $wzsl, mdts $mdts"
require "nvme-cli reads the limits" test -n "$dmrsl" -a -n "$dmrl" -a -n "$wzsl" -a -n "$mdts"
[ "$dmrl" -eq 0 ] && ranges=256 || ranges=$dmrl
# QEMU's minimum page is 4 KiB.
[ "$wzsl" -eq 0 ] && zeroes=$((4096 << mdts)) || zeroes=$((4096 << wzsl))

for n in 1 2; do
	q=/sys/block/nvme0n$n/queue
	block=$(cat "$q/logical_block_size")
	if [ "$dmrsl" -ne 0 ]; then want=$((dmrsl * block)); else want=$(cat "$q/discard_max_hw_bytes"); fi
	check "nvme0n$n: a discard range is at most DMRSL blocks ($want bytes)" \
		equals "$(cat "$q/discard_max_hw_bytes")" "$want"
	check "nvme0n$n: at most $ranges ranges per discard" equals "$(cat "$q/max_discard_segments")" "$ranges"
	check "nvme0n$n: Write Zeroes of at most $zeroes bytes" equals "$(cat "$q/write_zeroes_max_bytes")" "$zeroes"
done

group_end
