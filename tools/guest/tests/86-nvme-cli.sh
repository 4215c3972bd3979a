#!/bin/sh
# shellcheck disable=SC2317,SC3043 # functions run through check; busybox sh has local
# drivers: rs c
# nvme-cli 2.3 (libnvme 1.3), Debian 12's, works unchanged. `nvme list`
# builds its view from sysfs (/sys/class/nvme, /sys/class/nvme-subsystem,
# the nvme0nN entries under /sys/class/nvme/nvme0) and then opens each
# /dev/nvme0nN for NVME_IOCTL_ID and Identify; every other command here
# opens the node it is given and uses only ioctls (NVME_IOCTL_ADMIN_CMD,
# NVME_IOCTL_IO_CMD, NVME_IOCTL_ID, NVME_IOCTL_RESET, NVME_IOCTL_RESCAN).
# See Documentation/nvme-cli-sysfs.md for what libnvme reads. Each output is compared with
# what the guest knows independently: /etc/nvme-rs-expect, the PCI config
# space in sysfs, and the block devices.
#
# The C driver names disks in the order its (asynchronous) namespace scan
# finishes, so /dev/nvme0n1 need not be NSID 1: the checks map devices to
# namespaces by the NSID nvme-cli reports and then compare that namespace's
# geometry.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

MODEL="QEMU NVMe Ctrl"

require "driver loaded with default parameters" load_driver
BDF=$(nvme_bdf)

# json_get KEY: the value of the first "KEY":VALUE line of nvme-cli's JSON
# on stdin, without the quotes (inner spaces kept).
json_get() {
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*//p" | head -n 1 |
		sed 's/,[[:space:]]*$//; s/^"//; s/"$//'
}

# json_objects KEY...: for nvme-cli's JSON on stdin (one "key":value a
# line), at each closing brace one line with the values of the KEYs seen
# since the previous one, in KEY order, joined by '|' (quotes removed,
# trailing spaces trimmed); nothing if none was seen. For an array of flat
# objects that is one line per object.
json_objects() {
	awk -v keys="$*" '
		BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) want[k[i]] = i }
		/^[[:space:]]*"[^"]*":/ {
			line = $0
			sub(/^[[:space:]]*"/, "", line)
			key = line; sub(/".*/, "", key)
			val = line; sub(/^[^"]*":[[:space:]]*/, "", val)
			sub(/,[[:space:]]*$/, "", val); sub(/^"/, "", val); sub(/"$/, "", val)
			sub(/[[:space:]]+$/, "", val)
			if (key in want) { v[want[key]] = val; got = 1 }
		}
		/^[[:space:]]*[}]/ {
			if (got) {
				s = v[1]
				for (i = 2; i <= n; i++) s = s "|" v[i]
				print s
			}
			got = 0
			for (i = 1; i <= n; i++) v[i] = ""
		}'
}

trim() {
	sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}

# field RECORD N: the Nth '|'-separated field.
field() {
	printf '%s\n' "$1" | cut -d'|' -f "$2"
}

# The controller's own view, for the checks below: firmware revision and
# subsystem NQN from Identify Controller.
idctrl_json=$(nvme id-ctrl /dev/nvme0 -o json 2>&1)
check "nvme id-ctrl /dev/nvme0 -o json exits 0" nvme id-ctrl /dev/nvme0 -o json
FW=$(printf '%s\n' "$idctrl_json" | json_get fr | trim)
SUBNQN=$(printf '%s\n' "$idctrl_json" | json_get subnqn)
echo "# firmware '$FW', subsystem NQN '$SUBNQN'"

# ---------------------------------------------------------------------------
# nvme list -o json

list_records() {
	nvme list -o json 2>/dev/null |
		json_objects DevicePath NameSpace MaximumLBA PhysicalSize SectorSize UsedBytes SerialNumber ModelNumber Firmware
}
check "nvme list -o json exits 0" nvme list -o json
records=$(list_records)
echo "# nvme list -o json: $(printf '%s\n' "$records" | tr '\n' ' ')"
check "nvme list -o json: $NS_COUNT namespaces" equals "$(printf '%s\n' "$records" | grep -c '^/dev/')" "$NS_COUNT"
check "nvme list -o json: NSIDs 1..$NS_COUNT, each once" \
	equals "$(printf '%s\n' "$records" | cut -d'|' -f2 | sort -n | tr '\n' ' ')" "$(seq 1 "$NS_COUNT" | tr '\n' ' ')"

