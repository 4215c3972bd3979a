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
#
# Then the write sizes from Identify Namespace, as C's
# nvme_update_disk_info and nvme_configure_atomic_write: the physical
# block and io_min from NPWG, io_opt from NOWS (where NSFEAT says they
# are valid), the physical block no larger than the power-fail atomic
# unit (NAWUPF, or the controller's AWUPF); and write protection (NSATTR).
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

awupf=$(($(nvme id-ctrl /dev/nvme0 | sed -n 's/^awupf *: *//p')))
for n in 1 2; do
	q=/sys/block/nvme0n$n/queue
	idns=$(nvme id-ns /dev/nvme0n$n)
	nsfield() { printf '%d' "$(echo "$idns" | sed -n "s/^$1 *: *//p")"; }
	nsfeat=$(nsfield nsfeat) nawupf=$(nsfield nawupf) nabo=$(nsfield nabo)
	npwg=$(nsfield npwg) nows=$(nsfield nows) nsattr=$(nsfield nsattr)
	echo "# nvme0n$n: nsfeat $nsfeat nawupf $nawupf nabo $nabo npwg $npwg nows $nows nsattr $nsattr dlfeat $(nsfield dlfeat); awupf $awupf"
	bs=$(cat "$q/logical_block_size")
	if [ "$nabo" -ne 0 ]; then
		atomic=$bs
	elif [ $((nsfeat & 2)) -ne 0 ] && [ "$nawupf" -ne 0 ]; then
		atomic=$(((1 + nawupf) * bs))
	else
		atomic=$(((1 + awupf) * bs))
	fi
	phys=$bs opt=0
	if [ $((nsfeat & 16)) -ne 0 ]; then
		phys=$(((1 + npwg) * bs))
		[ "$nows" -ne 0 ] && opt=$(((1 + nows) * bs))
	fi
	[ "$phys" -lt "$atomic" ] && want=$phys || want=$atomic
	check "nvme0n$n: physical block $want bytes" equals "$(cat "$q/physical_block_size")" "$want"
	check "nvme0n$n: io_min $phys bytes" equals "$(cat "$q/minimum_io_size")" "$phys"
	check "nvme0n$n: io_opt $opt bytes" equals "$(cat "$q/optimal_io_size")" "$opt"
	check "nvme0n$n: read-only as NSATTR says" equals "$(cat "/sys/block/nvme0n$n/ro")" $((nsattr & 1))
	# Atomic writes: none at all with an atomic boundary offset; else
	# from one block up to the atomic unit (QEMU's units are far below
	# the transfer limit the block layer also caps them at).
	if [ "$nabo" -ne 0 ]; then atomic=0 unit=0; else unit=$bs; fi
	check "nvme0n$n: atomic writes of at most $atomic bytes" \
		equals "$(cat "$q/atomic_write_max_bytes")" "$atomic"
	check "nvme0n$n: atomic write unit at least $unit bytes" \
		equals "$(cat "$q/atomic_write_unit_min_bytes")" "$unit"
done

group_end
