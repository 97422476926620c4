# SPDX-License-Identifier: GPL-2.0
"""`lab bench`: one fio job file against ext4, fuse2fs and fuse4fs in one VM.

The VM boots once with a scratch disk; scripts/guest/bench.sh makes a fresh
ext4 on it for each configuration, mounts it that way, runs each job of
scripts/bench/fuse-iomap.fio (page cache dropped before each), unmounts,
and runs `e2fsck -fn`.  This side reads fio's JSON from the run directory
and prints MB/s and IOPS per job and configuration, with the ratio to
kernel ext4 measured in the same run.

The VM is qemu TCG on a shared machine: the numbers compare
configurations within one run, they are not disk speeds (the scratch disk
is opened with cache=unsafe, so even O_DIRECT ends in the host's page
cache).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from . import vm
from .util import LabError, progress, quote

# Order matters only for the printout; ext4 is the baseline of the ratios.
CONFIGS = {
    "ext4": "kernel ext4 (mkfs.ext4 + mount)",
    "fuse2fs": "Debian's fuse2fs on /dev/fuse",
    "fuse4fs-fuse": "fuse4fs on /dev/fuse (-o iomap=off)",
    "fuse4fs-iomap": "fuse4fs on fuse_iomap.ko (-o iomap=required, classic data path)",
}
BASELINE = "ext4"
# The sections of scripts/bench/fuse-iomap.fio, in the order bench.sh runs them.
JOBS = ("seq-write-1m-direct", "seq-read-1m-direct",
        "rand-write-4k-buffered", "rand-read-4k-buffered")
# What fio says when the filesystem refuses O_DIRECT opens (EINVAL).
ODIRECT_REFUSED = ("does not support O_DIRECT", "Invalid argument")
GUEST_SCRIPT = "scripts/guest/bench.sh"
# Boot, mkfs, laying the file out, unmount, e2fsck: per configuration.
OVERHEAD_PER_CONFIG = 240


@dataclass
class JobResult:
    """One fio job of one configuration."""

    config: str
    job: str
    status: str  # ok | no-odirect | failed | missing
    mbps: float = math.nan  # 10^6 bytes per second
    iops: float = math.nan
    detail: str = ""


def parse_fio_json(text: str, job: str) -> tuple[float, float]:
    """(MB/s, IOPS) of @job's direction from fio's --output-format=json."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise LabError(f"fio JSON for {job} does not parse: {e}") from None
    jobs = data.get("jobs") or []
    if not jobs:
        raise LabError(f"fio JSON for {job} has no jobs")
    direction = "write" if "write" in job else "read"
    stats = jobs[0].get(direction) or {}
    if "bw_bytes" in stats:
        bps = float(stats["bw_bytes"])
    elif "bw" in stats:  # KiB/s in fio before 3.x
        bps = float(stats["bw"]) * 1024
    else:
        raise LabError(f"fio JSON for {job} has no {direction} bandwidth")
    return bps / 1e6, float(stats.get("iops", math.nan))


def read_results(outdir: Path, configs: list[str]) -> list[JobResult]:
    """The results bench.sh left in @outdir (the run's out/bench)."""
    results = []
    for config in configs:
        d = outdir / config
        for job in JOBS:
            rc_file, json_file = d / f"{job}.rc", d / f"{job}.json"
            if not rc_file.exists():
                results.append(JobResult(config, job, "missing", detail="did not run"))
                continue
            rc = rc_file.read_text().strip()
            if rc != "0":
                err = (d / f"{job}.err").read_text(errors="replace") \
                    if (d / f"{job}.err").exists() else ""
                if "direct" in job and any(m in err for m in ODIRECT_REFUSED):
                    results.append(JobResult(config, job, "no-odirect",
                                             detail="O_DIRECT open: EINVAL"))
                else:
                    last = err.strip().splitlines()[-1:] or [f"exit {rc}"]
                    results.append(JobResult(config, job, "failed", detail=last[0]))
                continue
            mbps, iops = parse_fio_json(json_file.read_text(), job)
            results.append(JobResult(config, job, "ok", mbps, iops))
    return results


def fsck_status(outdir: Path, config: str) -> str:
    """"clean", "NOT CLEAN (exit N)" or "not run" for @config's e2fsck -fn."""
    rc_file = outdir / config / "e2fsck.rc"
    if not rc_file.exists():
        return "not run"
    rc = rc_file.read_text().strip()
    return "clean" if rc == "0" else f"NOT CLEAN (exit {rc})"


def format_table(results: list[JobResult]) -> str:
    """A plain-text table: one row per job and configuration."""
    base = {r.job: r for r in results if r.config == BASELINE and r.status == "ok"}
    rows = [("job", "config", "MB/s", "IOPS", "vs ext4")]
    for job in JOBS:
        for r in results:
            if r.job != job:
                continue
            if r.status != "ok":
                rows.append((job, r.config, "-", "-", f"{r.status}: {r.detail}"))
                continue
            b = base.get(job)
            ratio = f"{r.mbps / b.mbps:.2f}x" if b and b.mbps > 0 else "-"
            rows.append((job, r.config, f"{r.mbps:.1f}", f"{r.iops:.0f}", ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                 row[2].rjust(widths[2]), row[3].rjust(widths[3]), row[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def guest_argv(size: str, runtime: int, configs: list[str]) -> list[str]:
    return [GUEST_SCRIPT, "--size", size, "--runtime", str(runtime), "--", *configs]


def timeout_for(runtime: int, configs: list[str]) -> int:
    return len(configs) * (len(JOBS) * (runtime + 30) + OVERHEAD_PER_CONFIG) + 120


def run_bench(kernel: str, runtime: int, size: str, only: list[str] | None) -> int:
    """Boot @kernel, benchmark each configuration, print the table."""
    configs = [c for c in CONFIGS if not only or c in only]
    vm.parse_size(size)  # reject a bad size before booting
    if runtime < 1:
        raise LabError("--runtime must be at least 1 second")
    # The disk holds one file of @size plus ext4's metadata and journal.
    disk = max(2 << 30, 2 * vm.parse_size(size) + (512 << 20))
    progress(f"bench: {', '.join(configs)}; {len(JOBS)} jobs of {runtime} s each, "
             f"file size {size}; guest command: {quote(guest_argv(size, runtime, configs))}")
    rc, rundir = vm.run_vm_dir(vm.RunSpec(
        kernel=kernel, argv=guest_argv(size, runtime, configs), disks=[str(disk)],
        timeout=timeout_for(runtime, configs)))
    outdir = rundir / "out" / "bench"
    if not outdir.is_dir():
        return rc if rc else 1
    results = read_results(outdir, configs)
    print()
    print(f"fio {size} file, {runtime} s per job, kernel {kernel} under qemu TCG "
          f"(noisy: shared machine); JSON in {outdir}")
    print(format_table(results), end="")
    print()
    dirty = False
    for config in configs:
        odirect = outdir / config / "odirect.txt"
        od = odirect.read_text().strip() if odirect.exists() else "not probed"
        status = fsck_status(outdir, config)
        dirty |= status != "clean"
        print(f"{config:14} O_DIRECT read: {od}; e2fsck -fn after unmount: {status}")
    failed = [r for r in results if r.status in ("failed", "missing")]
    if rc == 0 and (dirty or failed):
        rc = 1
    return rc
