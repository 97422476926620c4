# SPDX-License-Identifier: GPL-2.0
"""Unit tests of `lab fstests`: config, result parsing, command (no VM)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import unittest
from pathlib import Path

from lablib import cli, config, fstests, vm
from lablib.util import LabError

XUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="xfstests" failures="1" skipped="1" tests="3" time="40">
\t<properties><property name="FSTYP" value="fuse"/></properties>
\t<testcase classname="xfstests.fuse4fs" name="generic/001" time="30">
\t</testcase>
\t<testcase classname="xfstests.fuse4fs" name="generic/002" time="1">
\t\t<skipped message="fuse does not support foo" />
\t</testcase>
\t<testcase classname="xfstests.fuse4fs" name="generic/003" time="9">
\t\t<failure message="- output mismatch (see generic/003.out.bad)" type="TestFail" />
\t\t<system-out><![CDATA[
noise
]]></system-out>
\t</testcase>
</testsuite>
"""

CHECK_LOG = """SECTION       -- fuse4fs
FSTYP         -- fuse
generic/001 31s ...  30s
generic/002       [not run] fuse does not support foo
generic/003       - output mismatch (see /x/generic/003.out.bad)
    --- tests/generic/003.out\t2026-01-27
generic/004 [failed, exit status 1]- output mismatch (see /x/generic/004.out.bad)
generic/005       [expunged]
generic/006 5s ...
generic/007
generic/013        Ran: generic/001 generic/013
Interrupted!
"""


class ConfigTest(unittest.TestCase):
    def test_sections(self) -> None:
        text = fstests.LOCAL_CONFIG.read_text()
        names = fstests.sections_of(text)
        for s in fstests.DEFAULT_SECTIONS + ("fuse4fs_devfuse",):
            self.assertIn(s, names)
        self.assertEqual(len(names), len(set(names)))

    def test_every_section_sets_its_own_devices_and_type(self) -> None:
        # Options carry over between fstests sections: each must set these.
        text = fstests.LOCAL_CONFIG.read_text()
        parts = re.split(r"^\[([A-Za-z0-9_]+)\]\s*$", text, flags=re.M)[1:]
        for name, body in zip(parts[::2], parts[1::2]):
            with self.subTest(section=name):
                for key in ("FSTYP", "FUSE_SUBTYP", "TEST_DEV", "TEST_DIR", "SCRATCH_DEV",
                            "SCRATCH_MNT", "FUSE_MOUNT_OPTIONS"):
                    self.assertRegex(body, rf"(?m)^{key}=")

    def test_values_follow_fstests_quoting(self) -> None:
        # fstests: ' and " may only open and close a value.
        for line in fstests.LOCAL_CONFIG.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                value = line.split("=", 1)[1]
                self.assertNotRegex(value[1:-1], r"['\"]", line)

    def test_exclude_entries_have_reasons(self) -> None:
        lines = fstests.EXCLUDE.read_text().splitlines()
        for i, line in enumerate(lines):
            if line and not line.startswith("#"):
                with self.subTest(test=line):
                    self.assertRegex(line, r"^[a-z0-9]+/\d{3,}$")
                    self.assertTrue(lines[i - 1].startswith("#"), "no reason above it")

    def test_df_fstype_maps_fuse_types(self) -> None:
        # The wrapper calls /usr/bin/df; feed it a copy that calls a fake.
        text = (fstests.CONFIG_DIR / "bin" / "df").read_text()
        self.assertIn("/usr/bin/df", text)
        with tempfile.TemporaryDirectory() as tmp:
            fake = Path(tmp) / "fake-df"
            fake.write_text("#!/bin/sh\nprintf '%s\\n' 'Filesystem Type Size Used Avail Use% On' "
                            "'/dev/vdb fuse_iomap.fuse4fs 1 1 1 1% /mnt/test' "
                            "'/dev/vdc fuse.ext4 1 1 1 1% /mnt/scratch' "
                            "'/dev/vdd ext4 1 1 1 1% /mnt/x' 'fusectl fusectl 0 0 0 - /sys'\n")
            fake.chmod(0o755)
            df = Path(tmp) / "df"
            df.write_text(text.replace("/usr/bin/df", str(fake)))
            df.chmod(0o755)
            out = subprocess.run([str(df), "-T", "-P", "/mnt"], capture_output=True,
                                 text=True, check=True).stdout
            plain = subprocess.run([str(df), "-P", "/mnt"], capture_output=True,
                                   text=True, check=True).stdout
        types = [line.split()[1] for line in out.splitlines()[1:]]
        self.assertEqual(types, ["fuse", "fuse", "ext4", "fusectl"])
        self.assertIn("fuse_iomap.fuse4fs", plain)

    def test_wipefs_remakes_ext4_only_for_fuse(self) -> None:
        text = (fstests.CONFIG_DIR / "bin" / "wipefs").read_text()
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "log"
            for name in ("mke2fs", "realwipefs"):
                f = Path(tmp) / name
                f.write_text(f"#!/bin/sh\necho {name} \"$@\" >> {log}\n")
                f.chmod(0o755)
            w = Path(tmp) / "wipefs"
            w.write_text(text.replace("/usr/sbin/wipefs", str(Path(tmp) / "realwipefs")))
            w.chmod(0o755)
            env = {"PATH": f"{tmp}:/usr/bin:/bin", "FUSE_MKFS_OPTIONS": "-b 4096"}
            subprocess.run([str(w), "-a", "/dev/vdc"], check=True, env=env | {"FSTYP": "fuse"})
            subprocess.run([str(w), "-a", "/dev/vdc"], check=True, env=env | {"FSTYP": "ext4"})
            self.assertEqual(log.read_text().splitlines(),
                             ["mke2fs -F -q -t ext4 -b 4096 /dev/vdc", "realwipefs -a /dev/vdc"])


