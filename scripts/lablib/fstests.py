# SPDX-License-Identifier: GPL-2.0
"""`lab fstests`: run the user's fstests tree in the VM, one ./check per section.

fstests is not part of this project: the user builds a tree by hand
(Documentation/testing.rst says how) and passes it with --fstests.  The
VM sees it as a read-only 9p share (tag "fstests"); scripts/guest/
fstests.sh copies it to the guest's disk, formats the test (/dev/vdb) and
scratch (/dev/vdc) disks, runs ./check with fstests-config/local.config
for each section, and writes fstests' results to $LAB_OUT/fstests, which
is the run directory's out/fstests on this side.  This side counts
passed, failed and not-run tests per section from fstests' xunit report
(result.xml), or from ./check's output when a section did not finish.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from . import config, vm
from .util import LabError, progress, quote

CONFIG_DIR = config.REPO / "fstests-config"
LOCAL_CONFIG = CONFIG_DIR / "local.config"
EXCLUDE = CONFIG_DIR / "exclude"
GUEST_SCRIPT = "scripts/guest/fstests.sh"
GUEST_REPO = "/mnt/lab/repo"
DEFAULT_SECTIONS = ("ext4", "fuse2fs", "fuse4fs")
SHARE_TAG = "fstests"
# Boot, copying the tree, mkfs and e2fsck of both disks, per section.
OVERHEAD = 120


@dataclass
class SectionResult:
    """Counts of one section, and where they came from."""

    section: str
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # test -> message
    notrun: dict[str, str] = field(default_factory=dict)  # test -> reason
    # Started but never finished: the section's timeout stopped ./check.
    unfinished: list[str] = field(default_factory=list)
    source: str = "none"  # result.xml | check output (incomplete) | none
    check_rc: str = "?"
    fsck: dict[str, str] = field(default_factory=dict)  # test|scratch -> verdict


def sections_of(text: str) -> list[str]:
    """The [section] names of an fstests config file, in order."""
    return re.findall(r"^\[([A-Za-z0-9_]+)\]\s*$", text, re.M)


def parse_xunit(text: str, section: str) -> SectionResult:
    """A section's counts from fstests' -R xunit report."""
    res = SectionResult(section, source="result.xml")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise LabError(f"{section}: result.xml does not parse: {e}") from None
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        failure = case.find("failure")
        skipped = case.find("skipped")
        if failure is not None:
            res.failed[name] = failure.get("message", "")
        elif skipped is not None:
            res.notrun[name] = skipped.get("message", "")
        else:
            res.passed.append(name)
    return res


# ./check prints one line per test: "generic/001 12s ...  10s" (passed),
# "generic/002       [not run] reason", "generic/003 - output mismatch
# (see ...)", "generic/004 [failed, exit status 1]- output mismatch",
# "generic/005       [expunged]", and a bare "generic/006" (or one followed
# by the "Ran: ..." of an interrupted ./check) for the test that was running
# when the section's timeout stopped ./check.
_CHECK_LINE = re.compile(r"^(?P<test>[a-z0-9]+/\d{3,})(?:\s+(?P<rest>.*))?$")


def parse_check_log(text: str, section: str) -> SectionResult:
    """A section's counts from ./check's output (when result.xml is missing)."""
    res = SectionResult(section, source="check output (incomplete)")
    for line in text.splitlines():
        m = _CHECK_LINE.match(line.strip())
        if not m:
            continue
        test, rest = m.group("test"), m.group("rest") or ""
        if "[expunged]" in rest:
            continue
        if "[not run]" in rest:
            res.notrun[test] = rest.split("[not run]", 1)[1].strip()
        elif ("output mismatch" in rest or "[failed" in rest
              or "_check_dmesg" in rest or "_check_" in rest):
            res.failed[test] = rest.strip()
        elif re.search(r"\b\d+s\b", rest):
            res.passed.append(test)
        else:
            # Nothing after the name, or the summary ./check prints when
            # interrupted ("Ran: ...") on the same line.
            res.unfinished.append(test)
    return res


def read_section(outdir: Path, section: str) -> SectionResult:
    """The results of @section in @outdir (the run's out/fstests)."""
    xml = outdir / section / "result.xml"
    log = outdir / f"{section}.log"
    if xml.exists():
        res = parse_xunit(xml.read_text(errors="replace"), section)
        # Stopped by the timeout, ./check still writes result.xml, without
        # the test it was running; its output names that test.
        if log.exists():
            seen = set(res.passed) | set(res.failed) | set(res.notrun)
            logged = parse_check_log(log.read_text(errors="replace"), section)
            res.unfinished = [t for t in logged.unfinished if t not in seen]
    elif log.exists():
        res = parse_check_log(log.read_text(errors="replace"), section)
    else:
        res = SectionResult(section)
    rc = outdir / f"{section}.rc"
    res.check_rc = rc.read_text().strip() if rc.exists() else "?"
    for which in ("test", "scratch"):
        f = outdir / f"{section}.e2fsck-{which}.rc"
        if not f.exists():
            res.fsck[which] = "not run"
        else:
            code = f.read_text().strip()
            if code == "none":
                res.fsck[which] = "no ext4 left"
            else:
                res.fsck[which] = "clean" if code == "0" else f"NOT CLEAN (exit {code})"
    return res


def format_counts(results: list[SectionResult]) -> str:
    """The per-section table: passed / failed / not run."""
    rows = [("section", "passed", "failed", "notrun", "unfinished", "source")]
    for r in results:
        rows.append((r.section, str(len(r.passed)), str(len(r.failed)),
                     str(len(r.notrun)), str(len(r.unfinished)), r.source))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3, 4)]
        lines.append("  ".join(cells + [row[5]]))
    return "\n".join(lines) + "\n"


