#!/usr/bin/env bash
# blktests and xfstests on nvme-rs and on the C driver (issue 21).
#
#   scripts/suites.sh [--blktests ci|all] [--xfstests ci|quick] [--suites LIST]
#                     [--drivers "rs c"] [--markdown FILE]
#                     --kernel-dir DIR --module PATH
#
# Builds the suites from the pinned snapshots when missing
# (scripts/build-suites.sh), then boots one guest per driver, both at once
# (scripts/guest.sh --mode suites, names suites-rs and suites-c; with
# --blktests all, suites-all-rs and suites-all-c; with --xfstests quick,
# xfstests-rs and xfstests-c), each running blktests on the two namespaces
# and xfstests on ext4 and xfs with TEST_DEV namespace 1 and SCRATCH_DEV
# namespace 2. Then scripts/suites-report.py compares the drivers' results
# test by test and prints "suites: N passed, M failed": it fails where
# nvme-rs does worse than C, and on any guest that did not come back.
#
#   --blktests ci     tools/suites/blktests-ci.list (make test, the default)
#   --blktests all    the block and nvme groups on both namespaces
#                     (make suites)
#   --xfstests ci     tools/suites/xfstests-ci.list (make test, the default)
#   --xfstests quick  the whole quick group (make xfstests; hours)
#   --suites LIST     comma-separated, of blktests, xfstests-ext4,
#                     xfstests-xfs (all three by default)
#   --markdown FILE   also write the results table there (e.g.
#                     Documentation/suites-results.md)
#
# GUEST_TIMEOUT (seconds, per guest) defaults to 2700 for the ci lists,
# an hour more with --blktests all, and 43200 for quick.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 2
prog=suites.sh
usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-2}"; }

xlist=ci blist=ci suites=blktests,xfstests-ext4,xfstests-xfs drivers="rs c" markdown='' kdir='' module=''
while [ $# -gt 0 ]; do
	case $1 in
	--xfstests) xlist=${2-}; shift 2 || usage ;;
	--blktests) blist=${2-}; shift 2 || usage ;;
	--suites) suites=${2-}; shift 2 || usage ;;
	--drivers) drivers=${2-}; shift 2 || usage ;;
	--markdown) markdown=${2-}; shift 2 || usage ;;
	--kernel-dir) kdir=${2-}; shift 2 || usage ;;
	--module) module=${2-}; shift 2 || usage ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; usage ;;
	esac
done
case $xlist in ci) prefix=suites timeout=2700 ;; quick) prefix=xfstests timeout=43200 ;; *) usage ;; esac
case $blist in ci) ;; all) prefix=$prefix-all timeout=$((timeout + 3600)) ;; *) usage ;; esac
timeout=${GUEST_TIMEOUT:-$timeout}
[ -n "$kdir" ] && [ -n "$module" ] || usage

if ! scripts/build-suites.sh; then
	echo "$prog: the suites did not build"
	echo "suites: 0 passed, 1 failed"
	exit 1
fi

# One guest for each driver, at the same time: on a 2-CPU host each takes
# about one and a half times as long as alone, so the two together take
# less than one after the other (Documentation/suites.md, Time). Each guest's whole output is in
# build/guest/<name>/guest.log; the lines that tell the progress are shown
# here with the driver in front.
run_guest() {
	local d=$1 out=build/guest/$prefix-$1 start=$SECONDS
	mkdir -p "$out"
	# xfstests' slowest tests print nothing for minutes under TCG: the
	# silence watch waits longer than for our own groups before it stops a
	# guest (GUEST_STALL), and the kernel's hung-task detector still
	# reports a task blocked for 60 s.
	GUEST_DRIVER=$d GUEST_SUITES=$suites GUEST_XFSTESTS=$xlist GUEST_BLKTESTS=$blist \
		GUEST_TIMEOUT=$timeout GUEST_STALL=${GUEST_STALL:-600} \
		scripts/guest.sh --mode suites --name "$prefix-$d" --kernel-dir "$kdir" --module "$module" 2>&1 |
		tee "$out/guest.log" |
		grep --line-buffered -E '^nvme-rs-guest: |^(block|nvme|generic|ext4|xfs)/[0-9*]+ |^(ok|FAIL) - |guest.sh: ' |
		sed -u "s/^/[$d] /"
	sed -n '/--- verdict/,$p' "$out/guest.log" >"$out/verdict.log"
	echo "[$d] $prog: the guest took $((SECONDS - start)) s"
}
for d in $drivers; do
	run_guest "$d" &
done
wait

md=()
title="make test selection"
[ "$blist" = all ] && title="blktests' block and nvme groups, the xfstests list of make test"
[ "$xlist" = quick ] && title="xfstests quick group"
[ -n "$markdown" ] && md=(--markdown "$markdown" --title "$title ($(date -u +%Y-%m-%d), $(git -C "$repo" rev-parse --short HEAD))")
[ "$xlist" = ci ] && md+=(--xfstests-list tools/suites/xfstests-ci.list)
[ "$blist" = ci ] && md+=(--blktests-list tools/suites/blktests-ci.list)
python3 scripts/suites-report.py --suites "$suites" "${md[@]}" "build/guest/$prefix-rs" "build/guest/$prefix-c"