# nsid_of N: NSID of /dev/nvme0nN in the list above.
nsid_of() {
	field "$(printf '%s\n' "$records" | grep "^/dev/nvme0n$1|")" 2
}

n=1
while [ "$n" -le "$NS_COUNT" ]; do
	dev=/dev/nvme0n$n
	rec=$(printf '%s\n' "$records" | grep "^$dev|")
	nsid=$(field "$rec" 2)
	want_blocks="" want_lba=""
	if [ -n "$nsid" ] && [ "$nsid" -ge 1 ] && [ "$nsid" -le "$NS_COUNT" ]; then
		eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	fi
	check "nvme list -o json: $dev listed with an NSID" test -n "$want_blocks"
	nuse=$(nvme id-ns "$dev" -o json 2>/dev/null | json_get nuse)
	check "nvme list -o json: $dev (NSID $nsid) MaximumLBA" equals "$(field "$rec" 3)" "$want_blocks"
	check "nvme list -o json: $dev (NSID $nsid) SectorSize" equals "$(field "$rec" 5)" "$want_lba"
	check "nvme list -o json: $dev (NSID $nsid) PhysicalSize" equals "$(field "$rec" 4)" "$((want_blocks * want_lba))"
	check "nvme list -o json: $dev (NSID $nsid) UsedBytes is nuse ($nuse) blocks" \
		equals "$(field "$rec" 6)" "$((nuse * want_lba))"
	check "nvme list -o json: $dev (NSID $nsid) SerialNumber" equals "$(field "$rec" 7)" "$SERIAL"
	check "nvme list -o json: $dev (NSID $nsid) ModelNumber" equals "$(field "$rec" 8)" "$MODEL"
	check "nvme list -o json: $dev (NSID $nsid) Firmware" equals "$(field "$rec" 9)" "$FW"
	check "nvme list -o json: $dev size matches the block device" \
		equals "$(field "$rec" 4)" "$(($(cat "/sys/block/nvme0n$n/size") * 512))"
	n=$((n + 1))
done

# ---------------------------------------------------------------------------
# nvme list: the table, fixed-width columns (nvme-print.c, nvme_show_list_item)
#   %-21s %-21s %-20s %-40s %-9d %-26s %-16s %-8s
#   Node Generic SN Model Namespace Usage Format FW-Rev

# table_row N: "node|generic|sn|model|nsid|usage|format|fw" of /dev/nvme0nN.
table_row() {
	nvme list 2>/dev/null | awk -v dev="/dev/nvme0n$1" '
		function t(s) { sub(/^[ ]+/, "", s); sub(/[ ]+$/, "", s); return s }
		substr($0, 1, 21) ~ ("^" dev " ") {
			print t(substr($0, 1, 21)) "|" t(substr($0, 23, 21)) "|" t(substr($0, 45, 20)) "|" \
				t(substr($0, 66, 40)) "|" t(substr($0, 107, 9)) "|" t(substr($0, 117, 26)) "|" \
				t(substr($0, 144, 16)) "|" t(substr($0, 161))
		}'
}

# usage_string NUSE_BYTES NSZE_BYTES / format_string LBA: the Usage and
# Format columns as nvme-cli 2.3 formats them (SI suffixes for sizes,
# binary ones for the LBA size; metadata 0).
usage_string() {
	awk -v u="$1" -v s="$2" '
		function si(v,   m, i, n) {
			n = split("1e15 1e12 1e9 1e6 1e3", m, " ")
			split("P T G M k", sfx, " ")
			for (i = 1; i <= n; i++) if (v >= m[i] + 0) { val = v / m[i]; return sfx[i] }
			val = v; return ""
		}
		BEGIN {
			su = si(u); vu = val; ss = si(s); vs = val
			r = sprintf("%6.2f %2sB / %6.2f %2sB", vu, su, vs, ss)
			sub(/^[ ]+/, "", r); print r
		}'
}
format_string() {
	awk -v l="$1" '
		BEGIN {
			sfx = ""
			if (l >= 1024) { l = int((l + 512) / 1024); sfx = "Ki" }
			r = sprintf("%3.0f %2sB + %2d B", l, sfx, 0)
			sub(/^[ ]+/, "", r); print r
		}'
}

