#!/usr/bin/env python3
"""Name the functions the instruction-counting boot of `make bench` ran.

    profile.py INSN_LOG COUNTS BLOCKS KERNEL_DIR NVME_RS_KO [CELL_REGEX]

INSN_LOG    the counting boot's serial log: its "nvme-rs-insns:" lines name
            each counted run's cell, driver and plugin epoch, and its
            "nvme-rs-insns-text:" lines where each load of a driver put its
            modules' code (tools/guest/bench.sh)
COUNTS      the insn-count plugin's out= file: instructions by class per
            epoch, against which the profile checks that it saw them all
BLOCKS      the insn-count plugin's blocks= output: per epoch, every kernel
            and module translation block that ran, with its instructions
            and runs (tools/bench/insn-count.c)
KERNEL_DIR  the bench kernel tree: System.map (the guest ran with nokaslr,
            so its addresses are the running ones) and the C driver's
            modules, drivers/nvme/host/nvme.ko and nvme-core.ko
NVME_RS_KO  the nvme_rs.ko that ran
CELL_REGEX  only cells whose name this matches (all)

Writes Markdown to standard output: per cell, each driver's instructions
per I/O in the driver's own functions, most first, and the kernel
functions whose count per I/O differs most between the drivers. Where the
driver spends its instructions is what a change to the hot path has to
move; this says where, rather than leaving it to guesses.

Standard library and binutils' objdump only.
"""

import bisect
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

# The serial log's and the counts' readers are report.py's, beside this.
from report import DRIVER_NAMES, DRIVERS, INSNS_TAG, INSNS_TEXT_TAG, json_or_none, read_counts, tagged_lines

# Driver functions listed per cell and driver, and kernel functions.
TOP_DRIVER, TOP_KERNEL = 25, 12


class Symbols:
    """Addresses to names: the nearest symbol at or below an address."""

    def __init__(self, pairs):
        pairs = sorted(pairs)
        self.addrs = [a for a, _ in pairs]
        self.names = [n for _, n in pairs]

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        return self.names[i] if i >= 0 else None


