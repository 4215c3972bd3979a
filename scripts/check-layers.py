#!/usr/bin/env python3
"""Checks the driver's layering from its imports (Documentation/design.md,
Layers): `spec` names nothing of the kernel or the layers above it,
`nvme_core` nothing of `pci` (nor the PCI abstraction), and no two files of
`drivers/nvme` import each other in a cycle.

Imports are read from the source as text: `use` trees (braces expanded),
and `crate::`/`super::` paths in code, resolved to the file that defines
the module they name. Comments are left out.

Prints `ok -`/`FAIL -` lines and a closing `layers: N passed, M failed`
line."""
import pathlib
import re
import sys

from tally import Tally

repo = pathlib.Path(__file__).resolve().parent.parent
root = repo / "drivers" / "nvme"

# Layers from the bottom; an import may only point at its own layer or one
# below. `kernel_ext` is the abstraction layer (rust/), below nvme_core.
RANK = {"spec": 0, "kernel_ext": 1, "nvme_core": 2, "pci": 3, "": 4, "params": 4}



def module_of(path):
    """The module path of a file: drivers/nvme/pci/reset.rs -> pci::reset."""
    rel = path.relative_to(root).with_suffix("")
    parts = [p for p in rel.parts if p != "mod"]
    if parts == ["nvme_rs"]:
        return ""
    return "::".join(parts)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*", "", line) for line in text.splitlines())


def without_tests(text):
    """The text before a `#[cfg(test)]` module: tests may import freely."""
    at = text.find("#[cfg(test)]")
    return text if at < 0 else text[:at]


def expand(tree):
    """The paths of a `use` tree: `a::{b, c::{d, e}}` -> a::b, a::c::d, a::c::e."""
    tree = tree.strip()
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                prefix, inner = tree[:i], tree[i + 1: tree.rindex("}")]
                out = []
                for part in split_top(inner):
                    out += [prefix + p for p in expand(part)]
                return out
            depth += 1
        elif ch == "}":
            depth -= 1
    return [re.sub(r"\s+as\s+\w+$", "", tree)] if tree else []


def split_top(inner):
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


modules = {}
for path in sorted(root.rglob("*.rs")):
    modules[module_of(path)] = path


def resolve(importer, path):
    """The module (a key of `modules`, or `kernel_ext[::...]`) that an
    absolute or `super::` path names, or None for kernel and core paths."""
    segs = path.split("::")
    if segs[0] == "crate":
        segs = segs[1:]
    elif segs[0] == "super":
        base = importer.split("::")[:-1] if importer else []
        while segs and segs[0] == "super":
            segs = segs[1:]
            if segs and segs[0] == "super":
                base = base[:-1]
        segs = base + segs
    elif segs[0] == "self":
        segs = importer.split("::") + segs[1:]
    else:
        return None
    if segs and segs[0] == "kernel_ext":
        return "::".join(segs[:2])
    # At the root: the logging macros kernel_ext exports, and the module
    # parameters, which only the root reads (it hands them to
    # pci::config at init).
    if len(segs) == 1 and re.fullmatch(r"(dev|pr)_\w+", segs[0]):
        return "kernel_ext"
    if len(segs) == 1 and re.fullmatch(r"[A-Z][A-Z0-9_]*", segs[0]):
        return "params"
    for n in range(len(segs), -1, -1):
        name = "::".join(segs[:n])
        if name in modules and name != importer:
            return name
    return None


def imports(module, path):
    text = without_tests(strip_comments(path.read_text()))
    found = set()
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        for p in expand(m.group(1)):
            target = resolve(module, p)
            if target is not None:
                found.add(target)
    for m in re.finditer(r"\b((?:crate|super)(?:::\w+)+)", text):
        target = resolve(module, m.group(1))
        if target is not None:
            found.add(target)
    return found


graph = {m: imports(m, p) for m, p in modules.items()}
tally = Tally()
result = tally.check


def layer(module):
    return module.split("::")[0] if module else ""



# Each file's imports point down or across, never up.
for module, targets in sorted(graph.items()):
    up = sorted(
        t for t in targets
        if RANK[layer(t)] > RANK[layer(module)]
        or (layer(module) == "nvme_core" and t == "kernel_ext::pci")
        or (layer(module) == "spec" and layer(t) != "spec")
    )
    result(not up, f"{module or 'nvme_rs'}: imports point down" + (f" (up: {', '.join(up)})" if up else ""))

# Edges on cycles: an edge a -> b is on a cycle when b reaches a.
internal = {m: {t for t in ts if t in modules} for m, ts in graph.items()}


def reaches(src, dst):
    seen, todo = set(), [src]
    while todo:
        n = todo.pop()
        if n == dst:
            return True
        if n in seen:
            continue
        seen.add(n)
        todo.extend(internal.get(n, ()))
    return False


cyclic = sorted((a, b) for a, ts in internal.items() for b in ts if reaches(b, a))
result(not cyclic, "no import cycle" + "".join(f"\n    on a cycle: {a} -> {b}" for a, b in cyclic))

sys.exit(tally.summary("layers"))