class ParseTest(unittest.TestCase):
    def test_xunit(self) -> None:
        r = fstests.parse_xunit(XUNIT, "fuse4fs")
        self.assertEqual(r.passed, ["generic/001"])
        self.assertEqual(r.notrun, {"generic/002": "fuse does not support foo"})
        self.assertEqual(list(r.failed), ["generic/003"])

    def test_bad_xunit(self) -> None:
        with self.assertRaises(LabError):
            fstests.parse_xunit("<testsuite>", "x")

    def test_check_log(self) -> None:
        r = fstests.parse_check_log(CHECK_LOG, "fuse4fs")
        self.assertEqual(r.passed, ["generic/001", "generic/006"])
        self.assertEqual(list(r.notrun), ["generic/002"])
        self.assertEqual(sorted(r.failed), ["generic/003", "generic/004"])
        self.assertEqual(r.unfinished, ["generic/007", "generic/013"])

    def test_read_section_prefers_xml_and_reads_fsck(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            (out / "fuse4fs").mkdir()
            (out / "fuse4fs" / "result.xml").write_text(XUNIT)
            (out / "fuse4fs.log").write_text("generic/009 1s ...\ngeneric/010   \n")
            (out / "fuse4fs.rc").write_text("1\n")
            (out / "fuse4fs.e2fsck-test.rc").write_text("0\n")
            (out / "fuse4fs.e2fsck-scratch.rc").write_text("4\n")
            r = fstests.read_section(out, "fuse4fs")
            self.assertEqual((r.source, r.check_rc), ("result.xml", "1"))
            self.assertEqual(r.fsck, {"test": "clean", "scratch": "NOT CLEAN (exit 4)"})
            self.assertEqual(r.unfinished, ["generic/010"])
            (out / "fuse4fs" / "result.xml").unlink()
            r = fstests.read_section(out, "fuse4fs")
            self.assertEqual((r.source, r.passed), ("check output (incomplete)",
                                                    ["generic/009"]))
            r = fstests.read_section(out, "ext4")
            self.assertEqual((r.source, r.fsck["test"]), ("none", "not run"))

    def test_counts_table(self) -> None:
        r = fstests.parse_xunit(XUNIT, "fuse4fs")
        table = fstests.format_counts([r]).splitlines()
        self.assertEqual(table[1].split(), ["fuse4fs", "1", "1", "1", "0", "result.xml"])


class CommandTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.tree = Path(self.tmp.name)
        (self.tree / "common").mkdir()
        (self.tree / "common" / "rc").write_text("")
        (self.tree / "check").write_text("")
        (self.tree / "tests" / "generic").mkdir(parents=True)
        (self.tree / "tests" / "generic" / "group.list").write_text(
            "# generated\n\n001 rw auto quick\n002 auto\n003 auto quick\n"
            "010 quick\n011 auto quick\n")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_unbuilt_tree_is_refused(self) -> None:
        with self.assertRaisesRegex(LabError, "not built"):
            fstests.check_tree(self.tree)
        (self.tree / "ltp").mkdir()
        (self.tree / "ltp" / "fsstress").write_text("")
        self.assertEqual(fstests.check_tree(self.tree), self.tree.resolve())
        with self.assertRaisesRegex(LabError, "not an fstests tree"):
            fstests.check_tree(self.tree / "tests")

    def test_group_range(self) -> None:
        self.assertEqual(fstests.group_tests(self.tree, "quick", "generic/001", "generic/010"),
                         ["generic/001", "generic/003", "generic/010"])
        with self.assertRaises(LabError):
            fstests.group_tests(self.tree, "quick", "generic/001", "xfs/010")

    def test_guest_argv(self) -> None:
        argv = fstests.guest_argv(["ext4", "fuse4fs"], fstests.EXCLUDE, 600, ["generic/001"])
        self.assertEqual(argv, [fstests.GUEST_SCRIPT, "--section", "ext4", "--section",
                                "fuse4fs", "--exclude",
                                "/mnt/lab/repo/fstests-config/exclude", "--timeout", "600",
                                "--", "generic/001"])
        self.assertTrue((config.REPO / fstests.GUEST_SCRIPT).exists())

    def test_unknown_section_fails_before_booting(self) -> None:
        with self.assertRaisesRegex(LabError, "no section"):
            fstests.run_fstests(self.tree, ["btrfs"], "trixie", ["generic/001"], None,
                                None, 60, "2G", None)

    def test_cli(self) -> None:
        args = cli.parser().parse_args(
            ["fstests", "--fstests", "/x", "--section", "fuse4fs", "--section", "ext4",
             "-g", "quick", "--range", "generic/001-generic/060", "generic/100"])
        self.assertEqual((args.fstests, args.section, args.group, args.range, args.tests),
                         ("/x", ["fuse4fs", "ext4"], "quick", "generic/001-generic/060",
                          ["generic/100"]))

    def test_extra_share_is_read_only(self) -> None:
        spec = vm.RunSpec(kernel="trixie", argv=["true"], shares=[("fstests", self.tree)])
        img = type("Img", (), {"vmlinuz": Path("/v"), "disk": Path("/d")})()
        argv = vm.qemu_argv(spec, img, Path("/i"), self.tree, [])  # type: ignore[arg-type]
        self.assertIn(f"local,id=fstests,path={self.tree},security_model=none,readonly=on",
                      argv)


if __name__ == "__main__":
    unittest.main()
