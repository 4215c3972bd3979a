#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Temperature sensors in hwmon, as C's hwmon.c: a device named "nvme"
# under the controller whose temp1 is the composite temperature of the
# SMART / Health log, with the over and under thresholds of the
# Temperature Threshold feature (read and written through it) and the
# critical temperature from Identify Controller. QEMU reports only the
# composite temperature, so only temp1 exists.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

hwmon=
for h in /sys/class/nvme/nvme0/hwmon*; do
	[ -f "$h/name" ] && [ "$(cat "$h/name")" = nvme ] && hwmon=$h
done
require "a hwmon device named nvme under nvme0" test -n "$hwmon"

# millicelsius KELVIN: C's kelvin_to_millicelsius.
millicelsius() {
	echo $(($1 * 1000 - 273150))
}
# feature SEL: the Temperature Threshold feature's value (SEL 0 over,
# 1 under, composite sensor) as nvme-cli reads it, in kelvin.
feature() {
	printf '%d' "$(nvme get-feature /dev/nvme0 -f 4 --cdw11=$(($1 << 20)) 2>/dev/null |
		sed -n 's/.*Current value: *\(0x[0-9a-fA-F]*\).*/\1/p')"
}

smart_k=$(nvme smart-log /dev/nvme0 -o json | sed -n 's/.*"temperature" *: *\([0-9]*\).*/\1/p')
cctemp=$(($(nvme id-ctrl /dev/nvme0 | sed -n 's/^cctemp *: *//p')))
echo "# SMART composite $smart_k K, cctemp $cctemp K, thresholds $(feature 0) K over, $(feature 1) K under"
check "temp1_label is Composite" equals "$(cat "$hwmon/temp1_label")" Composite
check "temp1_input is the SMART composite temperature" \
	equals "$(cat "$hwmon/temp1_input")" "$(millicelsius "$smart_k")"
check "temp1_crit is CCTEMP" equals "$(cat "$hwmon/temp1_crit")" "$(millicelsius "$cctemp")"
check "temp1_alarm is clear" equals "$(cat "$hwmon/temp1_alarm")" 0
check "temp1_max is the over threshold" equals "$(cat "$hwmon/temp1_max")" "$(millicelsius "$(feature 0)")"
check "temp1_min is the under threshold" equals "$(cat "$hwmon/temp1_min")" "$(millicelsius "$(feature 1)")"
check "no temp2: QEMU reports no other sensor" test ! -e "$hwmon/temp2_input"

# Writing a threshold sets the feature, rounded to whole kelvin.
over=$(feature 0)
check "write temp1_max 70.4 degrees" sysfs_write 70400 "$hwmon/temp1_max"
check "the over threshold is now 344 K" equals "$(feature 0)" 344
check "temp1_max reads it back" equals "$(cat "$hwmon/temp1_max")" 70850
check "put the over threshold back" sysfs_write "$(millicelsius "$over")" "$hwmon/temp1_max"
check "the over threshold is $over K again" equals "$(feature 0)" "$over"

group_end
