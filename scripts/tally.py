# SPDX-License-Identifier: GPL-2.0
"""What the project's check scripts print: an `ok -` or `FAIL -` line per
check, and a closing `NAME: N passed, M failed`, which scripts/test.sh
adds up."""


class Tally:
    """Counts checks as they are printed."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        """Prints one check; `detail` follows a failed one."""
        if ok:
            self.passed += 1
            print(f"ok - {what}")
        else:
            self.failed += 1
            print(f"FAIL - {what}")
            if detail:
                print(detail)

    def summary(self, name):
        """Prints the closing count; the exit status for it."""
        print(f"{name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
