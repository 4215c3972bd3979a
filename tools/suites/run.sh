#!/bin/bash
# The suites guest's work (scripts/guest.sh --mode suites; tools/suites/init
# runs it in the overlay root): load one NVMe driver, then run blktests and
# xfstests against its two namespaces. Results go to the host's share,
# /results/<suite>/, in the suites' own formats; scripts/suites-report.py
# reads them there.
#
# From the kernel command line: nvme_rs_driver (rs or c), nvme_rs_module
# (nvme_rs.ko), nvme_rs_kdir (the kernel tree, for the C modules),
# nvme_rs_suites (comma-separated: blktests, xfstests-ext4, xfstests-xfs),
# nvme_rs_blktests (ci: the selection in blktests-ci.list; all: the block
# and nvme groups) and nvme_rs_xfstests (ci: the fixed list in
# xfstests-ci.list; quick: the whole quick group).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suites_dir=$repo/build/suites

arg() { sed -n "s/.*[[:space:]]$1=\\([^[:space:]]*\\).*/\\1/p" /proc/cmdline; }
driver=$(arg nvme_rs_driver)
module=$(arg nvme_rs_module)
kdir=$(arg nvme_rs_kdir)
suites=$(arg nvme_rs_suites)
xlist=$(arg nvme_rs_xfstests)
blist=$(arg nvme_rs_blktests)
echo "nvme-rs-guest: suites run: driver '$driver', suites '$suites', blktests '$blist', xfstests list '$xlist'"

# Leak reports are 90-kmemleak's job, in a boot of our own code only: here
# a periodic scan would report what the file systems keep.
[ -e /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak
hostname suites-guest

# udev, as on a booted system, before the driver makes its disks: the
# suites wait on it (xfstests' _dmsetup_create runs `udevadm wait
# /dev/mapper/...`, which without a udevd waits for ever; blktests' nvme
# tests run `udevadm settle`). No coldplug trigger: only the devices made
# from here on (the namespaces, device mapper targets) matter.
if /lib/systemd/systemd-udevd --daemon; then
	echo "nvme-rs-guest: systemd-udevd started"
else
	echo "nvme-rs-guest: systemd-udevd did not start; dm-flakey tests will hang"
fi

# Users the suites ask for: xfstests' fsgqa ones, blktests' NORMAL_USER.
for u in fsgqa fsgqa2 123456-fsgqa; do useradd -m "$u" 2>/dev/null; done

case $driver in
rs) insmod "$module" || echo "nvme-rs-guest: insmod $module failed" ;;
c) insmod "$kdir/drivers/nvme/host/nvme-core.ko" && insmod "$kdir/drivers/nvme/host/nvme.ko" ||
	echo "nvme-rs-guest: insmod of the C driver failed" ;;
esac
for _ in $(seq 60); do
	[ -b /dev/nvme0n1 ] && [ -b /dev/nvme0n2 ] && break
	sleep 1
done
if ! [ -b /dev/nvme0n1 ] || ! [ -b /dev/nvme0n2 ]; then
	echo "nvme-rs-guest: no /dev/nvme0n1 and /dev/nvme0n2 within 60 s"
	ls -l /dev/nvme* 2>&1
	exit 1
fi
lsblk -o NAME,SIZE,LOG-SEC,PHY-SEC,DISC-GRAN,MODEL /dev/nvme0n1 /dev/nvme0n2

# blktests' nvme tests ask for the C driver by its module name
# (_have_driver nvme: /sys/module/nvme, or modprobe nvme). With nvme-rs,
# the NVMe PCIe driver is nvme_rs: this modprobe, first in PATH, answers
# for "nvme" (and does nothing for its removal) while nvme_rs is loaded,
# and hands everything else to the real one.
if [ "$driver" = rs ]; then
	mkdir -p /usr/local/sbin
	cat >/usr/local/sbin/modprobe <<'SHIM'
#!/bin/bash
args=("$@")
names=()
for a in "$@"; do case $a in -*) ;; *) names+=("$a") ;; esac; done
if [ "${names[*]}" = nvme ] && [ -d /sys/module/nvme_rs ]; then exit 0; fi
exec /usr/sbin/modprobe "${args[@]}"
SHIM
	chmod +x /usr/local/sbin/modprobe
fi

