# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the libfuse build/check helpers that parse and judge."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from lablib import libfuse
from lablib.libfuse import Result
from lablib.util import LabError


class PatchOutputTest(unittest.TestCase):
    def test_exact(self) -> None:
        libfuse.check_patch_output("p", "patching file lib/fuse_lowlevel.c\n")

    def test_offset_and_fuzz_fail(self) -> None:
        for line in ("Hunk #2 succeeded at 120 (offset 3 lines).",
                     "Hunk #1 succeeded at 7 with fuzz 1.",
                     "Hunk #1 FAILED at 12.",
                     "Reversed (or previously applied) patch detected!  Skipping patch."):
            with self.subTest(line=line), self.assertRaises(LabError):
                libfuse.check_patch_output("p", f"patching file x\n{line}\n")


class SeriesTest(unittest.TestCase):
    def test_repo_series(self) -> None:
        patches = libfuse.read_series()
        self.assertTrue(patches[0].name.startswith("0001-"))
        self.assertEqual(len(libfuse.series_key(patches)), 16)

    def test_comments_and_missing(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d)
            (p / "a.patch").write_text("x")
            (p / "series").write_text("# comment\n\na.patch -p1\n")
            self.assertEqual([x.name for x in libfuse.read_series(p)], ["a.patch"])
            (p / "series").write_text("a.patch\nb.patch\n")
            with self.assertRaises(LabError):
                libfuse.read_series(p)
            (p / "series").write_text("a.patch -p0\n")
            with self.assertRaises(LabError):
                libfuse.read_series(p)

    def test_key_follows_content(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "a.patch"
            p.write_text("one")
            k1 = libfuse.series_key([p])
            p.write_text("two")
            self.assertNotEqual(k1, libfuse.series_key([p]))


class ParseTest(unittest.TestCase):
    def test_tap(self) -> None:
        got = libfuse.parse_tap("ok 1 - a\nnot ok 2 - b\n# why\n# more\n"
                                "ok 3 - c # SKIP no module\n1..3\n")
        self.assertEqual([(r.name, r.status) for r in got],
                         [("a", "pass"), ("b", "fail"), ("c", "skip")])
        self.assertEqual(got[1].detail, "why\nmore")

    def test_junit(self) -> None:
        xml = """<testsuites><testsuite>
          <testcase classname="test.test_examples" name="test_hello[hello]"/>
          <testcase classname="test.test_examples" name="test_cuse">
            <failure message="file system process terminated">trace</failure></testcase>
          <testcase classname="test.t" name="test_root">
            <skipped message="needs to run as non-root"/></testcase>
          <testcase classname="test.t" name="test_err"><error message="boom"/></testcase>
        </testsuite></testsuites>"""
        got = libfuse.parse_junit(xml)
        self.assertEqual([(r.name, r.status) for r in got], [
            ("test.test_examples::test_hello[hello]", "pass"),
            ("test.test_examples::test_cuse", "fail"),
            ("test.t::test_root", "skip"),
            ("test.t::test_err", "fail")])


class CompareTest(unittest.TestCase):
    def test_judgement(self) -> None:
        unpatched = [Result("a", "pass"), Result("b", "fail", "no cuse"),
                     Result("c", "pass"), Result("d", "skip", "root"),
                     Result("gone", "pass")]
        patched = [Result("a", "pass"), Result("b", "fail", "no cuse"),
                   Result("c", "fail", "broke"), Result("d", "skip", "root"),
                   Result("new", "pass")]
        got = {r.name: r.status for r in libfuse.compare(patched, unpatched)}
        self.assertEqual(got, {"a": "pass", "b": "skip", "c": "fail", "d": "skip",
                               "new": "fail", "gone": "fail"})

    def test_counts(self) -> None:
        self.assertEqual(libfuse.counts([Result("a", "pass"), Result("b", "skip")]),
                         {"pass": 1, "fail": 0, "skip": 1})


class PublishTestsTest(unittest.TestCase):
    def test_selection_and_copy(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            build, out = Path(tmp) / "build", Path(tmp) / "out"
            files = ["test/test_examples.py", "test/conftest.py", "test/pytest.ini",
                     "test/test_syscalls", "test/test_syscalls.p/x.o",
                     "test/__pycache__/util.pyc", "test/lab-junit.xml",
                     "example/hello", "example/hello.p/hello.c.o",
                     "util/fusermount3", "lib/libfuse3.so.3.17.2",
                     "build.ninja", "meson-logs/meson-log.txt"]
            for f in files:
                (build / f).parent.mkdir(parents=True, exist_ok=True)
                (build / f).write_text(f)
            (build / "lib/libfuse3.so").symlink_to("libfuse3.so.3.17.2")
            (out / "example").mkdir(parents=True)
            (out / "example/stale").write_text("old")
            copied = libfuse._copy_by_content(build, out, libfuse.suite_file)
            got = sorted(str(p.relative_to(out)) for p in out.rglob("*")
                         if not p.is_dir())
            self.assertEqual(got, ["example/hello", "lib/libfuse3.so",
                                   "lib/libfuse3.so.3.17.2", "test/conftest.py",
                                   "test/pytest.ini", "test/test_examples.py",
                                   "test/test_syscalls", "util/fusermount3"])
            self.assertTrue((out / "lib/libfuse3.so").is_symlink())
            self.assertEqual(copied, 8)
            # a second copy changes nothing
            self.assertEqual(libfuse._copy_by_content(build, out, libfuse.suite_file), 0)


if __name__ == "__main__":
    unittest.main()
