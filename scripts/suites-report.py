#!/usr/bin/env python3
"""Compare the suites' results of nvme-rs with the C driver's.

    scripts/suites-report.py [--markdown FILE] [--title TEXT] [--suites LIST]
                             [--xfstests-list FILE] [--blktests-list FILE]
                             RS_DIR C_DIR

RS_DIR and C_DIR are the guests' output directories (build/guest/suites-rs
and suites-c): results/blktests/check.log (blktests' own output),
results/xfstests-<fs>/result.xml (xfstests' xunit report, one section per
file system), results/xfstests/check.out (its output) and verdict.log
(scripts/guest.sh's verdict). Each test, on each device for blktests, gets
one line: the C driver's result, nvme-rs's, and a note (a skip's reason, a
failure's first line, and what tools/suites/notes.txt says of the test).

With --xfstests-list and --blktests-list (the selections of make test), a
listed test that a guest did not report is shown with no result, which
fails it, rather than left out.

The count: a test passes when it passes on nvme-rs; it fails when nvme-rs
does worse than C (C passed and nvme-rs failed, skipped or gave no result;
or C skipped and nvme-rs failed), and when either guest did not come back.
A test that fails on both, or is skipped on nvme-rs where C did not pass,
is neither: it is listed and counted apart, never as a pass. The last line
is "suites: N passed, M failed"; the exit status is 1 if M > 0.
"""
import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASS, SKIP, FAIL, NONE = "pass", "skip", "fail", "no result"


def blktests(results):
    """{(test, device): (status, detail)} from blktests' output."""
    out = {}
    path = os.path.join(results, "blktests", "check.log")
    if not os.path.exists(path):
        return out
    head = re.compile(r"^(\w+/(?:\d+|\*\*\*))(?: => (\S+))?(?: \((.*)\))?\s+\[(passed|failed|not run)\]")
    key = None
    for line in open(path, errors="replace"):
        line = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line.rstrip("\n"))
        m = head.match(line)
        if m:
            test, dev, _, status = m.groups()
            key = (test, dev or "-")
            out[key] = ({"passed": PASS, "failed": FAIL, "not run": SKIP}[status], [])
            continue
        if key and line.startswith("    ") and not line.strip().startswith("runtime"):
            out[key][1].append(line.strip())
        elif not line.startswith("    "):
            key = None
    return {k: (s, "; ".join(d[:3])) for k, (s, d) in out.items()}


def xfstests(results, fs):
    """{(test, fs): (status, detail)} from xfstests' xunit report."""
    out = {}
    path = os.path.join(results, f"xfstests-{fs}", "result.xml")
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        # xfstests writes its report when the run ends: a run that did
        # not end leaves only its output, read line by line.
        return xfstests_output(results, fs)
    for case in root.iter("testcase"):
        name = case.get("name")
        status, detail = PASS, ""
        for child in case:
            if child.tag == "skipped":
                status, detail = SKIP, child.get("message", "")
            elif child.tag in ("failure", "error"):
                status, detail = FAIL, child.get("message", "")
        out[(name, fs)] = (status, detail.strip().splitlines()[0] if detail.strip() else "")
    return out


