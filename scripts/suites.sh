#!/usr/bin/env bash
# blktests and xfstests on nvme-rs and on the C driver (issue 21).
#
#   scripts/suites.sh [--xfstests ci|quick] [--suites LIST] [--drivers "rs c"]
#                     [--markdown FILE] --kernel-dir DIR --module PATH
#
# Builds the suites from the pinned snapshots when missing
# (scripts/build-suites.sh), then boots one guest per driver
# (scripts/guest.sh --mode suites, names suites-rs and suites-c; with
# --xfstests quick, xfstests-rs and xfstests-c), each running blktests'
# block and nvme groups on the two namespaces and xfstests on ext4 and xfs
# with TEST_DEV namespace 1 and SCRATCH_DEV namespace 2. Then
# scripts/suites-report.py compares the drivers' results test by test and
# prints "suites: N passed, M failed": it fails where nvme-rs does worse
# than C, and on any guest that did not come back.
#
#   --xfstests ci     tools/suites/xfstests-ci.list (make test, the default)
#   --xfstests quick  the whole quick group (make xfstests; hours)
#   --suites LIST     comma-separated, of blktests, xfstests-ext4,
#                     xfstests-xfs (all three by default)
#   --markdown FILE   also write the results table there (e.g.
#                     Documentation/suites-results.md)
#
# GUEST_TIMEOUT (seconds, per guest) defaults to 1800 for the ci list and
# 43200 for quick.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
prog=suites.sh
usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-2}"; }

xlist=ci suites=blktests,xfstests-ext4,xfstests-xfs drivers="rs c" markdown='' kdir='' module=''
while [ $# -gt 0 ]; do
	case $1 in
	--xfstests) xlist=${2-}; shift 2 || usage ;;
	--suites) suites=${2-}; shift 2 || usage ;;
	--drivers) drivers=${2-}; shift 2 || usage ;;
	--markdown) markdown=${2-}; shift 2 || usage ;;
	--kernel-dir) kdir=${2-}; shift 2 || usage ;;
	--module) module=${2-}; shift 2 || usage ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
case $xlist in ci) prefix=suites timeout=${GUEST_TIMEOUT:-1800} ;; quick) prefix=xfstests timeout=${GUEST_TIMEOUT:-43200} ;; *) usage ;; esac
[ -n "$kdir" ] && [ -n "$module" ] || usage

if ! scripts/build-suites.sh; then
	echo "$prog: the suites did not build"
	echo "suites: 0 passed, 1 failed"
	exit 1
fi

for d in $drivers; do
	out=build/guest/$prefix-$d
	mkdir -p "$out"
	start=$SECONDS
	# xfstests' slowest tests print nothing for minutes under TCG: the
	# silence watch waits longer than for our own groups before it stops a
	# guest (GUEST_STALL), and the kernel's hung-task detector still
	# reports a task blocked for 60 s.
	GUEST_DRIVER=$d GUEST_SUITES=$suites GUEST_XFSTESTS=$xlist GUEST_TIMEOUT=$timeout \
		GUEST_STALL=${GUEST_STALL:-600} \
		scripts/guest.sh --mode suites --name "$prefix-$d" --kernel-dir "$kdir" --module "$module" 2>&1 |
		tee "$out/guest.log" | grep -E '^nvme-rs-guest: |^(block|nvme|generic|ext4|xfs)/[0-9*]+ |^(ok|FAIL) - |guest.sh: '
	sed -n '/--- verdict/,$p' "$out/guest.log" >"$out/verdict.log"
	echo "$prog: $d guest took $((SECONDS - start)) s"
done

md=()
[ -n "$markdown" ] && md=(--markdown "$markdown" --title "$([ "$xlist" = quick ] && echo "xfstests quick group" || echo "make test selection") ($(date -u +%Y-%m-%d), $(git -C "$repo" rev-parse --short HEAD))")
[ "$xlist" = ci ] && md+=(--xfstests-list tools/suites/xfstests-ci.list)
python3 scripts/suites-report.py --suites "$suites" "${md[@]}" "build/guest/$prefix-rs" "build/guest/$prefix-c"
