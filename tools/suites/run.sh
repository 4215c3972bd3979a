#!/bin/bash
# The suites guest's work (scripts/guest.sh --mode suites; tools/suites/init
# runs it in the overlay root): load one NVMe driver, then run blktests and
# xfstests against its two namespaces. Results go to the host's share,
# /results/<suite>/, in the suites' own formats; scripts/suites-report.py
# reads them there.
#
# From the kernel command line: nvme_rs_driver (rs or c), nvme_rs_module
# (nvme_rs.ko), nvme_rs_kdir (the kernel tree, for the C modules),
# nvme_rs_suites (comma-separated: blktests, xfstests-ext4, xfstests-xfs)
# and nvme_rs_xfstests (ci: the fixed list in xfstests-ci.list; quick: the
# whole quick group).
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
echo "nvme-rs-guest: suites run: driver '$driver', suites '$suites', xfstests list '$xlist'"

# Leak reports are 90-kmemleak's job, in a boot of our own code only: here
# a periodic scan would report what the file systems keep.
[ -e /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak
hostname suites-guest

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

run_blktests() {
	local out=/results/blktests
	mkdir -p "$out"
	cd "$suites_dir/blktests" || return 1
	# DEVICE_ONLY: only the tests that take TEST_DEVS. The nvme tests that
	# drive a PCIe device (032, 050) set nvme_trtype=pci themselves; the
	# group's own check rejects pci as NVMET_TRTYPES, so it stays at its
	# default (loop), for which the other device tests ask for nvme-loop
	# and skip. TIMEOUT caps the fio runs.
	cat >config <<CFG
TEST_DEVS=(/dev/nvme0n1 /dev/nvme0n2)
DEVICE_ONLY=1
TIMEOUT=20
NORMAL_USER=fsgqa
CFG
	./check -o "$out" block nvme 2>&1 | tee "$out/check.log"
}

# xfstests on FS: TEST_DEV namespace 1 (512-byte blocks), SCRATCH_DEV
# namespace 2 (4 KiB blocks).
run_xfstests() {
	local fs=$1 out=/results/xfstests-$1 list
	mkdir -p "$out" /mnt/test /mnt/scratch
	cd "$suites_dir/xfstests" || return 1
	cat >local.config <<CFG
export FSTYP=$fs
export TEST_DEV=/dev/nvme0n1
export TEST_DIR=/mnt/test
export SCRATCH_DEV=/dev/nvme0n2
export SCRATCH_MNT=/mnt/scratch
export RESULT_BASE=$out
CFG
	case $fs in
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
for s in "${todo[@]}"; do
	start=$SECONDS
	echo "nvme-rs-guest: suite $s start"
	case $s in
	blktests) run_blktests ;;
	xfstests-ext4) run_xfstests ext4 ;;
	xfstests-xfs) run_xfstests xfs ;;
	*) echo "nvme-rs-guest: unknown suite $s" ;;
	esac
	echo "nvme-rs-guest: suite $s end, exit status $?, $((SECONDS - start)) s"
	cd /
	umount /mnt/test /mnt/scratch 2>/dev/null
done
echo "nvme-rs-guest: suites run finished"