# blktests' config for the namespaces DEVS. DEVICE_ONLY: only the tests
# that take TEST_DEVS. The nvme tests that drive a PCIe device (032, 050)
# set nvme_trtype=pci themselves; the group's own check rejects pci as
# NVMET_TRTYPES, so it stays at its default (loop), for which the other
# device tests ask for nvme-loop and skip. TIMEOUT caps the fio runs.
blktests_config() {
	cat >config <<CFG
TEST_DEVS=($*)
DEVICE_ONLY=1
TIMEOUT=20
NORMAL_USER=fsgqa
CFG
}

# blktests: with nvme_rs_blktests=all the block and nvme groups on both
# namespaces; with ci the tests of blktests-ci.list, each on the
# namespaces the list gives it. Every check appends to check.log, which is
# what scripts/suites-report.py reads.
run_blktests() {
	local out=/results/blktests both ns1
	mkdir -p "$out"
	cd "$suites_dir/blktests" || return 1
	: >"$out/check.log"
	if [ "$blist" = all ]; then
		blktests_config /dev/nvme0n1 /dev/nvme0n2
		./check -o "$out" block nvme 2>&1 | tee -a "$out/check.log"
		return
	fi
	both=$(sed 's/#.*//' "$here/blktests-ci.list" | awk '$2 == "both" { print $1 }' | xargs)
	ns1=$(sed 's/#.*//' "$here/blktests-ci.list" | awk '$2 == "ns1" { print $1 }' | xargs)
	blktests_config /dev/nvme0n1 /dev/nvme0n2
	# shellcheck disable=SC2086 # lists of test names
	[ -n "$both" ] && ./check -o "$out" $both 2>&1 | tee -a "$out/check.log"
	blktests_config /dev/nvme0n1
	# shellcheck disable=SC2086
	[ -n "$ns1" ] && ./check -o "$out" $ns1 2>&1 | tee -a "$out/check.log"
}

# xfstests on the file systems FSES (ext4, xfs or both), with one `check`:
# a config section per file system, named as its suite (xfstests-ext4,
# xfstests-xfs), so its results land in /results/<suite>/. One `check`
# pays xfstests' start-up (minutes of bash over 9p under TCG) once;
# between sections it makes the new file system on TEST_DEV itself.
# TEST_DEV is namespace 1 (512-byte blocks), SCRATCH_DEV namespace 2
# (4 KiB blocks).
run_xfstests() {
	local out=/results/xfstests fs list
	mkdir -p "$out" /mnt/test /mnt/scratch
	cd "$suites_dir/xfstests" || return 1
	{
		echo "[xfstests-$1]"
		echo "FSTYP=$1"
		echo "TEST_DEV=/dev/nvme0n1"
		echo "TEST_DIR=/mnt/test"
		echo "SCRATCH_DEV=/dev/nvme0n2"
		echo "SCRATCH_MNT=/mnt/scratch"
		echo "RESULT_BASE=/results"
		for fs in "${@:2}"; do
			echo "[xfstests-$fs]"
			echo "FSTYP=$fs"
		done
	} >local.config
	# The first section's file system must be on TEST_DEV already.
	case $1 in
	ext4) mkfs.ext4 -q -F /dev/nvme0n1 ;;
	xfs) mkfs.xfs -q -f /dev/nvme0n1 ;;
	esac
	if [ "$xlist" = quick ]; then
		./check -R xunit -g quick 2>&1 | tee "$out/check.out"
	else
		list=$(sed 's/#.*//' "$here/xfstests-ci.list" | xargs)
		# shellcheck disable=SC2086 # a list of test names
		./check -R xunit $list 2>&1 | tee "$out/check.out"
	fi
}

IFS=, read -r -a todo <<<"$suites"
fses=()
for s in "${todo[@]}"; do
	case $s in
	blktests) ;;
	xfstests-ext4 | xfstests-xfs) fses+=("${s#xfstests-}") ;;
	*) echo "nvme-rs-guest: unknown suite $s" ;;
	esac
done
run_suite() {
	local start=$SECONDS
	echo "nvme-rs-guest: suite $1 start"
	"${@:2}"
	echo "nvme-rs-guest: suite $1 end, exit status $?, $((SECONDS - start)) s"
	cd /
	umount /mnt/test /mnt/scratch 2>/dev/null
}
[[ ,$suites, == *,blktests,* ]] && run_suite blktests run_blktests
[ ${#fses[@]} -gt 0 ] && run_suite "xfstests (${fses[*]})" run_xfstests "${fses[@]}"
echo "nvme-rs-guest: suites run finished"
