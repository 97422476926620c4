# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the lab's parsers and helpers (no VM, no root needed)."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import unittest
from pathlib import Path

from lablib import config, console, debugkernel, fuzz, initrd, tap, util, vm

DATA = Path(__file__).parent / "test_data"


class TapTest(unittest.TestCase):
    def test_parameterized_cases_count_as_leaves(self) -> None:
        report = tap.parse((DATA / "kunit-param.log").read_text())
        self.assertTrue(report.saw_ktap)
        paths = {r.path: r.status for r in report.results}
        self.assertEqual(paths, {
            "fim_proto.fim_proto_layout": "pass",
            "fim_proto.fim_check_mapping.mapped extent": "pass",
            "fim_proto.fim_check_mapping.zero length": "fail",
            "fim_proto.fim_check_mapping.hole": "skip",
            "fim_proto.fim_check_out_header": "pass",
        })
        self.assertEqual((report.passed, report.failed, report.skipped), (3, 1, 1))

    def test_no_ktap_is_empty(self) -> None:
        report = tap.parse("Linux version 6.12\nok 1 is not ktap without a header\n")
        self.assertFalse(report.saw_ktap)

    def test_two_modules_in_one_log(self) -> None:
        one = "KTAP version 1\n1..1\n    # Subtest: a\n    1..1\n    ok 1 x\nok 1 a\n"
        two = one.replace("# Subtest: a", "# Subtest: b").replace("ok 1 a", "ok 1 b")
        report = tap.parse(one + two)
        self.assertEqual([r.path for r in report.results], ["a.x", "b.x"])


class ConsoleTest(unittest.TestCase):
    def test_clean_boot(self) -> None:
        text = ("lab: guest up\n[    0.912345] fuse: init (API version 7.41)\n"
                "lab: command exited with status 0\n")
        self.assertEqual(console.scan(text), [])

    def test_each_problem_kind(self) -> None:
        cases = {
            "panic": "[    3.100000] Kernel panic - not syncing: sysrq triggered crash",
            "oops": "[    2.000000] BUG: kernel NULL pointer dereference, address: 08",
            "warning": "[    2.000000] WARNING: CPU: 1 PID: 77 at fs/inode.c:417 iput+0x1",
            "hung task": "[  243.000001] INFO: task umount:120 blocked for more than 120 seconds.",
            "leak": "[   10.500000] VFS: Busy inodes after unmount of vdb (fuse_iomap)",
            "initrd": "lab-initrd: FATAL: cannot mount the root disk /dev/vda",
            "lockdep": "[    5.000000] WARNING: possible circular locking dependency detected",
            "sanitizer": "[    7.123456] ODEBUG: free active (active state 0) object: ffff",
        }
        for kind, line in cases.items():
            with self.subTest(kind=kind):
                found = console.scan("ok line\n" + line + "\n")
                self.assertEqual(len(found), 1)
                # lockdep reports open with "WARNING:" too; either name is a failure
                self.assertIn(found[0].kind, (kind, "warning"))

    def test_kasan_and_lockdep_reports(self) -> None:
        text = ("[   12.000001] BUG: KASAN: slab-use-after-free in fim_iget+0x1/0x2\n"
                "[   13.000001] WARNING: suspicious RCU usage\n"
                "[   14.000001] WARNING: bad unlock balance detected!\n")
        self.assertEqual(len(console.scan(text)), 3)

    def test_guest_output_is_not_a_kernel_record(self) -> None:
        # lab-init's echo of the command and the command's own output
        text = ("lab: running: sh -c 'echo Oops; echo WARNING: CPU: 0 PID: 1 at x'\n"
                "Oops\nWARNING: CPU: 0 PID: 1 at x\nBUG: KASAN: not really\n"
                "INFO: task x:1 blocked for more than 120 seconds.\n")
        self.assertEqual(console.scan(text), [])

    def test_record_after_user_output_on_one_line(self) -> None:
        # the console interleaves: user text, then a kernel record, one line
        line = "partial output[   20.000001] BUG: KASAN: use-after-free in x\n"
        found = console.scan(line)
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].line.startswith("[   20.000001] BUG: KASAN"))

    def test_initrd_marker_only_at_line_start(self) -> None:
        self.assertEqual(console.scan("lab: running: echo lab-initrd: FATAL: no\n"), [])