check "nvme list exits 0" nvme list
nvme list 2>&1 | sed 's/^/# /'
n=1
while [ "$n" -le "$NS_COUNT" ]; do
	dev=/dev/nvme0n$n
	row=$(table_row "$n")
	nsid=$(nsid_of "$n")
	want_blocks="" want_lba=""
	[ -n "$nsid" ] && eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	nuse=$(nvme id-ns "$dev" -o json 2>/dev/null | json_get nuse)
	check "nvme list: row for $dev" test -n "$row"
	check "nvme list: $dev Generic" equals "$(field "$row" 2)" "/dev/ng0n$n"
	check "nvme list: $dev SN" equals "$(field "$row" 3)" "$SERIAL"
	check "nvme list: $dev Model" equals "$(field "$row" 4)" "$MODEL"
	check "nvme list: $dev Namespace" equals "$(field "$row" 5)" "$nsid"
	check "nvme list: $dev Usage" equals "$(field "$row" 6)" \
		"$(usage_string "$((nuse * want_lba))" "$((want_blocks * want_lba))")"
	check "nvme list: $dev Format" equals "$(field "$row" 7)" "$(format_string "$want_lba")"
	check "nvme list: $dev FW Rev" equals "$(field "$row" 8)" "$FW"
	n=$((n + 1))
done

# ---------------------------------------------------------------------------
# nvme list -v -o json and nvme list-subsys: the controller and its
# subsystem.

verbose=$(nvme list -v -o json 2>/dev/null)
check "nvme list -v -o json exits 0" nvme list -v -o json
ctrl=$(printf '%s\n' "$verbose" | json_objects Controller SerialNumber ModelNumber Firmware Transport Address)
check "nvme list -v -o json: controller" equals "$ctrl" "nvme0|$SERIAL|$MODEL|$FW|pcie|$BDF"
check "nvme list -v -o json: subsystem NQN" \
	equals "$(printf '%s\n' "$verbose" | json_get SubsystemNQN)" "$SUBNQN"
# Namespace name -> NSID, as in the plain list.
vns=$(printf '%s\n' "$verbose" | json_objects NameSpace NSID | sort | tr '\n' ' ')
want=$(printf '%s\n' "$records" | awk -F'|' '{ sub(/^\/dev\//, "", $1); print $1 "|" $2 }' | sort | tr '\n' ' ')
check "nvme list -v -o json: namespaces and NSIDs" equals "$vns" "$want"

subsys=$(nvme list-subsys 2>/dev/null)
check "nvme list-subsys exits 0" nvme list-subsys
printf '%s\n' "$subsys" | sed 's/^/# /'
check "nvme list-subsys: subsystem NQN" \
	equals "$(printf '%s\n' "$subsys" | sed -n 's/^nvme-subsys[0-9]* - NQN=//p')" "$SUBNQN"
check "nvme list-subsys: nvme0, pcie, its PCI address, live" \
	equals "$(printf '%s\n' "$subsys" | grep -- '+- ' | trim)" "+- nvme0 pcie $BDF live"

# ---------------------------------------------------------------------------
# nvme id-ctrl

pci_hex() { # FILE: 0x1b36 -> 6966
	echo $(($(cat "/sys/bus/pci/devices/$BDF/$1")))
}
check "nvme id-ctrl -o json: vid is the PCI vendor ID" \
	equals "$(printf '%s\n' "$idctrl_json" | json_get vid)" "$(pci_hex vendor)"
check "nvme id-ctrl -o json: ssvid is the PCI subsystem vendor ID" \
	equals "$(printf '%s\n' "$idctrl_json" | json_get ssvid)" "$(pci_hex subsystem_vendor)"
check "nvme id-ctrl -o json: sn" equals "$(printf '%s\n' "$idctrl_json" | json_get sn | trim)" "$SERIAL"
check "nvme id-ctrl -o json: mn" equals "$(printf '%s\n' "$idctrl_json" | json_get mn | trim)" "$MODEL"
check "nvme id-ctrl -o json: subnqn names the serial" equals "$SUBNQN" "nqn.2019-08.org.qemu:$SERIAL"
idctrl=$(nvme id-ctrl /dev/nvme0 2>&1)
check "nvme id-ctrl /dev/nvme0 exits 0" nvme id-ctrl /dev/nvme0
check "nvme id-ctrl: sn line" equals "$(printf '%s\n' "$idctrl" | sed -n 's/^sn *: //p' | trim)" "$SERIAL"
check "nvme id-ctrl: mn line" equals "$(printf '%s\n' "$idctrl" | sed -n 's/^mn *: //p' | trim)" "$MODEL"
check "nvme id-ctrl: vid line" \
	equals "$(printf '%s\n' "$idctrl" | sed -n 's/^vid *: //p' | trim)" "$(cat "/sys/bus/pci/devices/$BDF/vendor")"
