#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Stack use of nvme_rs.ko: no frame and no call chain too deep for a
kernel stack.

    scripts/check-stack.py [MODULE.ko]

An x86-64 kernel stack is 16 KiB (32 KiB with KASAN, which the test kernel
has, so an overflow there goes unseen). Probe runs in insmod's task below
the module loader and the driver core, and calls back into the kernel
(device_add, add_disk, udev events) from the bottom of its own chain: what
the driver's functions take between them must leave the kernel most of the
stack. Rust builds large values (identify data, logs, whole structures
before they are boxed) on the stack of the function that makes them, and
inlining adds every callee's frame to its caller's, so this is checked on
every build rather than trusted.

From `objdump -dr` of the module: each function's frame (the pushes, the
`sub $N,%rsp` and the return address) and its direct calls to other
functions of the module (and tail jumps, counted as calls), the targets of
relocations against a section resolved through the symbol table. The
deepest chain from every function is the sum of the frames along its
deepest path of direct calls; calls through pointers (the block layer's
and the kernel's callbacks) start new chains, and the kernel's frames
around the driver's are not counted. Recursion is not followed (the
functions on a cycle are listed).

Checks, one per line (`ok -` or `FAIL -`), then `stack: N passed, N failed`:
  - every frame is at most FRAME_LIMIT bytes (the kernel's own
    CONFIG_FRAME_WARN for 64-bit is 2048);
  - the deepest chain of the driver's own frames is at most CHAIN_LIMIT.
"""

import re
import subprocess
import sys

from tally import Tally

FRAME_LIMIT = 2048
CHAIN_LIMIT = 5120

FUNC = re.compile(r"^[0-9a-f]+ <(.+)>:$")
INSN = re.compile(r"^\s+[0-9a-f]+:\s")
SUB_RSP = re.compile(r"\ssub\s+\$0x([0-9a-f]+),%rsp")
PUSH = re.compile(r"\spush\s+%r")
CALL = re.compile(r"\scall\s")
# A call or jump's relocation: to a function, or to a section plus an
# offset (a function the assembler named by its section).
RELOC = re.compile(r"R_X86_64_PLT32\s+([^\s+-]+)([+-]0x[0-9a-f]+)?")
# A call or tail jump the assembler resolved within a section. Where a
# relocation follows, the address shown is a placeholder and the relocation
# names the target.
BRANCH_LOCAL = re.compile(r"\s(?:call|jmp)\s+[0-9a-f]+ <([^>+]+)>")
# objdump -t: address, flags with F (function), section, size, name.
SYMBOL = re.compile(r"^([0-9a-f]+)\s.*\sF\s(\S+)\s+[0-9a-f]+\s+(\S+)$")


def functions_by_place(module):
    """The function at each (section, address) of the module."""
    text = subprocess.run(["objdump", "-t", module], check=True,
                          capture_output=True, text=True).stdout
    places = {}
    for line in text.splitlines():
        m = SYMBOL.match(line)
        if m:
            places[(m.group(2), int(m.group(1), 16))] = m.group(3)
    return places


def frames_and_calls(module):
    """Frame bytes and the set of called symbols of each function.

    The frame is what the function makes before its first call: the
    pushes (saved registers, the frame pointer) and one `sub $N,%rsp`.
    A shrink-wrapped function may test and return before making it, so
    it is looked for up to the first call, not in a fixed prologue."""
    places = functions_by_place(module)
    text = subprocess.run(
        ["objdump", "-dr", "--no-show-raw-insn", module],
        check=True, capture_output=True, text=True).stdout
    frames, calls = {}, {}
    fn = pending = None
    framing = False
    for line in text.splitlines():
        m = RELOC.search(line)
        if m and fn:
            pending = None
            target, addend = m.group(1), m.group(2)
            if target.startswith(".") and addend:
                # PLT32 addends are the offset less the 4 bytes of the field.
                target = places.get((target, int(addend, 16) + 4), target)
            if not target.startswith("__fentry__"):
                calls[fn].add(target)
            continue
        if pending:
            calls[fn].add(pending)
            pending = None
        m = FUNC.match(line)
        if m:
            fn = m.group(1)
            frames[fn], calls[fn] = 8, set()
            framing = True
            continue
        if fn is None or not INSN.match(line):
            continue
        m = BRANCH_LOCAL.search(line)
        if m and m.group(1) != fn:
            pending = m.group(1)
        if not framing:
            continue
        if PUSH.search(line):
            frames[fn] += 8
        m = SUB_RSP.search(line)
        if m:
            frames[fn] += int(m.group(1), 16)
            framing = False
        elif CALL.search(line) and "__fentry__" not in line:
            framing = False
    if pending:
        calls[fn].add(pending)
    return frames, calls


def deepest(frames, calls):
    """For each function, the deepest chain of module frames below it."""
    memo, on_path, cycles = {}, set(), []

    def walk(fn):
        if fn in memo:
            return memo[fn]
        if fn in on_path:
            cycles.append(fn)
            return (0, [])
        on_path.add(fn)
        best = (0, [])
        for callee in calls.get(fn, ()):
            if callee in frames and callee != fn:
                best = max(best, walk(callee), key=lambda b: b[0])
        on_path.discard(fn)
        memo[fn] = (frames[fn] + best[0], [fn] + best[1])
        return memo[fn]

    sys.setrecursionlimit(10000)
    for fn in frames:
        walk(fn)
    return memo, cycles


def short(symbol):
    """A symbol's demangled name, without the crate's hash."""
    name = subprocess.run(["c++filt"], input=symbol, capture_output=True,
                          text=True).stdout.strip() or symbol
    return re.sub(r"\[[0-9a-f]{16}\]", "", name)


def main():
    module = sys.argv[1] if len(sys.argv) > 1 else "nvme_rs.ko"
    frames, calls = frames_and_calls(module)
    memo, cycles = deepest(frames, calls)
    tally = Tally()
    check = tally.check

    big = sorted(((b, f) for f, b in frames.items() if b > FRAME_LIMIT), reverse=True)
    check(not big, f"every frame is at most {FRAME_LIMIT} bytes",
          "\n".join(f"    {b} bytes: {short(f)}" for b, f in big))
    top = max(memo.values(), key=lambda v: v[0])
    chain = "\n".join(f"    {frames[f]:6} {short(f)}" for f in top[1])
    check(top[0] <= CHAIN_LIMIT,
          f"the deepest chain of the driver's frames is at most {CHAIN_LIMIT} bytes "
          f"({top[0]})", chain)
    if "-v" in sys.argv or tally.failed:
        print(f"# deepest chain, {top[0]} bytes:\n{chain}")
    for fn in sorted(set(cycles)):
        # Recursion is not followed: its depth is the data's, not the code's.
        print(f"# on a call cycle, not followed: {short(fn)}")
    return tally.summary("stack")


if __name__ == "__main__":
    sys.exit(main())
