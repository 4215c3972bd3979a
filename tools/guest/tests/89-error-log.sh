#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# Error logging and fault injection, as blktests nvme/039 checks them
# (C 6.12's nvme_log_error, nvme_log_err_passthru and fault_inject.c,
# without CONFIG_NVME_VERBOSE_ERRORS): debugfs fault_inject/ directories for
# the controller and each disk inject a status into the next completion;
# failed block requests are logged with opcode, LBA and status; failed
# passthrough commands only where passthru_err_log_enabled is on, the
# controller's for admin commands, the disk's for I/O commands. The
# fail_request parameter sets the attributes the directories start with.
# The C driver (GUEST_DRIVER=c) must give the same lines.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

CTRL=nvme0
DISK=nvme0n1
FI_CTRL=/sys/kernel/debug/$CTRL/fault_inject
FI_DISK=/sys/kernel/debug/$DISK/fault_inject
LOG_CTRL=/sys/class/nvme/$CTRL/passthru_err_log_enabled
LOG_DISK=/sys/class/nvme/$CTRL/$DISK/passthru_err_log_enabled

require "load the driver" load_driver
require "fault_inject directories for $CTRL and $DISK" test -d "$FI_CTRL" -a -d "$FI_DISK"

LB=$(cat /sys/block/$DISK/queue/logical_block_size)
NSID=$(cat /sys/block/$DISK/nsid)

# The defaults, as C's nvme_fault_inject_init and DECLARE_FAULT_ATTR.
check "default status 0x0001" equals "$(cat "$FI_DISK/status")" 0x0001
check "default dont_retry Y" equals "$(cat "$FI_CTRL/dont_retry")" Y
check "default probability 0, times 1" equals "$(cat "$FI_DISK/probability") $(cat "$FI_DISK/times")" "0 1"
check "passthru_err_log_enabled off by default on $CTRL and $DISK" \
	equals "$(cat "$LOG_CTRL") $(cat "$LOG_DISK")" "off off"
check "passthru_err_log_enabled takes on/off" sh -c \
	"echo on > $LOG_DISK && grep -qx on $LOG_DISK && echo 0 > $LOG_DISK && grep -qx off $LOG_DISK"
check "passthru_err_log_enabled refuses other words" sh -c "! echo maybe > $LOG_CTRL"

# inject DIR STATUS: the next completion there fails with STATUS and DNR
# (blktests' _nvme_enable_err_inject DEV 0 100 1 STATUS 1).
inject() {
	echo 0 >"$1/verbose"
	echo 100 >"$1/probability"
	echo 1 >"$1/dont_retry"
	echo "$2" >"$1/status"
	echo 1 >"$1/times"
}

uninject() {
	echo 0 >"$1/probability"
	echo 0 >"$1/times"
}

# last_error: the latest failed-command line since the mark, without
# timestamp (the rate limit's "callbacks suppressed" lines left out).
last_error() {
	dmesg_since_mark | grep -v "callbacks suppressed" | grep "Cmd(" | tail -n 1 |
		sed 's/^\[[^]]*\] //'
}

# expect_error LINE: that is the latest failed-command line.
expect_error() {
	equals "$(last_error)" "$1"
}

# What LBA 0 holds, to write it back: the injected error comes after the
# device wrote it.
saved=/tmp/error-log-lba0
dd if=/dev/$DISK of=$saved bs="$LB" count=1 iflag=direct 2>/dev/null

# Wait out the rate limit's interval, as nvme/039 does.
sleep 5

dmesg_mark
inject "$FI_DISK" 0x281
check "read with Unrecovered Read Error injected fails" sh -c \
	"! dd if=/dev/$DISK of=/dev/null bs=$LB count=1 iflag=direct 2>/dev/null"
uninject "$FI_DISK"
check "the read is logged as C's nvme_log_error" expect_error \
	"$DISK: I/O Cmd(0x2) @ LBA 0, 1 blocks, I/O Error (sct 0x2 / sc 0x81) DNR "