# Through a namespace's block and generic nodes too (admin commands are
# allowed there).
check "nvme id-ctrl /dev/nvme0n1: same sn" \
	equals "$(nvme id-ctrl /dev/nvme0n1 -o json 2>/dev/null | json_get sn | trim)" "$SERIAL"
check "nvme id-ctrl /dev/ng0n2: same sn" \
	equals "$(nvme id-ctrl /dev/ng0n2 -o json 2>/dev/null | json_get sn | trim)" "$SERIAL"
check "nvme list-ns /dev/nvme0: NSIDs 1..$NS_COUNT" \
	equals "$(nvme list-ns /dev/nvme0 2>/dev/null | sed -n 's/^\[ *[0-9]*\]:0x//p' | tr '\n' ' ')" \
	"$(seq 1 "$NS_COUNT" | awk '{ printf "%x ", $1 }')"

# ---------------------------------------------------------------------------
# nvme id-ns, on block and generic nodes and on the controller with -n.

# idns_plain DEV NSID [ARG...]: plain output of nvme id-ns DEV ARG...: the
# NSID in the header, nsze, and the LBA format in use.
idns_plain() {
	local dev="$1" nsid="$2" out want_blocks want_lba got_nsid nsze lbads inuse flbas
	eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	shift 2
	out=$(nvme id-ns "$dev" "$@" 2>&1) || { printf '%s\n' "$out" | head -n 5; return 1; }
	got_nsid=$(printf '%s\n' "$out" | sed -n 's/^NVME Identify Namespace \([0-9]*\):$/\1/p')
	nsze=$(printf '%s\n' "$out" | sed -n 's/^nsze *: //p')
	flbas=$(printf '%s\n' "$out" | sed -n 's/^flbas *: //p')
	inuse=$(printf '%s\n' "$out" | grep '(in use)')
	lbads=$(printf '%s\n' "$inuse" | sed -n 's/.*lbads:\([0-9]*\) .*/\1/p')
	equals "NSID $got_nsid, nsze $((nsze)), LBA $((1 << ${lbads:-0})), format $(printf '%s\n' "$inuse" | sed -n 's/^lbaf *\([0-9]*\) .*/\1/p')" \
		"NSID $nsid, nsze $want_blocks, LBA $want_lba, format $((flbas & 0xf))"
}

# idns_json DEV NSID: the same from -o json (lbafs indexed by flbas).
idns_json() {
	local dev="$1" nsid="$2" out want_blocks want_lba flbas ds
	eval "want_blocks=\$NS${nsid}_BLOCKS want_lba=\$NS${nsid}_LBA"
	out=$(nvme id-ns "$dev" -o json 2>&1) || { printf '%s\n' "$out" | head -n 5; return 1; }
	flbas=$(printf '%s\n' "$out" | json_get flbas)
	ds=$(printf '%s\n' "$out" | json_objects ms ds rp | sed -n "$(((flbas & 0xf) + 1))p" | cut -d'|' -f2)
	equals "nsze $(printf '%s\n' "$out" | json_get nsze), LBA $((1 << ${ds:-0}))" \
		"nsze $want_blocks, LBA $want_lba"
}

n=1
while [ "$n" -le "$NS_COUNT" ]; do
	nsid=$(nsid_of "$n")
	check "nvme id-ns /dev/nvme0n$n (NSID $nsid): header, nsze, LBA format in use" \
		idns_plain "/dev/nvme0n$n" "$nsid"
	check "nvme id-ns /dev/ng0n$n (NSID $nsid): header, nsze, LBA format in use" \
		idns_plain "/dev/ng0n$n" "$nsid"
	check "nvme id-ns /dev/ng0n$n -o json (NSID $nsid): nsze, LBA format in use" \
		idns_json "/dev/ng0n$n" "$nsid"
	check "nvme id-ns /dev/nvme0 -n $n: nsze, LBA format in use" \
		idns_plain /dev/nvme0 "$n" -n "$n"
	n=$((n + 1))
