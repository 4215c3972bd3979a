# shellcheck shell=bash
# problem_re: an extended regex matching the reports a kernel prints for
# bugs, lockdep, RCU stalls, hung tasks, KASAN, kmemleak, UBSAN, list
# debugging and refcounts. A guest log with a matching line is not clean.
# Sourced by scripts/guest.sh and scripts/root-boot.sh.
# shellcheck disable=SC2034 # for the sourcing script
problem_re='(^|[^A-Za-z])BUG:|(^|[^A-Za-z])WARNING:|KASAN:|Oops|kernel BUG|general protection fault'
problem_re+='|possible circular locking|possible recursive locking|inconsistent lock state'
problem_re+='|INFO: rcu|rcu: INFO|self-detected stall|blocked for more than|Call Trace:'
problem_re+='|kmemleak: .* new suspected memory leaks|UBSAN:|list_add corruption|refcount_t:|Kernel panic'