dmesg_mark
inject "$FI_DISK" 0x375
check "read with an invalid status injected fails" sh -c \
	"! dd if=/dev/$DISK of=/dev/null bs=$LB count=1 iflag=direct 2>/dev/null"
uninject "$FI_DISK"
check "the read is logged with that status" expect_error \
	"$DISK: I/O Cmd(0x2) @ LBA 0, 1 blocks, I/O Error (sct 0x3 / sc 0x75) DNR "

dmesg_mark
inject "$FI_DISK" 0x280
check "write with Write Fault injected fails" sh -c \
	"! dd if=$saved of=/dev/$DISK bs=$LB count=1 oflag=direct 2>/dev/null"
uninject "$FI_DISK"
check "the write is logged" expect_error \
	"$DISK: I/O Cmd(0x1) @ LBA 0, 1 blocks, I/O Error (sct 0x2 / sc 0x80) DNR "
check "LBA 0 written back" dd if=$saved of=/dev/$DISK bs="$LB" count=1 oflag=direct

echo off >"$LOG_CTRL"
dmesg_mark
inject "$FI_CTRL" 0x1
check "admin passthrough with Invalid Command Opcode injected fails" sh -c \
	"! nvme admin-passthru /dev/$CTRL --opcode=0x96 --data-len=$LB --cdw10=1 -r >/dev/null 2>&1"
uninject "$FI_CTRL"
check "not logged with $CTRL's passthru_err_log_enabled off" equals "$(last_error)" ""

echo on >"$LOG_CTRL"
dmesg_mark
inject "$FI_CTRL" 0x286
check "Identify with Access Denied injected fails" sh -c \
	"! nvme admin-passthru /dev/$CTRL --opcode=0x06 --data-len=4096 --cdw10=1 -r >/dev/null 2>&1"
uninject "$FI_CTRL"
check "logged as C's nvme_log_err_passthru with it on" expect_error \
	"$CTRL: Admin Cmd(0x6), I/O Error (sct 0x2 / sc 0x86) DNR cdw10=0x1 cdw11=0x0 cdw12=0x0 cdw13=0x0 cdw14=0x0 cdw15=0x0"
echo off >"$LOG_CTRL"

# io_read CDW12: a Read of LBA 0 through NVME_IOCTL_IO_CMD on the disk.
io_read() {
	! nvme io-passthru /dev/$DISK --opcode=0x02 --namespace-id="$NSID" \
		--data-len="$LB" --read --cdw10=0 --cdw11=0 --cdw12="$1" >/dev/null 2>&1
}

echo off >"$LOG_DISK"
dmesg_mark
inject "$FI_DISK" 0x1
check "I/O passthrough with Invalid Command Opcode injected fails" io_read 0
uninject "$FI_DISK"
check "not logged with $DISK's passthru_err_log_enabled off" equals "$(last_error)" ""

echo on >"$LOG_DISK"
dmesg_mark
inject "$FI_DISK" 0x1
check "again with it on" io_read 1
uninject "$FI_DISK"
check "logged, named by the disk" expect_error \
	"$DISK: I/O Cmd(0x2), I/O Error (sct 0x0 / sc 0x1) DNR cdw10=0x0 cdw11=0x0 cdw12=0x1 cdw13=0x0 cdw14=0x0 cdw15=0x0"
echo off >"$LOG_DISK"

# max_retries: a status without DNR is retried that many times, each try
# through the injection again, whose times count goes down once a try.
if [ "${NVME_RS_DRIVER:-rs}" = c ]; then
	core_params=/sys/module/nvme_core/parameters
else
	core_params=/sys/module/nvme_rs/parameters
fi
check "max_retries and shutdown_timeout have C's defaults" \
	equals "$(cat $core_params/max_retries) $(cat $core_params/shutdown_timeout)" "5 5"
