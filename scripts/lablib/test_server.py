# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the fuse4fs runner's result parsing."""

from __future__ import annotations

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


if __name__ == "__main__":
    unittest.main()
