# SPDX-License-Identifier: GPL-2.0
"""`lab fuzz`: the protocol fuzzer (tests/vm/fuzz_server.py) in a VM.

The guest side does the work and judges each iteration itself, reading
the kernel log after each one; the host judges the whole log again (as
for every `lab run`) and, if the kernel reported a problem, names the seed
whose iteration was running: the guest marks each iteration in the kernel
log ("fuzz: seed S begin").
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from . import build, console, debugkernel, vm
from .util import LabError, progress

GUEST = "tests/vm/fuzz_server.py"
# Boot, module load and unload, plus per iteration: the workload, the
# slowest teardown (flush, abort, SIGKILL: about 60 s) and Python startups.
BOOT_SECONDS = 120
MARK = re.compile(r"fuzz: seed (\d+) begin")
# make check's fixed first seed, so that a failure there is reproducible.
CHECK_SEED = 1000


def seed_of_first_problem(text: str) -> int | None:
    """The seed whose iteration was running at the first kernel problem."""
    seed = None
    for line in text.splitlines():
        record = console.kernel_record(line)
        if record is None:
            continue
        m = MARK.search(record)
        if m:
            seed = int(m.group(1))
        elif console.scan(line):
            return seed
    return None


def guest_argv(iterations: int, seed: int, duration: float, threads: int,
               keep_going: bool) -> list[str]:
    argv = ["python3", GUEST, "--iterations", str(iterations), "--seed", str(seed),
            "--duration", str(duration), "--threads", str(threads)]
    return argv + (["--keep-going"] if keep_going else [])


def timeout_for(iterations: int, duration: float) -> int:
    return int(BOOT_SECONDS + iterations * (duration + 60))


def run_fuzz(kernel: str, iterations: int, seed: int | None, duration: float,
             threads: int, keep_going: bool, build_module: bool = True) -> int:
    """Build the module for @kernel, boot it, fuzz; the exit status."""
    if iterations < 1:
        raise LabError("--iterations must be at least 1")
    if seed is None:
        seed = int(time.time()) % 1_000_000 * 1000
    if build_module:
        if kernel == debugkernel.NAME:
            debugkernel.build_module()
        else:
            build.build(kernel)
    progress(f"fuzz: {iterations} iteration(s) on {kernel}, seeds {seed}.."
             f"{seed + iterations - 1}")
    start = time.monotonic()
    rc, rundir = vm.run_vm_dir(vm.RunSpec(
        kernel=kernel, argv=guest_argv(iterations, seed, duration, threads, keep_going),
        timeout=timeout_for(iterations, duration)))
    report = rundir / "out" / "fuzz.json"
    summary = json.loads(report.read_text()) if report.exists() else None
    text = ""
    for name in ("console.log", "dmesg.txt"):
        p = rundir / name
        if p.exists():
            text += p.read_text(errors="replace") + "\n"
    if console.scan(text):
        bad = seed_of_first_problem(text)
        where = f"seed {bad}" if bad is not None else "no iteration marked yet"
        progress(f"fuzz: the kernel reported a problem during {where}; reproduce with "
                 f"`scripts/lab fuzz --kernel {kernel} --iterations 1 --seed {bad}`"
                 if bad is not None else f"fuzz: the kernel reported a problem ({where})")
    if summary:
        failed = summary["failed_seeds"]
        print(f"fuzz on {kernel}: {summary['iterations']} iterations, seeds "
              f"{summary['first_seed']}..{summary['first_seed'] + summary['iterations'] - 1}, "
              f"{len(failed)} failed{' (seeds ' + ', '.join(map(str, failed)) + ')' if failed else ''}"
              f", {summary['stats'].get('replies', 0)} replies, "
              f"{sum(v for k, v in summary['stats'].items() if k.startswith('mutation'))} "
              f"mutated, {summary['stats'].get('notifications', 0)} notifications, "
              f"{summary['stats'].get('workload ops', 0)} workload operations, "
              f"{time.monotonic() - start:.0f} s; details: {report}")
    else:
        print(f"fuzz on {kernel}: no summary from the guest (lab run exited {rc}); "
              f"console: {Path(rundir) / 'console.log'}")
    return rc if rc != 0 else (0 if summary else 1)
