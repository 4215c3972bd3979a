#!/usr/bin/env python3
"""Turn `make bench` runs into results.json, results.md and chart.svg.

    report.py collect CONSOLE_LOG HOST_META OUTDIR [INSN_LOG INSN_COUNTS]
        Reads the guest's serial log (the "nvme-rs-bench..." lines that
        tools/guest/bench.sh prints) and the host's facts (a JSON object
        written by scripts/bench.sh), writes OUTDIR/runs.jsonl (every fio
        run), OUTDIR/meta.json (configuration and date), OUTDIR/results.json
        (one object per cell, medians over rounds), then renders. With the
        instruction-counting boot's serial log ("nvme-rs-insns:" lines) and
        the insn-count plugin's output, each cell also gets the guest
        instructions per I/O of each driver.

    report.py render OUTDIR
        Writes OUTDIR/results.md and OUTDIR/chart.svg from OUTDIR/results.json
        and OUTDIR/meta.json.

Standard library only, so a fresh Debian 12 machine needs nothing but python3.
"""

import datetime
import html
import json
import math
import re
import statistics
import sys
from pathlib import Path

DRIVERS = ("c", "rs")
DRIVER_NAMES = {"c": "C", "rs": "nvme-rs"}

# Orders cells as the guest lists them (backend, workload, path), whatever
# order the runs came in.
BACKENDS = ("file", "null")
WORKLOADS = ("rr4k-qd1", "rr4k-qd32", "rr4k-qd128x2", "rw4k-qd32", "rr512-qd32", "sr128k-qd8",
             "rr4k-qd4", "rr4k-qd16", "rr4k-qd64", "rr4k-qd256")
PATHS = ("blk", "blk-poll", "ng", "ng-poll")

WORKLOAD_TEXT = {
    "rr4k-qd1": "4k randread QD1",
    "rr4k-qd32": "4k randread QD32",
    "rr4k-qd128x2": "4k randread QD128 x2 jobs",
    "rw4k-qd32": "4k randwrite QD32",
    "rr512-qd32": "512 randread QD32",
    "sr128k-qd8": "128k seqread QD8",
    "rr4k-qd4": "4k randread QD4",
    "rr4k-qd16": "4k randread QD16",
    "rr4k-qd64": "4k randread QD64",
    "rr4k-qd256": "4k randread QD256",
}
PATH_TEXT = {
    "blk": "nvme0nN io_uring",
    "blk-poll": "nvme0nN io_uring hipri",
    "ng": "ng0nN uring_cmd",
    "ng-poll": "ng0nN uring_cmd hipri",
}
BACKEND_TEXT = {
    "file": "file-backed namespace (raw image on the host)",
    "null": "null back end (QEMU null-co, no host storage)",
}


def cell_key(name):
    parts = name.split("/")
    if len(parts) != 3:
        return (len(BACKENDS), 0, 0, name)

    def index(seq, x):
        return seq.index(x) if x in seq else len(seq)

    return (index(BACKENDS, parts[0]), index(WORKLOADS, parts[1]), index(PATHS, parts[2]), name)