class CpioTest(unittest.TestCase):
    def test_newc_layout(self) -> None:
        buf = io.BytesIO()
        w = initrd.CpioWriter(buf)
        w.dir("bin")
        w.file("init", b"#!/bin/sh\n", 0o755)
        w.symlink("bin/sh", "busybox")
        w.close()
        data = buf.getvalue()
        self.assertEqual(len(data) % 4, 0)
        self.assertTrue(data.startswith(b"070701"))
        self.assertIn(b"init\0", data)
        self.assertTrue(data.rstrip(b"\0").endswith(b"TRAILER!!!"))
        # mode of the second entry (init) is a regular file 0755
        second = data.index(b"070701", 6)
        self.assertEqual(int(data[second + 14:second + 22], 16), 0o100755)

    def test_decompress_gz_module(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "m.ko.gz"
            p.write_bytes(gzip.compress(b"\x7fELF"))
            self.assertEqual(initrd.decompress_module(p), b"\x7fELF")


class ConfigTest(unittest.TestCase):
    def test_mirror_from_one_line_sources(self) -> None:
        text = ("deb http://security.example/debian-security bookworm-security main\n"
                "deb [arch=amd64] http://mirror.example/debian/ bookworm main\n")
        self.assertEqual(config.mirror_from_sources(text), "http://mirror.example/debian")

    def test_mirror_from_deb822(self) -> None:
        text = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
        self.assertEqual(config.mirror_from_sources(text), "http://mirror.example/debian")

    def test_third_party_only(self) -> None:
        self.assertIsNone(config.mirror_from_sources("deb https://repo.example/apt x main\n"))

    def test_keys_change_with_packages(self) -> None:
        a = config.Suite("trixie", ("a", "b"))
        self.assertEqual(a.key(), config.Suite("trixie", ("b", "a")).key())
        self.assertNotEqual(a.key(), config.Suite("trixie", ("a", "c")).key())


class UtilTest(unittest.TestCase):
    def test_parse_size(self) -> None:
        self.assertEqual(vm.parse_size("2G"), 2 << 30)
        self.assertEqual(vm.parse_size("512M"), 512 << 20)
        self.assertEqual(vm.parse_size("1GiB"), 1 << 30)
        with self.assertRaises(util.LabError):
            vm.parse_size("lots")

    def test_sync_tree_keeps_unchanged_mtimes(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            src, dst = Path(d) / "src", Path(d) / "dst"
            (src / "module").mkdir(parents=True)
            (src / "module/a.c").write_text("int a;\n")
            (src / "module/b.c").write_text("int b;\n")
            self.assertEqual(util.sync_tree(src, dst, ["module"]), 2)
            old = (dst / "module/a.c").stat().st_mtime_ns
            (src / "module/b.c").write_text("int b2;\n")
            (src / "module/gone.c").write_text("")
            self.assertEqual(util.sync_tree(src, dst, ["module"]), 2)
            self.assertEqual((dst / "module/a.c").stat().st_mtime_ns, old)
            self.assertEqual((dst / "module/b.c").read_text(), "int b2;\n")
            (src / "module/gone.c").unlink()
            (dst / "module/a.o").write_text("")
            util.sync_tree(src, dst, ["module"])
            self.assertFalse((dst / "module/gone.c").exists())
            self.assertTrue((dst / "module/a.o").exists())

    def test_qemu_argv_has_safety_switches(self) -> None:
        spec = vm.RunSpec(kernel="trixie", argv=["true"], disks=["1G"])
        from lablib.image import Image
        img = Image(config.KERNELS["trixie"], Path("/img"), "6.12.0", Path("/root"))
        argv = vm.qemu_argv(spec, img, Path("/img/initrd.gz"), Path("/run"),
                            [Path("/run/disk1.img")])
        append = argv[argv.index("-append") + 1]
        for word in ("panic=-1", "oops=panic", "lab.mode=run"):
            self.assertIn(word, append.split())
        self.assertIn("-no-reboot", argv)
        self.assertIn("file=/img/root.img,if=virtio,format=raw,snapshot=on,cache=unsafe", argv)
        self.assertIn("file=/run/disk1.img,if=virtio,format=raw,cache=unsafe,aio=threads", argv)
        self.assertIn("tcg,thread=single,tb-size=1024", argv)

    def test_tcg_threading_env(self) -> None:
        from unittest import mock
        with mock.patch.dict(os.environ, {"FUSE_IOMAP_LAB_TCG": "multi"}):
            self.assertEqual(vm.tcg_threading(), "multi")
        with mock.patch.dict(os.environ, {"FUSE_IOMAP_LAB_TCG": "fast"}):
            with self.assertRaises(util.LabError):
                vm.tcg_threading()
        env = {k: v for k, v in os.environ.items() if k != "FUSE_IOMAP_LAB_TCG"}
        with mock.patch.dict(os.environ, env, clear=True):
            self.assertEqual(vm.tcg_threading(), "single")


class DebugKernelTest(unittest.TestCase):
    def test_fragment_parsing(self) -> None:
        text = ("# comment\nCONFIG_KASAN=y\n# CONFIG_LOCALVERSION_AUTO is not set\n"
                'CONFIG_LOCALVERSION="-x"\n')
        self.assertEqual(debugkernel.fragment_options(text), {
            "CONFIG_KASAN": "y", "CONFIG_LOCALVERSION_AUTO": "n",
            "CONFIG_LOCALVERSION": '"-x"'})

    def test_lost_options_are_named(self) -> None:
        wanted = {"CONFIG_KASAN": "y", "CONFIG_LKDTM": "y", "CONFIG_FOO": "n"}
        dotconfig = "CONFIG_KASAN=y\n# CONFIG_LKDTM is not set\n"
        self.assertEqual(debugkernel.config_mismatches(wanted, dotconfig),
                         ["CONFIG_LKDTM=y (got n)"])

    def test_the_fragment_asks_for_the_checkers(self) -> None:
        opts = debugkernel.fragment_options(debugkernel.FRAGMENT.read_text())
        for name in ("KASAN", "KFENCE", "PROVE_LOCKING", "DEBUG_ATOMIC_SLEEP",
                     "DEBUG_OBJECTS", "FUSE_FS", "EXT4_FS", "9P_FS", "VIRTIO_BLK",
                     "BLK_DEV_LOOP", "MODULES", "PRINTK_TIME"):
            self.assertEqual(opts.get(f"CONFIG_{name}"), "y", name)


class FuzzTest(unittest.TestCase):
    def test_problem_is_blamed_on_the_running_seed(self) -> None:
        text = ("[    5.000000] fuzz: seed 41 begin\n[    6.000000] fuzz: seed 41 end\n"
                "[    6.100000] fuzz: seed 42 begin\n"
                "lab: echo of fuzz: seed 99 begin\n"
                "[    7.000000] BUG: KASAN: slab-use-after-free in fim_iget\n")
        self.assertEqual(fuzz.seed_of_first_problem(text), 42)

    def test_no_problem_no_seed(self) -> None:
        self.assertIsNone(fuzz.seed_of_first_problem("[    5.000000] fuzz: seed 1 begin\n"))

    def test_guest_command(self) -> None:
        self.assertEqual(fuzz.guest_argv(3, 7, 2.0, 4, False),
                         ["python3", "tests/vm/fuzz_server.py", "--iterations", "3", "--seed",
                          "7", "--duration", "2.0", "--threads", "4"])
        self.assertGreater(fuzz.timeout_for(12, 3.0), 12 * 3)


if __name__ == "__main__":
    unittest.main()
