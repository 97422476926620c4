# SPDX-License-Identifier: GPL-2.0
"""Unit tests of `lab bench`'s result parsing and table (no VM needed)."""

from __future__ import annotations

import json
import math
import re
import tempfile
import unittest
from pathlib import Path

from lablib import bench, cli, config
from lablib.util import LabError


def fio_json(read_bps: int = 0, read_iops: float = 0, write_bps: int = 0,
             write_iops: float = 0) -> str:
    """The part of fio 3.x's --output-format=json that bench reads."""
    return json.dumps({"fio version": "fio-3.39", "jobs": [{
        "jobname": "x",
        "read": {"bw_bytes": read_bps, "bw": read_bps // 1024, "iops": read_iops},
        "write": {"bw_bytes": write_bps, "bw": write_bps // 1024, "iops": write_iops},
    }]})


def write_job(d: Path, job: str, rc: int, text: str = "", err: str = "") -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{job}.rc").write_text(f"{rc}\n")
    (d / f"{job}.json").write_text(text)
    (d / f"{job}.err").write_text(err)


class ParseTest(unittest.TestCase):
    def test_direction_follows_the_job_name(self) -> None:
        text = fio_json(read_bps=50_000_000, read_iops=47.5, write_bps=1, write_iops=1)
        self.assertEqual(bench.parse_fio_json(text, "seq-read-1m-direct"), (50.0, 47.5))
        text = fio_json(read_bps=1, read_iops=1, write_bps=4_096_000, write_iops=1000)
        self.assertEqual(bench.parse_fio_json(text, "rand-write-4k-buffered"), (4.096, 1000))

    def test_old_fio_kib_bandwidth(self) -> None:
        text = json.dumps({"jobs": [{"read": {"bw": 1000, "iops": 250}}]})
        self.assertEqual(bench.parse_fio_json(text, "rand-read-4k-buffered"),
                         (1.024, 250))

    def test_garbage_is_an_error(self) -> None:
        for text in ("", "{", json.dumps({"jobs": []}), json.dumps({"jobs": [{}]})):
            with self.subTest(text=text), self.assertRaises(LabError):
                bench.parse_fio_json(text, "seq-read-1m-direct")

    def test_jobs_match_the_job_file(self) -> None:
        fio = (config.REPO / "scripts" / "bench" / "fuse-iomap.fio").read_text()
        sections = [s for s in re.findall(r"^\[([^]]+)\]", fio, re.M) if s != "global"]
        self.assertEqual(tuple(sections), bench.JOBS)
        guest = (config.REPO / bench.GUEST_SCRIPT).read_text()
        self.assertIn("jobs=(" + " ".join(bench.JOBS) + ")", guest)


class ResultsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.out = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def _fill(self) -> list[bench.JobResult]:
        for job in bench.JOBS:
            write_job(self.out / "ext4", job, 0, fio_json(100_000_000, 100, 100_000_000, 100))
        write_job(self.out / "fuse4fs-iomap", "seq-write-1m-direct", 1,
                  err="fio: destination does not support O_DIRECT\n")
        write_job(self.out / "fuse4fs-iomap", "seq-read-1m-direct", 1,
                  err="fio: pid=1, err=5/file:io_u.c:1, error=Input/output error\n")
        write_job(self.out / "fuse4fs-iomap", "rand-write-4k-buffered", 0,
                  fio_json(write_bps=25_000_000, write_iops=6100))
        # rand-read-4k-buffered never ran (the VM died, say).
        (self.out / "ext4" / "e2fsck.rc").write_text("0\n")
        (self.out / "fuse4fs-iomap" / "e2fsck.rc").write_text("4\n")
        return bench.read_results(self.out, ["ext4", "fuse4fs-iomap"])

    def test_statuses(self) -> None:
        got = {(r.config, r.job): r.status for r in self._fill()}
        self.assertEqual(got[("ext4", "seq-read-1m-direct")], "ok")
        self.assertEqual(got[("fuse4fs-iomap", "seq-write-1m-direct")], "no-odirect")
        self.assertEqual(got[("fuse4fs-iomap", "seq-read-1m-direct")], "failed")
        self.assertEqual(got[("fuse4fs-iomap", "rand-write-4k-buffered")], "ok")
        self.assertEqual(got[("fuse4fs-iomap", "rand-read-4k-buffered")], "missing")

    def test_a_buffered_einval_is_a_failure(self) -> None:
        write_job(self.out / "x", "rand-read-4k-buffered", 1, err="Invalid argument\n")
        r = [r for r in bench.read_results(self.out, ["x"]) if r.job.startswith("rand-read")]
        self.assertEqual(r[0].status, "failed")

    def test_table_has_ratios_to_ext4(self) -> None:
        table = bench.format_table(self._fill())
        row = [line for line in table.splitlines()
               if line.startswith("rand-write-4k-buffered") and "fuse4fs-iomap" in line]
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0].split()[2:], ["25.0", "6100", "0.25x"])
        self.assertIn("no-odirect", table)
        self.assertIn("missing: did not run", table)
        self.assertEqual(len(table.splitlines()), 1 + 2 * len(bench.JOBS))

    def test_no_baseline_no_ratio(self) -> None:
        r = bench.JobResult("fuse2fs", "rand-read-4k-buffered", "ok", 3.0, 750)
        self.assertEqual(bench.format_table([r]).splitlines()[1].split()[-1], "-")

    def test_fsck_status(self) -> None:
        self._fill()
        self.assertEqual(bench.fsck_status(self.out, "ext4"), "clean")
        self.assertEqual(bench.fsck_status(self.out, "fuse4fs-iomap"), "NOT CLEAN (exit 4)")
        self.assertEqual(bench.fsck_status(self.out, "fuse2fs"), "not run")


class CommandTest(unittest.TestCase):
    def test_cli_parses_only(self) -> None:
        args = cli.parser().parse_args(
            ["bench", "--runtime", "5", "--size", "32m", "--only", "ext4", "fuse4fs-iomap"])
        self.assertEqual((args.runtime, args.size, args.only),
                         (5, "32m", ["ext4", "fuse4fs-iomap"]))
        with self.assertRaises(SystemExit):
            cli.parser().parse_args(["bench", "--only", "btrfs"])

    def test_guest_command_and_timeout(self) -> None:
        self.assertEqual(bench.guest_argv("64m", 20, ["ext4", "fuse2fs"]),
                         ["scripts/guest/bench.sh", "--size", "64m", "--runtime", "20",
                          "--", "ext4", "fuse2fs"])
        one, two = bench.timeout_for(20, ["ext4"]), bench.timeout_for(20, ["ext4", "fuse2fs"])
        self.assertGreater(two, one)
        self.assertGreater(one, len(bench.JOBS) * 20)

    def test_bad_arguments_fail_before_booting(self) -> None:
        with self.assertRaises(LabError):
            bench.run_bench("trixie", 0, "64m", None)
        with self.assertRaises(LabError):
            bench.run_bench("trixie", 5, "lots", None)

    def test_nan_is_not_a_number(self) -> None:
        self.assertTrue(math.isnan(bench.JobResult("a", "b", "missing").mbps))


if __name__ == "__main__":
    unittest.main()
