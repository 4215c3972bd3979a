#!/usr/bin/env python3
"""Checks the project's rule on unsafe code: none in drivers/, and every
unsafe block in rust/ preceded by a `// SAFETY:` comment. Prints one line
per violation and a closing `unsafe-rules: N passed, M failed` line."""
import pathlib
import re
import sys

repo = pathlib.Path(__file__).resolve().parent.parent
passed = failed = 0


def code(line):
    return not line.strip().startswith("//")


# One check per file: a file passes when it has no violation.
for path in sorted((repo / "drivers").rglob("*.rs")):
    bad = 0
    for i, line in enumerate(path.read_text().splitlines()):
        if re.search(r"\bunsafe\b", line) and code(line) and "unsafe_code" not in line:
            print(f"FAIL - unsafe in the driver: {path.relative_to(repo)}:{i + 1}")
            bad += 1
    passed, failed = (passed, failed + 1) if bad else (passed + 1, failed)

for path in sorted((repo / "rust").rglob("*.rs")):
    bad = 0
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.search(r"\bunsafe\s*(\{|impl)", line) and code(line):
            window = lines[max(0, i - 8): i + 1]
            if not any("SAFETY" in w for w in window):
                print(f"FAIL - unsafe without a SAFETY comment: {path.relative_to(repo)}:{i + 1}")
                bad += 1
    passed, failed = (passed, failed + 1) if bad else (passed + 1, failed)

print(f"unsafe-rules: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
