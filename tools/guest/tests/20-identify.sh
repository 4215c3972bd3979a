#!/bin/sh
# The identify report matches what QEMU was told to emulate (values from
# /etc/nvme-rs-expect, written by scripts/guest.sh).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "nvme_rs loaded" ensure_loaded

# The whole log: the report of the latest probe counts.
log=$(dmesg)
field() { # field REGEX SED_EXPR: from the last line matching REGEX
	printf '%s\n' "$log" | grep -E "$1" | tail -n 1 | sed -nE "$2"
}

ctrl=$(field "$RE_CTRL" 's/.*: (nvme[0-9]+): model .*/\1/p')
require "controller line present" test -n "$ctrl"
check "controller is nvme0" equals "$ctrl" nvme0
check "serial is $SERIAL" equals "$(field "$RE_CTRL" 's/.* serial "([^"]*)",.*/\1/p')" "$SERIAL"
model=$(field "$RE_CTRL" 's/.* model "([^"]*)",.*/\1/p')
echo "# model \"$model\""
check "model is not empty" test -n "$model"
check "firmware is not empty" test -n "$(field "$RE_CTRL" 's/.* firmware "([^"]*)",.*/\1/p')"
check "namespace count is $NS_COUNT" \
	equals "$(field "$RE_NSCOUNT" 's/.*: ([0-9]+) active namespaces?$/\1/p')" "$NS_COUNT"

nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	want_blocks='' want_lba=''
	eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	re="nvme_rs $RE_BDF: ${ctrl}n$nsid: [0-9]+ blocks of"
	check "ns $nsid: reported" test -n "$(field "$re" p)"
	check "ns $nsid: $want_blocks blocks" \
		equals "$(field "$re" 's/.*: ([0-9]+) blocks of.*/\1/p')" "$want_blocks"
	check "ns $nsid: LBA size $want_lba" \
		equals "$(field "$re" 's/.* blocks of ([0-9]+) bytes.*/\1/p')" "$want_lba"
	check "ns $nsid: capacity $((want_blocks * want_lba)) bytes" \
		equals "$(field "$re" 's/.* \(([0-9]+) bytes\).*/\1/p')" "$((want_blocks * want_lba))"
	nsid=$((nsid + 1))
done
check "no namespace beyond $NS_COUNT" \
	equals "$(printf '%s\n' "$log" | grep -E "$RE_NS" | grep -cF ": ${ctrl}n$nsid: ")" 0

group_end