done

# An error status comes back as the ioctl's positive return value: nvme-cli
# names it and exits 1. NSID 999 is past the controller's NN: Invalid
# Namespace or Format with Do Not Retry.
bad_nsid() {
	local out rc
	out=$(nvme id-ns /dev/nvme0 -n 999 2>&1)
	rc=$?
	equals "exit $rc: $out" \
		"exit 1: NVMe status: Invalid Namespace or Format: The namespace or the format of that namespace is invalid(0x400b)"
}
check "nvme id-ns /dev/nvme0 -n 999: status 0x400b, exit 1" bad_nsid

# ---------------------------------------------------------------------------
# Logs and features.

check "nvme smart-log /dev/nvme0 exits 0" nvme smart-log /dev/nvme0
check "nvme smart-log: header names nvme0 and the broadcast NSID" \
	equals "$(nvme smart-log /dev/nvme0 2>/dev/null | head -n 1 | trim)" \
	"Smart Log for NVME device:nvme0 namespace-id:ffffffff"
smart() { # KEY: its value in smart-log -o json
	nvme smart-log /dev/nvme0 -o json 2>/dev/null | json_get "$1"
}
check "nvme smart-log -o json: critical_warning" equals "$(smart critical_warning)" 0
# The counters move with I/O: 8 direct 4 KiB reads and 4 writes on the
# 4 KiB namespace are exactly 8 Read and 4 Write commands.
ns4k=1
while [ "$ns4k" -le "$NS_COUNT" ] && [ "$(cat "/sys/block/nvme0n$ns4k/queue/logical_block_size")" != 4096 ]; do
	ns4k=$((ns4k + 1))
done
r0=$(smart host_read_commands) w0=$(smart host_write_commands)
check "8 reads of 4 KiB on /dev/nvme0n$ns4k (psync, O_DIRECT)" \
	fio_ok --name=r --filename="/dev/nvme0n$ns4k" --ioengine=psync --direct=1 \
	--rw=read --bs=4k --size=32k --offset=8M
check "4 writes of 4 KiB on /dev/nvme0n$ns4k (psync, O_DIRECT)" \
	fio_ok --name=w --filename="/dev/nvme0n$ns4k" --ioengine=psync --direct=1 \
	--rw=write --bs=4k --size=16k --offset=8M
check "nvme smart-log: host_read_commands went up by 8" equals "$(($(smart host_read_commands) - r0))" 8
check "nvme smart-log: host_write_commands went up by 4" equals "$(($(smart host_write_commands) - w0))" 4

elpe=$(printf '%s\n' "$idctrl_json" | json_get elpe)
check "nvme error-log /dev/nvme0 exits 0" nvme error-log /dev/nvme0
check "nvme error-log: elpe+1 entries" \
	equals "$(nvme error-log /dev/nvme0 2>/dev/null | sed -n 's/^Error Log Entries for device:nvme0 entries:\([0-9]*\)$/\1/p')" \
	"$((elpe + 1))"
check "nvme error-log -o json: elpe+1 entries" \
	equals "$(nvme error-log /dev/nvme0 -o json 2>/dev/null | grep -c '"error_count":')" "$((elpe + 1))"

# Number of Queues: QEMU reports max_ioqpairs (64 unless NVME_OPTS says
# otherwise) minus one, for submission and completion queues.
qpairs=$(printf '%s\n' "$NVME_OPTS" | tr ',' '\n' | sed -n 's/^max_ioqpairs=//p')
qpairs=${qpairs:-64}
want_nq=$(printf '0x%04x%04x' $((qpairs - 1)) $((qpairs - 1)))
check "nvme get-feature -f 7: Number of Queues $want_nq" \
	equals "$(nvme get-feature /dev/nvme0 -f 7 2>&1)" \
	"get-feature:0x07 (Number of Queues), Current value:$want_nq"
check "nvme get-feature -f 7 -H: NCQA and NSQA $qpairs" \
	equals "$(nvme get-feature /dev/nvme0 -f 7 -H 2>/dev/null | sed -n 's/^[[:space:]]*Number of IO \(.*\) Queues Allocated ([A-Z]*): \([0-9]*\)$/\1 \2/p' | tr '\n' ' ')" \
	"Completion $qpairs Submission $qpairs "

