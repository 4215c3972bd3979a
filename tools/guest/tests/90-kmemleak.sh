#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# needs: plain formats
# Runs last: nothing the earlier groups did may have leaked. The init cleared
# kmemleak's list before the first group, so boot-time reports do not count.
# In the formats boot it checks what 66-formats did: integrity buffers,
# metadata bounce buffers, zone reports.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak

no_leaks() {
	local report
	report=$(cat "$KMEMLEAK") || return 1
	[ -z "$report" ] && return 0
	echo "$(printf '%s\n' "$report" | grep -c '^unreferenced object') suspected leaks:"
	printf '%s\n' "$report" | head -n 100
	return 1
}

# A missing file means the kernel lost kmemleak (e.g. its pool ran out), and
# then nothing was checked: that is a failure, not a skip.
require "kmemleak debugfs file exists" test -e "$KMEMLEAK"
check "first scan" sysfs_write scan "$KMEMLEAK"
# kmemleak reports an object only if it is older than 5 s and its contents
# did not change since the previous scan, hence two scans this far apart.
sleep 6
check "second scan" sysfs_write scan "$KMEMLEAK"
check "no suspected memory leaks" no_leaks

group_end
