# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the fuse4fs runner's result parsing."""

from __future__ import annotations

import json
import unittest

from lablib import server

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Linux-c++" tests="3" failures="1" disabled="0" skipped="1">
  <testcase name="Result.ValueAndError" classname="Result.ValueAndError" time="0.01"
            status="run"><system-out>ok</system-out></testcase>
  <testcase name="Open.BadMagic" classname="Open.BadMagic" time="0.02" status="fail">
    <failure message="Failed"/></testcase>
  <testcase name="Open.Loop" classname="Open.Loop" time="0" status="run">
    <skipped message="Skipped"/></testcase>
</testsuite>
"""


class ParseJunit(unittest.TestCase):
    def test_statuses(self) -> None:
        cases = server.parse_junit(JUNIT)
        self.assertEqual([(c.name, c.status) for c in cases], [
            ("server/unit/Result.ValueAndError", "pass"),
            ("server/unit/Open.BadMagic", "fail"),
            ("server/unit/Open.Loop", "skip"),
        ])


class TidySources(unittest.TestCase):
    def test_only_server_sources(self) -> None:
        db = json.dumps([
            {"file": "/lab/src/server/src/ops/dir.cc"},
            {"file": "/lab/src/server/src/main.cc"},
            {"file": "/lab/src/server/src/main.cc"},
            {"file": "/lab/build/generated.cc"},
            {"file": "/usr/src/googletest/gtest-all.cc"},
        ])
        self.assertEqual(server.tidy_sources(db),
                         ["/lab/src/server/src/main.cc", "/lab/src/server/src/ops/dir.cc"])


if __name__ == "__main__":
    unittest.main()


class FuzzSummary(unittest.TestCase):
    def test_failing_classes_fail_only_when_counted(self) -> None:
        data = {"seed": 3, "cases": 10, "counts": {
            "ro": {"refused": 2, "served": 8, "crashed": 0, "hung": 0, "ro-write": 0,
                   "unclear": 0},
            "rw": {"refused": 2, "served": 6, "crashed": 1, "hung": 1, "ro-write": 0,
                   "unclear": 0}}}
        got = {c.name: c.status for c in server.summary_cases(data)}
        self.assertEqual(got["server/fuzz/ro served: 8 of 10 (seed 3)"], "pass")
        self.assertEqual(got["server/fuzz/ro crashed: 0 of 10 (seed 3)"], "pass")
        self.assertEqual(got["server/fuzz/rw crashed: 1 of 10 (seed 3)"], "fail")
        self.assertEqual(got["server/fuzz/rw hung: 1 of 10 (seed 3)"], "fail")
        self.assertEqual(len(got), 12)
