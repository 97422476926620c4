# SPDX-License-Identifier: GPL-2.0
"""A small (K)TAP reader for KUnit output found in a kernel log.

KUnit nests results: a suite is a subtest of the module's plan, a test
case a subtest of its suite, and each parameter of a parameterized case a
subtest of that case.  Only *leaf* results count as tests: a result line
right after deeper results closes their block, is an aggregate and is
skipped, so a
table-driven case with 12 parameters counts as 12 tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# printk prefixes: "[    1.234567] " timestamps and UML's console noise.
_PREFIX = re.compile(r"^\s*\[\s*\d+\.\d+\]\s?")
_RESULT = re.compile(r"^(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+)(?: (?:- )?(?P<name>[^#]*))?"
                     r"(?:#\s*(?P<directive>\S+)(?P<reason>.*))?$")
_SUBTEST = re.compile(r"^(?P<indent>\s*)# Subtest: (?P<name>\S+)")


@dataclass
class TestResult:
    path: str  # suite.case[.param]
    status: str  # "pass", "fail" or "skip"


@dataclass
class Report:
    results: list[TestResult] = field(default_factory=list)
    saw_ktap: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def passed(self) -> int:
        return self.count("pass")

    @property
    def failed(self) -> int:
        return self.count("fail")

    @property
    def skipped(self) -> int:
        return self.count("skip")


def parse(log: str) -> Report:
    """Collect leaf test results from every KTAP block in @log."""
    report = Report()
    names: dict[int, str] = {}  # indent -> name of the open subtest there
    prev_indent = -1  # indentation of the previous result line
    for raw in log.splitlines():
        line = _PREFIX.sub("", raw.rstrip())
        if re.match(r"^\s*K?TAP version \d+", line):
            report.saw_ktap = True
            continue
        m = _SUBTEST.match(line)
        if m:
            names[len(m.group("indent"))] = m.group("name")
            continue
        m = _RESULT.match(line)
        if not m:
            continue
        indent = len(m.group("indent"))
        # A parent's result directly follows its (more indented) children.
        is_parent = prev_indent > indent
        prev_indent = indent
        for level in [lv for lv in names if lv > indent]:
            del names[level]
        if is_parent:
            continue
        directive = (m.group("directive") or "").upper()
        if m.group("not"):
            status = "fail"
        elif directive == "SKIP":
            status = "skip"
        else:
            status = "pass"
        name = (m.group("name") or f"#{m.group('num')}").strip()
        outer = [names[lv] for lv in sorted(names) if lv <= indent]
        report.results.append(TestResult(".".join(outer + [name]), status))
    return report
