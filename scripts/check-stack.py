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
functions of the module. The deepest chain from every function is the sum
of the frames along its deepest path of direct calls; calls through
pointers (the block layer's and the kernel's callbacks) start new chains.
Recursion is not followed (a cycle is reported).

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
SUB_RSP = re.compile(r"\ssub\s+\$0x([0-9a-f]+),%rsp")
PUSH = re.compile(r"\spush\s+%r")
INSN = re.compile(r"^\s+[0-9a-f]+:\s")
# Instructions looked at for the frame's allocation.
PROLOGUE = 12
CALL_RELOC = re.compile(r"R_X86_64_PLT32\s+([^\s+-]+)")
# A call the assembler resolved within a section, without a relocation.
CALL_LOCAL = re.compile(r"\scall\s+[0-9a-f]+ <([^>+]+)>")


def frames_and_calls(module):
    """Frame bytes and the set of called symbols of each function."""
    text = subprocess.run(
        ["objdump", "-dr", "--no-show-raw-insn", module],
        check=True, capture_output=True, text=True).stdout
    frames, calls = {}, {}
    fn = None
    for line in text.splitlines():
        m = FUNC.match(line)
        if m:
            fn = m.group(1)
            frames[fn], calls[fn] = 8, set()
            insns = 0
            continue
        if fn is None:
            continue
        m = CALL_RELOC.search(line)
        if m:
            calls[fn].add(m.group(1))
            continue
        if not INSN.match(line):
            continue
        m = CALL_LOCAL.search(line)
        if m:
            calls[fn].add(m.group(1))
        insns += 1
        # The frame is made in the prologue: pushes of the saved registers
        # (and of the frame pointer) and one allocation.
        if insns <= PROLOGUE:
            if PUSH.search(line):
                frames[fn] += 8
            m = SUB_RSP.search(line)
            if m:
                frames[fn] += int(m.group(1), 16)
                insns = PROLOGUE
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
    memo, _ = deepest(frames, calls)
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
    return tally.summary("stack")


if __name__ == "__main__":
    sys.exit(main())