def xfstests_output(results, fs):
    """{(test, fs): (status, detail)} from xfstests' own output
    (xfstests/check.out, one `check` for every file system: a "SECTION --
    xfstests-<fs>" line starts each file system's part)."""
    out = {}
    path = os.path.join(results, "xfstests", "check.out")
    if not os.path.exists(path):
        return out
    section = None
    for line in open(path, errors="replace"):
        m = re.match(r"^SECTION\s+-- (\S+)", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^((?:generic|ext4|xfs|shared)/\d+)\s+(.*)$", line.rstrip())
        if not m or section != f"xfstests-{fs}":
            continue
        test, rest = m.groups()
        if rest.startswith("[not run]"):
            out[(test, fs)] = (SKIP, rest[len("[not run]"):].strip())
        elif "[failed" in rest or "output mismatch" in rest or "_check_" in rest:
            out[(test, fs)] = (FAIL, rest)
        elif re.match(r"^(\d+s \.\.\. )?\s*\d+s$", rest):
            out[(test, fs)] = (PASS, "")
    return out


def verdict(run_dir):
    """{check: (status, detail)} from guest.sh's verdict lines."""
    out = {}
    path = os.path.join(run_dir, "verdict.log")
    text = open(path, errors="replace").read() if os.path.exists(path) else ""
    for check in ("guest came back", "guest log clean"):
        m = re.search(r"^(ok|FAIL) - " + re.escape(check) + r"(.*)$", text, re.M)
        if m:
            out[check] = (PASS if m.group(1) == "ok" else FAIL, m.group(2).strip(": "))
        else:
            out[check] = (NONE, "no verdict")
    return out


def results_of(run_dir, suites):
    res = {}
    r = os.path.join(run_dir, "results")
    if "blktests" in suites:
        res.update({("blktests",) + k: v for k, v in blktests(r).items()})
    for fs in ("ext4", "xfs"):
        if f"xfstests-{fs}" in suites:
            res.update({("xfstests",) + k: v for k, v in xfstests(r, fs).items()})
    return res


def notes():
    """Hand-written explanations, tools/suites/notes.txt: TEST<tab>NOTE."""
    out = {}
    path = os.path.join(REPO, "tools", "suites", "notes.txt")
    if os.path.exists(path):
        for line in open(path):
            if line.strip() and not line.startswith("#") and "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                out[k.strip()] = v.strip()
    return out


def judge(c, rs, c_back):
    """(category, counts) for one test: pass, fail, both-fail, skip."""
    if rs == PASS:
        return "pass"
    if rs == NONE or (c == PASS and rs != PASS) or (c == SKIP and rs == FAIL):
        return "FAIL"
    if rs == FAIL and c == FAIL:
        return "both fail"
    return "skip"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown")
    ap.add_argument("--title", default="Results")
    ap.add_argument("--suites", default="blktests,xfstests-ext4,xfstests-xfs")
    ap.add_argument("--xfstests-list")
    ap.add_argument("--blktests-list")
    ap.add_argument("rs_dir")
    ap.add_argument("c_dir")
    a = ap.parse_args()
    suites = a.suites.split(",")
    rs, c = results_of(a.rs_dir, suites), results_of(a.c_dir, suites)
    # The xfstests list of make test: a listed test neither run reported
    # (a guest stopped first) is shown, with no result, not left out.
    if a.xfstests_list:
        for line in open(a.xfstests_list):
            test = line.split("#")[0].strip()
            for fs in ("ext4", "xfs"):
                if test and f"xfstests-{fs}" in suites:
                    for res in (rs, c):
                        res.setdefault(("xfstests", test, fs), (NONE, ""))
    # The same for the blktests selection: TEST then "both" or "ns1".
    if a.blktests_list and "blktests" in suites:
        for line in open(a.blktests_list):
            words = line.split("#")[0].split()
            if len(words) == 2:
                devs = ("nvme0n1", "nvme0n2") if words[1] == "both" else ("nvme0n1",)
                for dev in devs:
                    for res in (rs, c):
                        res.setdefault(("blktests", words[0], dev), (NONE, ""))
    vrs, vc = verdict(a.rs_dir), verdict(a.c_dir)
    hand = notes()
    rows = []
    counts = {"pass": 0, "FAIL": 0, "both fail": 0, "skip": 0}
    for check in ("guest came back", "guest log clean"):
        (cs, cd), (rss, rsd) = vc[check], vrs[check]
        cat = judge(cs, rss, True)
        if check == "guest came back" and cs != PASS:
            cat = "FAIL"  # any guest that did not come back fails the stage
        counts[cat] += 1
        rows.append(("guest", check, "-", cs, rss, cat, "; ".join(x for x in (cd, rsd) if x)))
    for key in sorted(set(rs) | set(c)):
        suite, test, dev = key
        cs, cd = c.get(key, (NONE, ""))
        rss, rsd = rs.get(key, (NONE, ""))
        cat = judge(cs, rss, True)
        counts[cat] += 1
        note = []
        if hand.get(test):
            note.append(hand[test])
        if rss != PASS and rsd:
            note.append(f"nvme-rs: {rsd}")
        if cs != PASS and cd and cd != rsd:
            note.append(f"C: {cd}")
        rows.append((suite, test, dev, cs, rss, cat, " ".join(note)))

    for suite in ("guest", "blktests", "xfstests"):
        sel = [r for r in rows if r[0] == suite]
        if not sel:
            continue
        print(f"--- {suite}")
        for _, test, dev, cs, rss, cat, note in sel:
            print(f"{cat:9s} {test:18s} {dev:8s} C {cs:9s} nvme-rs {rss:9s} {note[:150]}")
    per = {}
    for suite, _, dev, cs, rss, cat, _ in rows:
        for drv, st in (("C", cs), ("nvme-rs", rss)):
            k = (suite if suite != "xfstests" else f"xfstests-{dev}", drv)
            per.setdefault(k, {PASS: 0, FAIL: 0, SKIP: 0, NONE: 0})[st] += 1
    print("--- per suite and driver (pass/fail/skip/no result)")
    for (suite, drv), n in sorted(per.items()):
        print(f"{suite:14s} {drv:8s} {n[PASS]} passed, {n[FAIL]} failed, {n[SKIP]} skipped, {n[NONE]} no result")
    print(f"--- {counts['both fail']} failed on both drivers, {counts['skip']} skipped on nvme-rs "
          f"where C did not pass (neither counted below)")

    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(f"<!-- Generated by scripts/suites-report.py from the suites' result files; do not edit. -->\n\n")
            f.write(f"## {a.title}\n\n")
            f.write("| suite | driver | passed | failed | skipped | no result |\n|---|---|---|---|---|---|\n")
            for (suite, drv), n in sorted(per.items()):
                f.write(f"| {suite} | {drv} | {n[PASS]} | {n[FAIL]} | {n[SKIP]} | {n[NONE]} |\n")
            f.write(f"\nVerdict: {counts['pass']} passed, {counts['FAIL']} failed (nvme-rs worse than C), "
                    f"{counts['both fail']} failed on both, {counts['skip']} skipped on nvme-rs where C did not pass.\n\n")
            f.write("| suite | test | device / fs | C | nvme-rs | note |\n|---|---|---|---|---|---|\n")
            for suite, test, dev, cs, rss, cat, note in rows:
                note = note.replace("|", "\\|")
                f.write(f"| {suite} | {test} | {dev} | {cs} | {rss} | {note} |\n")
    print(f"suites: {counts['pass']} passed, {counts['FAIL']} failed")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