# ---------------------------------------------------------------------------
# nvme io-passthru: Write and Read commands through NVME_IOCTL_IO_CMD.

# io_cmd DEV OPCODE NSID SLBA NLB LBA FILE: one passthrough command of NLB
# blocks; FILE is the data in (write) or out (read). Succeeds when nvme-cli
# exits 0 and says the command succeeded.
io_cmd() {
	local out name
	if [ "$2" = 0x01 ]; then
		name=Write
	else
		name=Read
		rm -f "$7"
	fi
	out=$(nvme io-passthru "$1" --opcode="$2" --namespace-id="$3" --cdw10="$4" \
		--cdw12=$(($5 - 1)) --data-len=$(($5 * $6)) --input-file="$7" 2>&1)
	equals "exit $?: $out" "exit 0: IO Command $name is Success and result: 0x00000000"
}

# dd_read DEV OFFSET_KIB KIB FILE / dd_write: O_DIRECT through the block device.
dd_read() {
	dd if="$1" of="$4" bs=1k skip="$2" count="$3" iflag=direct 2>/dev/null
}
dd_write() {
	dd if="$4" of="$1" bs=1k seek="$2" count="$3" oflag=direct conv=notrunc 2>/dev/null
}

n=1
while [ "$n" -le "$NS_COUNT" ]; do
	nsid=$(nsid_of "$n")
	lba=$(cat "/sys/block/nvme0n$n/queue/logical_block_size")
	ng=/dev/ng0n$n blk=/dev/nvme0n$n
	nlb=$((16384 / lba))
	# 16 KiB at 56 MiB, then at 57 MiB.
	slba=$((56 * 1048576 / lba)) slba2=$((57 * 1048576 / lba))
	head -c 16384 /dev/urandom >/tmp/io-w
	head -c 16384 /dev/urandom >/tmp/io-w2
	check "nvme io-passthru $ng: Write 16 KiB ($nlb blocks of $lba) at 56 MiB" \
		io_cmd "$ng" 0x01 "$nsid" "$slba" "$nlb" "$lba" /tmp/io-w
	check "nvme io-passthru $ng: Read it back" io_cmd "$ng" 0x02 "$nsid" "$slba" "$nlb" "$lba" /tmp/io-r
	check "nvme io-passthru $ng: same data" cmp /tmp/io-r /tmp/io-w
	check "$blk: dd (O_DIRECT) reads the same data" dd_read "$blk" $((56 * 1024)) 16 /tmp/io-r2
	check "$blk: same data as written through $ng" cmp /tmp/io-r2 /tmp/io-w
	check "$blk: dd (O_DIRECT) writes 16 KiB at 57 MiB" dd_write "$blk" $((57 * 1024)) 16 /tmp/io-w2
	check "nvme io-passthru $blk: Read it" io_cmd "$blk" 0x02 "$nsid" "$slba2" "$nlb" "$lba" /tmp/io-r
	check "nvme io-passthru $blk: same data as dd wrote" cmp /tmp/io-r /tmp/io-w2
	check "nvme io-passthru $ng: Read it" io_cmd "$ng" 0x02 "$nsid" "$slba2" "$nlb" "$lba" /tmp/io-r
	check "nvme io-passthru $ng: same data as dd wrote" cmp /tmp/io-r /tmp/io-w2
	n=$((n + 1))
done
rm -f /tmp/io-w /tmp/io-w2 /tmp/io-r /tmp/io-r2

# ---------------------------------------------------------------------------
# nvme admin-passthru: Identify through NVME_IOCTL_ADMIN_CMD, raw bytes.