def check_tree(tree: Path) -> Path:
    """@tree resolved, if it looks like a built fstests tree."""
    tree = tree.expanduser().resolve()
    if not (tree / "check").is_file() or not (tree / "common" / "rc").is_file():
        raise LabError(f"{tree} is not an fstests tree (no ./check and common/rc); see "
                       "the fstests section of Documentation/testing.rst")
    if not (tree / "ltp" / "fsstress").is_file():
        raise LabError(f"{tree} is not built (no ltp/fsstress): build it in the dev box "
                       "as Documentation/testing.rst says")
    return tree


def group_tests(tree: Path, group: str, first: str, last: str) -> list[str]:
    """Tests of @group from @first to @last (e.g. generic/001, generic/060).

    Reads tests/DIR/group.list, which fstests' build generates.
    """
    d1, _, n1 = first.partition("/")
    d2, _, n2 = last.partition("/")
    if d1 != d2 or not n1.isdigit() or not n2.isdigit():
        raise LabError(f"--range {first}-{last}: give DIR/NNN-DIR/NNN in one directory")
    listing = tree / "tests" / d1 / "group.list"
    if not listing.exists():
        raise LabError(f"{listing} is missing; is the fstests tree built?")
    tests = []
    for line in listing.read_text().splitlines():
        words = line.split()
        if not words or not words[0].isdigit():
            continue
        if group in words[1:] and int(n1) <= int(words[0]) <= int(n2):
            tests.append(f"{d1}/{words[0]}")
    return tests


def guest_argv(sections: list[str], exclude: Path | None, timeout: int,
               check_args: list[str]) -> list[str]:
    argv = [GUEST_SCRIPT]
    for s in sections:
        argv += ["--section", s]
    if exclude is not None:
        argv += ["--exclude", f"{GUEST_REPO}/{exclude.relative_to(config.REPO)}"]
    return argv + ["--timeout", str(timeout), "--", *check_args]


def run_fstests(tree: Path, sections: list[str], kernel: str, tests: list[str],
                group: str | None, test_range: str | None, section_timeout: int,
                disk: str, results: Path | None, use_exclude: bool = True) -> int:
    """Boot @kernel, run ./check for each section, print the counts."""
    known = sections_of(LOCAL_CONFIG.read_text())
    sections = sections or list(DEFAULT_SECTIONS)
    for s in sections:
        if s not in known:
            raise LabError(f"no section [{s}] in {LOCAL_CONFIG} (there are: "
                           f"{', '.join(known)})")
    tree = check_tree(tree)
    if test_range:
        if not group:
            raise LabError("--range needs --group")
        first, sep, last = test_range.partition("-")
        if not sep:
            raise LabError(f"--range {test_range}: give FIRST-LAST")
        check_args = group_tests(tree, group, first, last) + tests
        if not check_args:
            raise LabError(f"no test of group {group} in {test_range}")
    else:
        check_args = (["-g", group] if group else []) + tests
    if not check_args:
        raise LabError("name tests, or --group (with --range to take part of it)")
    vm.parse_size(disk)
    exclude = EXCLUDE if use_exclude else None
    argv = guest_argv(sections, exclude, section_timeout, check_args)
    progress(f"fstests: sections {', '.join(sections)}; tree {tree}; guest command: "
             f"{quote(argv)}")
    rc, rundir = vm.run_vm_dir(vm.RunSpec(
        kernel=kernel, argv=argv, disks=[disk, disk],
        timeout=len(sections) * (section_timeout + OVERHEAD) + OVERHEAD,
        shares=[(SHARE_TAG, tree)]))
    outdir = rundir / "out" / "fstests"
    if not outdir.is_dir():
        return rc if rc else 1
    if results is not None:
        shutil.copytree(outdir, results, dirs_exist_ok=True)
        progress(f"fstests: results copied to {results}")
    per_section = [read_section(outdir, s) for s in sections]
    print()
    print(f"fstests on {kernel} (results in {outdir})")
    print(format_counts(per_section), end="")
    bad = rc != 0
    for r in per_section:
        for name, msg in sorted(r.failed.items()):
            print(f"  {r.section}: FAIL {name}: {msg[:150]}")
        for name in r.unfinished:
            print(f"  {r.section}: UNFINISHED {name}: stopped by --section-timeout")
        fsck = ", ".join(f"{k} {v}" for k, v in r.fsck.items())
        print(f"  {r.section}: ./check exit {r.check_rc}; e2fsck -fn after: {fsck}")
        bad |= bool(r.failed) or bool(r.unfinished) or r.source != "result.xml" or \
            any(v.startswith("NOT CLEAN") for v in r.fsck.values())
    return rc if rc else int(bad)