# retried_read: fails a direct read of LBA 0 with Internal Error, without
# DNR, on every try; prints how many tries the device saw.
retried_read() {
	echo 0 >"$FI_DISK/verbose"
	echo 100 >"$FI_DISK/probability"
	echo 0 >"$FI_DISK/dont_retry"
	echo 0x6 >"$FI_DISK/status"
	echo 20 >"$FI_DISK/times"
	if dd if=/dev/$DISK of=/dev/null bs="$LB" count=1 iflag=direct 2>/dev/null; then
		echo "read succeeded"
	else
		echo "$((20 - $(cat "$FI_DISK/times"))) tries"
	fi
	uninject "$FI_DISK"
}
check "an Internal Error without DNR is tried 1 + max_retries (5) times" \
	equals "$(retried_read)" "6 tries"
# C's parameter is writable at run time; nvme_rs's is set at load.
if [ "${NVME_RS_DRIVER:-rs}" = c ]; then
	check "max_retries=2" sysfs_write 2 $core_params/max_retries
else
	check "reload with max_retries=2" load_driver max_retries=2
fi
check "with max_retries=2, 3 tries" equals "$(retried_read)" "3 tries"
if [ "${NVME_RS_DRIVER:-rs}" = c ]; then
	check "max_retries=5 again" sysfs_write 5 $core_params/max_retries
else
	check "reload with default parameters" load_driver
fi

check "no injection left: reads work" dd if=/dev/$DISK of=/dev/null bs="$LB" count=8 iflag=direct
check "no controller reset came of it" not_logged "resetting controller"

# unload: the debugfs directories go with the controller and its disks.
unload() {
	local m
	for m in $(driver_modules "${NVME_RS_DRIVER:-rs}"); do
		rmmod "$m" || return 1
	done
	! [ -e /sys/kernel/debug/$CTRL ] && ! [ -e /sys/kernel/debug/$DISK ]
}
check "the debugfs directories go when the driver is unloaded" unload

# fail_request="<interval>,<probability>,<space>,<times>" (C's
# nvme_core.fail_request, on nvme-core.ko there; ours is nvme_rs's): every
# fault_inject directory starts with these attributes. 100 % with a space
# of a million completions keeps probe's commands from failing.
FAIL_REQUEST=3,100,1000000,2
load_fail_request() {
	local m
	if [ "${NVME_RS_DRIVER:-rs}" != c ]; then
		load_nvme_rs fail_request=$FAIL_REQUEST || return 1
	else
		for m in $(driver_modules c); do
			if [ -d /sys/module/"$m" ]; then rmmod "$m" || return 1; fi
		done
		insmod /lib/nvme-c/nvme-core.ko fail_request=$FAIL_REQUEST || return 1
		insmod /lib/nvme-c/nvme.ko || return 1
	fi
	wait_for all_nodes_present 60
}
# attrs DIR: "interval probability times" of fault_inject directory DIR,
# and whether its space is what was given less at most the completions
# since (a thousand).
attrs() {
	local space
	space=$(cat "$1/space")
	echo "$(cat "$1/interval") $(cat "$1/probability") $(cat "$1/times")" \
		"$([ "$space" -le 1000000 ] && [ "$space" -gt 999000 ] && echo space-ok || echo "space=$space")"
}
if [ "${NVME_RS_DRIVER:-rs}" = c ]; then core=nvme_core; else core=nvme_rs; fi
require "load the driver with fail_request=$FAIL_REQUEST" load_fail_request
check "fail_request has no sysfs file (0000), as C's" test ! -e /sys/module/$core/parameters/fail_request
check "$CTRL's fault_inject starts as fail_request says" equals "$(attrs "$FI_CTRL")" "3 100 2 space-ok"
check "$DISK's fault_inject starts as fail_request says" equals "$(attrs "$FI_DISK")" "3 100 2 space-ok"
check "status and dont_retry keep their defaults" \
	equals "$(cat "$FI_DISK/status") $(cat "$FI_CTRL/dont_retry")" "0x0001 Y"
uninject "$FI_CTRL"
uninject "$FI_DISK"
check "load the driver again, without fail_request" load_driver
check "the attributes are the defaults again" \
	equals "$(cat "$FI_DISK/probability") $(cat "$FI_DISK/interval") $(cat "$FI_DISK/times")" "0 1 1"

group_end
