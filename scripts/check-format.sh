#!/usr/bin/env bash
# Checks that every Rust file is formatted as rustfmt would (the kernel's
# settings, in .rustfmt.toml). Prints the files that are not, and a closing
# `format: N passed, M failed` line (one check per file).
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
while IFS= read -r f; do
	if rustfmt --check "$f" >/dev/null 2>&1; then
		passed=$((passed + 1))
	else
		echo "FAIL - not rustfmt-formatted: $f (run: rustfmt $f)"
		failed=$((failed + 1))
	fi
done < <(git ls-files '*.rs')
echo "format: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
