#!/bin/sh
# drivers: rs c
# Autonomous Power State Transitions on QEMU's controller, which has none
# (APSTA 0): the driver sends no APST setting, logs nothing about it, and
# the controller works; the latency limit is the parameter C has, with
# C's default, and so is force_apst (which overrides the quirks that turn
# APST off; host-tested in spec/apst.rs, as QEMU is not quirked so); the
# PM QoS latency tolerance is not shown, as C shows it only with APST. The table itself, for controllers that have APST, is
# host-tested (spec/apst.rs) against C's algorithm.
# The Host Memory Buffer, which QEMU's controller does not ask for either
# (HMPRE 0): both drivers have max_host_mem_size_mb with C's default and
# description (C's is nvme.ko's, not nvme_core's), and neither shows sysfs
# hmb, which C shows only where HMPRE is not 0. Sizing, chunking and
# descriptors are host-tested (spec/host_memory.rs); nothing here gives
# a controller host memory.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

require "driver loaded" load_driver

if [ "${NVME_RS_DRIVER:-rs}" = c ]; then
	module=nvme_core pci_module=nvme ko=/lib/nvme-c/nvme.ko
else
	module=nvme_rs pci_module=nvme_rs ko=/lib/nvme-rs/nvme_rs.ko
fi
check "the controller has no APST (apsta 0)" sh -c 'nvme id-ctrl /dev/nvme0 | grep -qE "^apsta +: 0$"'
# The drivers' messages say "APST"; the command line and the group's log
# marks only "apst".
apst_lines=$(dmesg | grep -c 'APST')
check "no APST message in the kernel log" equals "$apst_lines" 0
check "default_ps_max_latency_us is C's default" \
	equals "$(cat "/sys/module/$module/parameters/default_ps_max_latency_us")" 100000
if [ "${NVME_RS_DRIVER:-rs}" = c ]; then core_ko=/lib/nvme-c/nvme-core.ko; else core_ko=$ko; fi
check "force_apst is C's default (N)" equals "$(cat "/sys/module/$module/parameters/force_apst")" N
check "force_apst is writable by root (0644), as C's" \
	equals "$(stat -c %a "/sys/module/$module/parameters/force_apst")" 644
check "force_apst has C's description" sh -c "strings $core_ko |
	grep -qxF 'parm=force_apst:allow APST for newly enumerated devices even if quirked off'"
# C shows the PM QoS latency tolerance, which bounds APST at run time,
# only on controllers with APST; the power/ directory is there all the
# same.
check "the controller node has a power/ directory" test -d /sys/class/nvme/nvme0/power
check "no power/pm_qos_latency_tolerance_us without APST, as C" \
	test ! -e /sys/class/nvme/nvme0/power/pm_qos_latency_tolerance_us
check "the controller asks for no host memory (hmpre 0)" sh -c 'nvme id-ctrl /dev/nvme0 | grep -qE "^hmpre +: 0$"'
check "max_host_mem_size_mb is C's default (128)" \
	equals "$(cat "/sys/module/$pci_module/parameters/max_host_mem_size_mb")" 128
# What modinfo reads, from the module's .modinfo section (the guest has
# no modules.dep for modinfo).
check "max_host_mem_size_mb has C's description" sh -c "strings $ko |
	grep -qxF 'parm=max_host_mem_size_mb:Maximum Host Memory Buffer (HMB) size per controller (in MiB)'"
check "no hmb attribute without HMPRE, as C" test ! -e /sys/class/nvme/nvme0/hmb
skip "Host Memory Buffer given to a controller" "QEMU's controller has no Host Memory Buffer (HMPRE 0)"
hmb_lines=$(dmesg | grep -ciE 'host mem')
check "no host memory message in the kernel log" equals "$hmb_lines" 0
# Platform quirks (spec/platform_quirks.rs, host-tested): QEMU's
# firmware has no StorageD3Enable and none of the DMI boards C lists, so
# neither driver adds a quirk; noacpi is C's nvme.ko parameter.
check "noacpi is C's default (N), read-only (0444)" equals \
	"$(cat "/sys/module/$pci_module/parameters/noacpi") $(stat -c %a "/sys/module/$pci_module/parameters/noacpi")" "N 444"
check "noacpi has C's description" sh -c "strings $ko | grep -qxF 'parm=noacpi:disable acpi bios quirks'"
check "no platform quirk message (no StorageD3Enable here)" \
	equals "$(dmesg | grep -c 'platform quirk')" 0
skip "a platform that asks for StorageD3Enable" "QEMU's ACPI tables have no such property"
check "I/O works" fio_ok --verify --name=apst --filename=/dev/nvme0n1 --ioengine=io_uring \
	--direct=1 --rw=randwrite --bs=4k --size=1M --iodepth=4 --verify=crc32c

group_end