def tagged_lines(path, tags):
    """Yields (tag, rest of the line) for each line of the serial log at
    `path` that carries one of `tags`.

    A kernel message can land at the start of a line the guest was printing;
    the tag is then not at column 0."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            for tag in tags:
                at = line.find(tag)
                if at >= 0:
                    yield tag, line[at + len(tag):]
                    break


def json_or_none(tag, body):
    """The JSON object a tagged line carries, or None, said, if garbled."""
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        print(f"report: skipping a garbled line: {(tag + body)[:120]}", file=sys.stderr)
        return None


META_TAG, RUN_TAG, DONE_TAG = "nvme-rs-bench-meta: ", "nvme-rs-bench: ", "nvme-rs-bench-done: "
INSNS_TAG, INSNS_TEXT_TAG = "nvme-rs-insns: ", "nvme-rs-insns-text: "


def parse_console(path):
    """Returns (guest meta dict, list of run dicts, done line or None)."""
    meta, runs, done = {}, [], None
    for tag, body in tagged_lines(path, (META_TAG, RUN_TAG, DONE_TAG)):
        if tag == DONE_TAG:
            done = body
            continue
        obj = json_or_none(tag, body)
        if obj is None:
            continue
        if tag == META_TAG:
            meta = obj
        else:
            runs.append(obj)
    return meta, runs, done


def read_counts(counts_path):
    """The insn-count plugin's counts: {epoch: {"user", "kernel", "module"}},
    each epoch's last line."""
    counts = {}
    with open(counts_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            words = line.split()
            if len(words) == 8 and words[0] == "epoch":
                try:
                    counts[int(words[1])] = {words[i]: int(words[i + 1]) for i in (2, 4, 6)}
                except ValueError:
                    continue
    return counts


def parse_insns(console_log, counts_path):
    """Instruction counts per (cell, driver): {"ios", "user", "kernel", "module"}.

    The guest prints one "nvme-rs-insns:" line per counted run, naming the
    plugin's epoch; the plugin writes "epoch E user U kernel K module M" at
    every stop, cumulative within the epoch, so an epoch's last line is the
    whole run (a job of several threads stops once per thread)."""
    counts = read_counts(counts_path)
    found = {}
    for tag, body in tagged_lines(console_log, (INSNS_TAG,)):
        run = json_or_none(tag, body)
        if run is None:
            continue
        count = counts.get(run.get("epoch"))
        if run.get("err") != 0 or not run.get("ios") or count is None or run.get("drv") not in DRIVERS:
            continue
        found[(run["cell"], run["drv"])] = {"ios": run["ios"]} | count
    return found


def add_insns(results, insns):
    """Adds instructions per I/O (all, and split by where they ran) to each cell."""
    for row in results:
        for d in DRIVERS:
            got = insns.get((row["name"], d))
            for part in ("insns", "driver_insns", "kernel_insns", "user_insns"):
                row[f"{d}_{part}_per_io"] = None
            if got:
                ios = got["ios"]
                row[f"{d}_insns_per_io"] = round((got["user"] + got["kernel"] + got["module"]) / ios)
                row[f"{d}_driver_insns_per_io"] = round(got["module"] / ios)
                row[f"{d}_kernel_insns_per_io"] = round(got["kernel"] / ios)
                row[f"{d}_user_insns_per_io"] = round(got["user"] / ios)
        c, r = row["c_insns_per_io"], row["rs_insns_per_io"]
        row["insns_ratio"] = round(r / c, 3) if c and r is not None else None


def good(run):
    return run.get("err") == 0 and isinstance(run.get("iops"), (int, float)) and run.get("ios", 0) > 0


def median(values):
    return statistics.median(values) if values else None


def summarize(runs):
    """One object per cell: medians over rounds for each driver."""
    cells = {}
    for run in runs:
        cells.setdefault(run["cell"], {d: [] for d in DRIVERS})
        if run.get("drv") in DRIVERS and good(run):
            cells[run["cell"]][run["drv"]].append(run)

    results = []
    for name in sorted(cells, key=cell_key):
        backend, workload, path = (name.split("/") + ["", "", ""])[:3]
        row = {"name": name, "backend": backend, "workload": workload, "path": path}
        for d in DRIVERS:
            rs = sorted(cells[name][d], key=lambda r: r["round"])
            iops = [r["iops"] for r in rs]
            cpu = [r["busy_ticks"] * 1e6 / r.get("hz", 100) / r["ios"] for r in rs]
            row[f"{d}_iops"] = round(median(iops), 1) if iops else None
            row[f"{d}_p50_us"] = round(median([r["p50_ns"] for r in rs]) / 1000, 2) if rs else None
            row[f"{d}_p99_us"] = round(median([r["p99_ns"] for r in rs]) / 1000, 2) if rs else None
            row[f"{d}_cpu_us_per_io"] = round(median(cpu), 2) if cpu else None
            row[f"{d}_rounds"] = len(rs)
            row[f"{d}_iops_by_round"] = [round(x, 1) for x in iops]
            # (max - min) / median: how much the rounds disagree.
            row[f"{d}_iops_spread"] = round((max(iops) - min(iops)) / median(iops), 3) if len(iops) > 1 and median(iops) else None
        c, r = row["c_iops"], row["rs_iops"]
        row["ratio"] = round(r / c, 3) if c and r is not None else None
        results.append(row)
    # The ratio first after the name, as the brief names the keys.
    order = ["name", "c_iops", "rs_iops", "ratio"]
    return [{k: row[k] for k in order} | {k: v for k, v in row.items() if k not in order} for row in results]


def fmt_num(x, digits=0):
    if x is None:
        return "n/a"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def fmt_ratio(x):
    if x is None:
        return "n/a"
    s = f"{x:.2f}"
    # Marked when nvme-rs is slower: rounded to two places, 0.995 is 1.00.
    return f"**{s}** ▼" if round(x, 2) < 1.0 else s


def fmt_lat(p50, p99):
    if p50 is None:
        return "n/a"
    return f"{p50:,.1f} / {p99:,.1f}"


def fmt_spread(row):
    parts = []
    for d in DRIVERS:
        s = row.get(f"{d}_iops_spread")
        parts.append("–" if s is None else f"{s * 100:.0f}%")
    return " / ".join(parts)


def describe(meta):
    """A few lines on how the numbers were taken, for the Markdown and the chart."""
    g = meta.get("guest", {})
    h = meta.get("host", {})
    # "7.2.22 (Debian 1:7.2+dfsg-...)" -> "7.2.22"; the cache directory name
    # ends in flavour and config hash, which is what tells configs apart.
    qemu = (h.get("qemu") or "?").split()[0]
    config = re.search(r"[a-z]+-[0-9a-f]+$", h.get("kernel_config") or "")
    rounds = g.get("rounds", "?")
    return {
        "date": meta.get("date", "?"),
        "setup": (
            f"QEMU {qemu} TCG, {g.get('cpus', '?')} vCPUs, "
            f"nvme {h.get('nvme_opts', '')}; guest kernel {g.get('kernel', '?')} "
            f"({config.group(0) if config else '?'}); {g.get('fio', 'fio')}"
        ),
        "method": (
            f"{rounds} round{'' if rounds == 1 else 's'}, both drivers in turn on each group of cells; each fio run "
            f"{g.get('runtime_s', '?')} s after a {g.get('ramp_s', '?')} s warm-up; "
            f"poll_queues=1 for both drivers"
        ),
        "host": f"host {h.get('cpu', '?')}, {h.get('host_cpus', '?')} CPUs, Linux {h.get('host_kernel', '?')}",
        "source": f"nvme-rs {h.get('commit', '?')}",
    }


def fmt_insns_ratio(x):
    if x is None:
        return "n/a"
    s = f"{x:.2f}"
    # Marked when nvme-rs executes more: rounded, 1.004 is 1.00.
    return f"**{s}** ▲" if round(x, 2) > 1.0 else s


def fmt_split(row, d):
    parts = [row.get(f"{d}_{p}_insns_per_io") for p in ("driver", "kernel", "user")]
    if any(p is None for p in parts):
        return "n/a"
    return " / ".join(fmt_num(p) for p in parts)


def render_insns_markdown(results, meta):
    rows = [r for r in results if r.get("insns_ratio") is not None]
    if not rows:
        return []
    per_job = meta.get("insns_guest", {}).get("insns", "?")
    lines = [
        "",
        "## Instructions per I/O",
        "",
        f"Guest instructions executed per I/O, counted by QEMU (the insn-count TCG plugin) in a "
        f"second boot where each cell ran once per driver for {per_job} I/Os per job, from after "
        "fio's setup to after its last I/O, on every vCPU. Unlike time, the count hardly moves "
        "with the host's load: most cells repeat to within a percent or two from run to run, some "
        "to within a few percent (batching, hence interrupts per I/O, still follows timing). "
        "Ratio = nvme-rs / C, "
        "**bold ▲** where nvme-rs executes more. Split: in the driver's modules (nvme and "
        "nvme_core, or nvme_rs) / the rest of the kernel / user space (fio). Polled cells count "
        "the instructions of polling too, which grow with the time an I/O takes.",
        "",
        "| cell | C | nvme-rs | ratio | C driver / kernel / user | nvme-rs driver / kernel / user |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| `{row['name']}` | {fmt_num(row['c_insns_per_io'])} | {fmt_num(row['rs_insns_per_io'])} "
            f"| {fmt_insns_ratio(row['insns_ratio'])} | {fmt_split(row, 'c')} | {fmt_split(row, 'rs')} |"
        )

    def summary(subset, what):
        ratios = [r["insns_ratio"] for r in subset]
        if not ratios:
            return None
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        more = sum(1 for r in ratios if round(r, 2) > 1.0)
        return f"{geo:.3f} over {len(ratios)} {what} (nvme-rs executes more in {more})"

    # Polling spins for as long as an I/O takes, so only the cells with
    # interrupts compare the drivers' code alone.
    parts = [
        summary([r for r in rows if not r["path"].endswith("-poll")], "cells with interrupts"),
        summary([r for r in rows if r["path"].endswith("-poll")], "polled cells"),
    ]
    parts = [p for p in parts if p]
    lines += ["", "Geometric mean of the instruction ratios: " + "; ".join(parts) + "."]
    return lines


def render_markdown(results, meta):
    d = describe(meta)
    lines = [
        "# nvme-rs vs. the C NVMe driver",
        "",
        f"{d['date']}; {d['source']}. {d['setup']}. {d['method']}. {d['host']}.",
        "",
        "IOPS: median over rounds; ratio = nvme-rs / C, **bold ▼** where nvme-rs is slower. "
        "Latency: fio completion latency (clat) p50 / p99 in µs (median over rounds); at low "
        "queue depth an I/O can complete while its submitting io_uring_enter still runs, which "
        "fio counts as submission time, so a few-µs clat there is not the device's latency. "
        "CPU: guest CPU time (user + system + irq + softirq of every vCPU, from /proc/stat) "
        "per I/O in µs. Spread: (max − min) / median of the rounds' IOPS, C / nvme-rs. "
        "Emulated hardware under TCG: compare the two drivers in a row, not rows with each other "
        "or with real devices.",
        "",
        "| cell | C IOPS | nvme-rs IOPS | ratio | C p50 / p99 µs | nvme-rs p50 / p99 µs "
        "| C CPU µs/IO | nvme-rs CPU µs/IO | spread |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        lines.append(
            f"| `{row['name']}` | {fmt_num(row['c_iops'])} | {fmt_num(row['rs_iops'])} "
            f"| {fmt_ratio(row['ratio'])} "
            f"| {fmt_lat(row['c_p50_us'], row['c_p99_us'])} "
            f"| {fmt_lat(row['rs_p50_us'], row['rs_p99_us'])} "
            f"| {fmt_num(row['c_cpu_us_per_io'], 1)} | {fmt_num(row['rs_cpu_us_per_io'], 1)} "
            f"| {fmt_spread(row)} |"
        )
    ratios = [r["ratio"] for r in results if r["ratio"] is not None]
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        slower = sum(1 for r in ratios if round(r, 2) < 1.0)
        lines += ["", f"Geometric mean of the ratios: {geo:.2f} over {len(ratios)} cells; "
                  f"{slower} below 1.00."]
    lines += [
        "",
        "Cells are BACKEND/WORKLOAD/PATH. Backends: `file` = namespace 1 on a raw image file, "
        "`null` = namespace 3 on QEMU's null-co (reads return zeroes, writes are dropped), both "
        "512-byte blocks. Workloads: rr = random read, rw = random write, sr = sequential read; "
        "block size; queue depth (x2 = two jobs). Paths: `blk` = /dev/nvme0nN with io_uring, "
        "`ng` = /dev/ng0nN with io_uring_cmd, `-poll` = hipri=1 on the poll queue.",
    ]
    lines += render_insns_markdown(results, meta)
    lines.append("")
    return "\n".join(lines)


def render_svg(results, meta):
    d = describe(meta)
    rows = []  # ("head", text) or ("cell", row)
    last_backend = None
    for row in results:
        if row["backend"] != last_backend:
            rows.append(("head", BACKEND_TEXT.get(row["backend"], row["backend"])))
            last_backend = row["backend"]
        rows.append(("cell", row))

    ratios = [r["ratio"] for r in results if r["ratio"] is not None]
    lo = min([0.8] + [r - 0.05 for r in ratios])
    hi = max([1.2] + [r + 0.05 for r in ratios])
    step = 0.1 if hi - lo <= 1.0 else 0.25 if hi - lo <= 2.5 else 0.5
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step

    width, label_w, value_w, top, row_h = 1120, 330, 340, 92, 20
    plot_x0, plot_x1 = label_w, width - value_w
    height = top + row_h * len(rows) + 46

    def x(v):
        return plot_x0 + (v - lo) / (hi - lo) * (plot_x1 - plot_x0)

    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="12" y="24" font-size="17" font-weight="bold">nvme-rs / C driver: IOPS ratio per cell '
        f'(median of rounds; right of 1.00 = nvme-rs faster)</text>',
        f'<text x="12" y="44" fill="#444">{e(d["date"])}; {e(d["source"])}; {e(d["method"])}</text>',
        f'<text x="12" y="60" fill="#444">{e(d["setup"])}</text>',
    ]
    y_plot0, y_plot1 = top - 8, top + row_h * len(rows)
    # Grid and axis labels.
    v = lo
    while v <= hi + 1e-9:
        gx = x(v)
        out.append(f'<line x1="{gx:.1f}" y1="{y_plot0}" x2="{gx:.1f}" y2="{y_plot1}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{gx:.1f}" y="{y_plot1 + 16}" text-anchor="middle" fill="#555">{v:.2f}</text>')
        v += step
    for i, (kind, item) in enumerate(rows):
        y = top + i * row_h
        if kind == "head":
            out.append(f'<text x="12" y="{y + 14}" font-weight="bold">{e(item)}</text>')
            continue
        row = item
        text = f"{WORKLOAD_TEXT.get(row['workload'], row['workload'])}, {PATH_TEXT.get(row['path'], row['path'])}"
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{e(text)}</text>')
        if i % 2:
            out.append(f'<rect x="{plot_x0}" y="{y}" width="{plot_x1 - plot_x0}" height="{row_h}" fill="#000" fill-opacity="0.03"/>')
        r = row["ratio"]
        if r is None:
            out.append(f'<text x="{x(1.0) + 6:.1f}" y="{y + 14}" fill="#888">n/a (a driver has no result)</text>')
            continue
        x0, x1 = sorted((x(1.0), x(r)))
        colour = "#c0392b" if round(r, 2) < 1.0 else "#2e8b57"
        out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 6}" fill="{colour}"/>')
        note = f"{r:.2f}  ({fmt_num(row['rs_iops'])} vs {fmt_num(row['c_iops'])} IOPS)"
        if row.get("insns_ratio") is not None:
            note += f"; instructions {row['insns_ratio']:.2f}"
        out.append(f'<text x="{plot_x1 + 8}" y="{y + 14}" fill="{colour}">{e(note)}</text>')
    one = x(1.0)
    out.append(f'<line x1="{one:.1f}" y1="{y_plot0}" x2="{one:.1f}" y2="{y_plot1}" stroke="#000" stroke-width="1.5"/>')
    out.append(f'<text x="{one:.1f}" y="{y_plot0 - 4}" text-anchor="middle" font-weight="bold">1.00</text>')
    out.append(f'<text x="{plot_x1 + 8}" y="{y_plot0 - 4}" fill="#444">ratio (nvme-rs vs C IOPS)</text>')
    out.append(f'<text x="12" y="{height - 10}" fill="#666">Emulated NVMe under QEMU TCG: compare the two '
               f'drivers within a row, not with real hardware. Table with latencies and CPU per I/O: results.md</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render(outdir):
    results = json.loads((outdir / "results.json").read_text())
    meta_path = outdir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    (outdir / "results.md").write_text(render_markdown(results, meta), encoding="utf-8")
    (outdir / "chart.svg").write_text(render_svg(results, meta), encoding="utf-8")


def collect(console_log, host_meta, outdir, insn_log=None, insn_counts=None):
    guest, runs, done = parse_console(console_log)
    host = json.loads(Path(host_meta).read_text())
    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / "runs.jsonl", "w", encoding="utf-8") as f:
        for run in runs:
            f.write(json.dumps(run) + "\n")
    meta = {
        "date": host.pop("date", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")),
        "host": host,
        "guest": guest,
        "runs": len(runs),
        "failed_runs": sum(1 for r in runs if not good(r)),
        "guest_done": done,
    }
    results = summarize(runs)
    if insn_log and insn_counts:
        insns = {}
        try:
            insns = parse_insns(insn_log, insn_counts)
        except OSError as err:
            print(f"report: no instruction counts: {err}", file=sys.stderr)
        meta["insns_guest"] = parse_console(insn_log)[0] if Path(insn_log).exists() else {}
        meta["insns_counted"] = len(insns)
        add_insns(results, insns)
    (outdir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (outdir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    render(outdir)
    return meta, results


def main(argv):
    if len(argv) in (5, 7) and argv[1] == "collect":
        meta, results = collect(argv[2], argv[3], Path(argv[4]), *argv[5:])
        counted = f", instructions counted for {meta['insns_counted']} cell runs" if "insns_counted" in meta else ""
        print(f"report: {meta['runs']} fio runs ({meta['failed_runs']} failed), {len(results)} cells{counted}")
        if not results:
            return 1
        return 0
    if len(argv) == 3 and argv[1] == "render":
        render(Path(argv[2]))
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
