#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two junit reports of libfuse's pytest suite, side by side.

usage: pytest_compare.py STOCK.xml IOMAP.xml TABLE.txt [EXPECTED]

Writes one line per test to TABLE.txt ("STOCK IOMAP NAME", status pass,
fail, skip or missing), then the counts, and prints the tests whose
status differs with the first line of the failure message.  Exits 1 if a
test that passes on the stock client does not pass on fuse_iomap, unless
EXPECTED (tests/vm/libfuse-pytest.expected) lists it with a reason; an
entry of EXPECTED that passes on both also exits 1 (the list is stale).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def results(path: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return out
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        status, why = "pass", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status, why = "fail", child.get("message") or child.text or ""
                break
            if child.tag == "skipped":
                status, why = "skip", child.get("message") or ""
        why = " ".join(why.split())[:200]
        out[name] = (status, why)
    return out


def expected(path: str) -> dict[str, str]:
    """Test id -> reason, from the expected-differences list."""
    out: dict[str, str] = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, why = line.partition("\t")
            out[name.strip()] = why.strip() or "no reason given"
    return out


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    stock, iomap = results(argv[1]), results(argv[2])
    known = expected(argv[4]) if len(argv) == 5 else {}
    names = sorted(set(stock) | set(iomap))
    counts = {side: {"pass": 0, "fail": 0, "skip": 0, "missing": 0}
              for side in ("stock", "iomap")}
    lines, diffs, regressions = [], [], 0
    for n in names:
        s, sw = stock.get(n, ("missing", ""))
        i, iw = iomap.get(n, ("missing", ""))
        counts["stock"][s] += 1
        counts["iomap"][i] += 1
        lines.append(f"{s:8} {i:8} {n}")
        if s != i:
            why = f" (expected: {known[n]})" if n in known else ""
            diffs.append(f"  {n}: /dev/fuse {s}, fuse_iomap {i}{why}: {iw or sw}")
            if s == "pass" and n not in known:
                regressions += 1
        elif n in known and s == "pass":
            diffs.append(f"  {n}: listed as expected to differ, but {s} on both: "
                         "remove it from the list")
            regressions += 1
    with open(argv[3], "w") as f:
        f.write(f"{'fuse':8} {'iomap':8} test\n")
        f.write("\n".join(lines) + "\n\n")
        for side, label in (("stock", "/dev/fuse"), ("iomap", "fuse_iomap")):
            c = counts[side]
            f.write(f"{label}: {c['pass']} passed, {c['fail']} failed, "
                    f"{c['skip']} skipped, {c['missing']} missing\n")
        f.write("differences:\n" + ("\n".join(diffs) if diffs else "  none") + "\n")
    with open(argv[3]) as f:
        print(f.read().split("\n\n", 1)[1], end="")
    if not stock:
        print("no results on /dev/fuse")
        return 1
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