# admin_identify DEV NSID CNS FILE: 4 KiB of Identify data to FILE.
admin_identify() {
	local rc
	nvme admin-passthru "$1" --opcode=0x06 --namespace-id="$2" --cdw10="$3" \
		--data-len=4096 --read --raw-binary 2>/tmp/admin-err >"$4"
	rc=$?
	equals "exit $rc: $(cat /tmp/admin-err)" "exit 0: Admin Command Identify is Success and result: 0x00000000"
}
# bytes FILE OFFSET COUNT
bytes() {
	dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null
}
for dev in /dev/nvme0 /dev/ng0n1; do
	check "nvme admin-passthru $dev: Identify Controller" admin_identify "$dev" 0 1 /tmp/idc
	check "nvme admin-passthru $dev: 4096 bytes" equals "$(wc -c </tmp/idc)" 4096
	check "nvme admin-passthru $dev: VID (bytes 0-1) is the PCI vendor ID" \
		equals "0x$(od -An -tx2 -N2 /tmp/idc | trim)" "$(cat "/sys/bus/pci/devices/$BDF/vendor")"
	check "nvme admin-passthru $dev: SN (bytes 4-23)" equals "$(bytes /tmp/idc 4 20)" "$(printf '%-20s' "$SERIAL")"
	check "nvme admin-passthru $dev: MN (bytes 24-63)" equals "$(bytes /tmp/idc 24 40)" "$(printf '%-40s' "$MODEL")"
done
nsid=1
while [ "$nsid" -le "$NS_COUNT" ]; do
	eval "want_blocks=\$NS${nsid}_BLOCKS"
	check "nvme admin-passthru /dev/nvme0: Identify Namespace $nsid" admin_identify /dev/nvme0 "$nsid" 0 /tmp/idns
	# NSZE: bytes 0-7, little endian.
	check "nvme admin-passthru: namespace $nsid NSZE" \
		equals "$(od -An -tu4 -N8 /tmp/idns | awk '{ print $1, $2 }')" "$want_blocks 0"
	nsid=$((nsid + 1))
done
rm -f /tmp/idc /tmp/idns /tmp/admin-err

# ---------------------------------------------------------------------------
# nvme reset and nvme ns-rescan: the controller comes back, the namespaces
# keep their names and NSIDs, and I/O works on both paths.

# verify_all: a short fio verify on every block node (one run) and every
# generic node (another run).
verify_all() {
	local n=1 blk="" ng=""
	while [ "$n" -le "$NS_COUNT" ]; do
		blk="$blk --name=blk$n --filename=/dev/nvme0n$n"
		ng="$ng --name=ng$n --filename=/dev/ng0n$n"
		n=$((n + 1))
	done
	# shellcheck disable=SC2086 # option words
	fio_ok --verify --ioengine=io_uring --direct=1 --rw=randwrite --bsrange=4k-64k \
		--size=1M --offset=60M --iodepth=8 --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 $blk || return 1
	# shellcheck disable=SC2086
	fio_ok --verify --ioengine=io_uring_cmd --cmd_type=nvme --rw=randwrite --bsrange=4k-64k \
		--size=1M --offset=61M --iodepth=8 --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 $ng
}

controller_live() {
	nvme list-subsys 2>/dev/null | grep -q -- "+- nvme0 pcie $BDF live"
}

check "nvme reset /dev/nvme0 exits 0" nvme reset /dev/nvme0
check "controller live again within 30 s (nvme list-subsys)" wait_for controller_live 30
check "every /dev/nvme0nN and /dev/ng0nN present after reset" wait_for all_nodes_present 30
check "nvme list -o json after reset: same namespaces, names and geometry" equals "$(list_records)" "$records"
check "fio verify on every block and generic node after reset" verify_all

check "nvme ns-rescan /dev/nvme0 exits 0" nvme ns-rescan /dev/nvme0
# The rescan runs asynchronously in the C driver: give it a moment, then
# nothing may have changed.
sleep 2
check "every /dev/nvme0nN and /dev/ng0nN present after ns-rescan" wait_for all_nodes_present 30
check "nvme list -o json after ns-rescan: same namespaces, names and geometry" equals "$(list_records)" "$records"
check "fio verify on every block and generic node after ns-rescan" verify_all

# sysfs rescan_controller, which blktests' nvme/053 writes under I/O: root
# may write it, nobody may read it, and a write rescans like ns-rescan.
RESCAN_ATTR=/sys/class/nvme/nvme0/rescan_controller
check "sysfs rescan_controller is write-only for its owner" \
	equals "$(stat -c %a "$RESCAN_ATTR" 2>&1)" 200
check "a write to rescan_controller is accepted" sh -c "echo 1 >$RESCAN_ATTR"
sleep 2
check "every /dev/nvme0nN and /dev/ng0nN present after rescan_controller" wait_for all_nodes_present 30
check "nvme list -o json after rescan_controller: same namespaces, names and geometry" \
	equals "$(list_records)" "$records"

group_end