def kernel_symbols(system_map):
    pairs = []
    with open(system_map, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if len(words) == 3 and words[1] in "tTwW":
                pairs.append((int(words[0], 16), words[2]))
    return Symbols(pairs)


# objdump -t: "VALUE FLAGS SECTION\tSIZE NAME", FLAGS seven columns wide.
OBJDUMP_SYMBOL = re.compile(r"^([0-9a-f]+) .{7} (\.text\S*)\t[0-9a-f]+ (.+)$")


def module_symbols(ko):
    """{section: [(offset, name)]} for the code sections of a module file,
    names demangled (Rust's too)."""
    out = subprocess.run(["objdump", "-t", "-C", str(ko)], check=True, capture_output=True, text=True).stdout
    sections = defaultdict(list)
    for line in out.splitlines():
        m = OBJDUMP_SYMBOL.match(line)
        if m:
            sections[m.group(2)].append((int(m.group(1), 16), short(m.group(3))))
    return sections


def short(name):
    """A demangled Rust name without its crate hash and closure noise."""
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
    return name.replace("nvme_rs::", "")


def read_runs(insn_log, modules):
    """[(cell, drv, epoch, ios, Symbols of the modules loaded then)]."""
    loaded = {}
    symbols = {}
    runs = []
    for tag, body in tagged_lines(insn_log, (INSNS_TEXT_TAG, INSNS_TAG)):
        obj = json_or_none(tag, body)
        if obj is None:
            continue
        drv = obj.get("drv")
        if drv not in DRIVERS:
            continue
        if tag == INSNS_TEXT_TAG:
            if symbols.get(drv) is not None:
                # A new load: forget the last one's placement.
                loaded[drv], symbols[drv] = {}, None
            loaded.setdefault(drv, {})[(obj["module"], obj["section"])] = int(obj["addr"], 16)
            continue
        if obj.get("err") != 0 or not obj.get("ios"):
            continue
        if symbols.get(drv) is None:
            pairs = []
            for (module, section), base in loaded.get(drv, {}).items():
                for offset, name in modules.get(module, {}).get(section, []):
                    pairs.append((base + offset, name))
            symbols[drv] = Symbols(pairs)
        runs.append((obj["cell"], drv, obj["epoch"], obj["ios"], symbols[drv]))
    return runs


def read_blocks(path):
    """{epoch: [(vaddr, insns, runs)]}, the last dump of each epoch (a job
    of several threads stops, and so dumps, once per thread)."""
    epochs = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if len(words) == 2 and words[0] == "epoch":
                current = epochs[int(words[1])] = []
            elif len(words) == 3 and current is not None:
                current.append((int(words[0], 16), int(words[1]), int(words[2])))
    return epochs


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    insn_log, counts_path, blocks_path, kdir, rs_ko = argv[1:6]
    only = re.compile(argv[6]) if len(argv) == 7 else None
    module_counts = {epoch: c["module"] for epoch, c in read_counts(counts_path).items()}
    kdir = Path(kdir)
    kernel = kernel_symbols(kdir / "System.map")
    modules = {
        "nvme": module_symbols(kdir / "drivers/nvme/host/nvme.ko"),
        "nvme_core": module_symbols(kdir / "drivers/nvme/host/nvme-core.ko"),
        "nvme_rs": module_symbols(rs_ko),
    }
    blocks = read_blocks(blocks_path)
    # cell -> drv -> ({driver function: insns}, {kernel function: insns}, ios)
    cells = defaultdict(dict)
    for cell, drv, epoch, ios, mod_syms in read_runs(insn_log, modules):
        if only and not only.search(cell) or epoch not in blocks:
            continue
        driver, kern = defaultdict(int), defaultdict(int)
        for vaddr, insns, runs in blocks[epoch]:
            # The kernel's text lies below the module area, so an address
            # below every module symbol is the kernel's.
            name = mod_syms.name(vaddr)
            if name is not None:
                driver[name] += insns * runs
            else:
                kern[kernel.name(vaddr) or hex(vaddr)] += insns * runs
        cells[cell][drv] = (driver, kern, ios, module_counts.get(epoch))

    print("# Instructions per I/O by function\n")
    print("From the instruction-counting boot of `make bench` (one run per cell and driver). "
          "Driver functions are the modules' own code (C: nvme and nvme_core); a function "
          "built into its caller counts as the caller.\n")
    for cell, by_drv in cells.items():
        if set(by_drv) != set(DRIVERS):
            continue
        print(f"## {cell}\n")
        for drv in DRIVERS:
            driver, _, ios, counted = by_drv[drv]
            total = sum(driver.values()) / ios
            missing = (counted or 0) / ios - total
            note = ""
            if missing > 0.005 * total:
                note = f" ({missing:,.0f} more per I/O ran in blocks the plugin could not keep apart)"
            print(f"**{DRIVER_NAMES[drv]}**: {total:,.0f} driver instructions per I/O{note}\n")
            print("| function | per I/O |\n|---|---:|")
            for name, n in sorted(driver.items(), key=lambda kv: -kv[1])[:TOP_DRIVER]:
                if n / ios >= 0.5:
                    print(f"| `{name}` | {n / ios:,.1f} |")
            print()
        kc, kr = by_drv["c"][1], by_drv["rs"][1]
        ios_c, ios_r = by_drv["c"][2], by_drv["rs"][2]
        diffs = {name: kr.get(name, 0) / ios_r - kc.get(name, 0) / ios_c for name in set(kc) | set(kr)}
        print("Kernel functions that differ most (per I/O):\n")
        print("| function | C | nvme-rs | difference |\n|---|---:|---:|---:|")
        for name, d in sorted(diffs.items(), key=lambda kv: -abs(kv[1]))[:TOP_KERNEL]:
            print(f"| `{name}` | {kc.get(name, 0) / ios_c:,.1f} | {kr.get(name, 0) / ios_r:,.1f} | {d:+,.1f} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
