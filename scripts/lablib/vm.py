# SPDX-License-Identifier: GPL-2.0
"""`lab run` and `lab shell`: boot the dev box under qemu and run a command.

Each run gets a directory under <cache>/runs holding the command, the
guest console, the guest's kernel log, its exit status and whatever the
command wrote to $LAB_OUT.  The guest sees three 9p shares: the checkout
(read-only, the command's working directory), the build outputs
(read-only) and the run directory.

Exit status: the command's, or 124 if the VM timed out, or 125 if the
guest kernel panicked, oopsed, warned or hung, or never reported a status.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import config, console, debugkernel, image, util
from .initrd import build_initrd, initrd_path
from .util import LabError, progress, quote

EXIT_TIMEOUT = 124
EXIT_GUEST_FAILURE = 125
KEEP_RUNS = 30


@dataclass
class RunSpec:
    kernel: str
    argv: list[str]
    disks: list[str] = field(default_factory=list)
    timeout: int = 900
    mem_mb: int = 3072
    smp: int = 2
    append: str = ""
    keep_disks: bool = False
    interactive: bool = False
    # Extra read-only 9p shares (tag, host directory); the guest command
    # mounts them itself: mount -t 9p -o trans=virtio,version=9p2000.L TAG DIR
    shares: list[tuple[str, Path]] = field(default_factory=list)


def build_outputs() -> Path:
    """The directory the guest sees as /mnt/lab/build (one subdir per kver)."""
    out = config.cache_dir() / "out"
    out.mkdir(parents=True, exist_ok=True)
    return out


def parse_size(size: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    s = size.strip().upper().removesuffix("B").removesuffix("I")
    try:
        if s and s[-1] in units:
            return int(float(s[:-1]) * units[s[-1]])
        return int(s)
    except ValueError:
        raise LabError(f"bad disk size {size!r}; use e.g. 512M or 4G") from None


def tcg_threading() -> str:
    """TCG's threading mode: "single" unless FUSE_IOMAP_LAB_TCG says "multi".

    With one host thread per vCPU (qemu 7.2, Debian bookworm's), a vCPU
    sometimes executes a stale translation of kernel text that another vCPU
    just patched, and the guest dies of an unhandled int3 early in boot
    (seen in sched_clock_cpu on both 6.12 and 7.2).  One thread running
    both vCPUs in turn cannot race that way; the guest still has two CPUs.
    """
    mode = os.environ.get("FUSE_IOMAP_LAB_TCG") or "single"
    if mode not in ("single", "multi"):
        raise LabError(f"FUSE_IOMAP_LAB_TCG={mode!r}: use single or multi")
    return mode


def qemu_argv(spec: RunSpec, img: image.Image, initrd: Path, rundir: Path,
              disks: list[Path]) -> list[str]:
    """The complete qemu command line for one run."""
    mode = "shell" if spec.interactive else "run"
    append = ["console=ttyS0", "root=/dev/vda", "rw", "loglevel=5", "panic=-1",
              "oops=panic", "mitigations=off", "tsc=reliable", f"lab.kernel={spec.kernel}",
              f"lab.mode={mode}"]
    if spec.kernel == debugkernel.NAME:
        append += debugkernel.CMDLINE
    if spec.append:
        append += shlex.split(spec.append)
    argv = ["qemu-system-x86_64", "-machine", "q35",
            "-accel", f"tcg,thread={tcg_threading()},tb-size=1024", "-cpu", "max",
            "-smp", str(spec.smp), "-m", str(spec.mem_mb), "-no-reboot", "-nic", "none",
            "-kernel", str(img.vmlinuz), "-initrd", str(initrd),
            "-append", " ".join(append),
            "-drive", f"file={img.disk},if=virtio,format=raw,snapshot=on,cache=unsafe"]
    if spec.interactive:
        argv += ["-nographic", "-serial", "mon:stdio"]
    else:
        argv += ["-display", "none", "-monitor", "none", "-serial", "stdio"]
    for d in disks:
        argv += ["-drive", f"file={d},if=virtio,format=raw,cache=unsafe,aio=threads"]
    shares = [("labrepo", config.REPO, True), ("labbuild", build_outputs(), True),
              ("labrun", rundir, False)]
    shares += [(tag, path, True) for tag, path in spec.shares]
    for tag, path, ro in shares:
        fsdev = f"local,id={tag},path={path},security_model=none"
        argv += ["-fsdev", fsdev + (",readonly=on" if ro else ""),
                 "-device", f"virtio-9p-pci,fsdev={tag},mount_tag={tag}"]
    return argv


def new_rundir(kernel: str) -> Path:
    runs = config.cache_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rundir = runs / f"{kernel}-{stamp}-{os.getpid()}"
    rundir.mkdir()
    old = sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    for stale in old[:-KEEP_RUNS]:
        shutil.rmtree(stale, ignore_errors=True)
    return rundir


def last_rundir(kernel: str) -> Path:
    """The newest run directory of @kernel."""
    runs = sorted((config.cache_dir() / "runs").glob(f"{kernel}-*"),
                  key=lambda p: p.stat().st_mtime)
    if not runs:
        raise LabError(f"no runs of {kernel} yet")
    return runs[-1]


def _stream(proc: subprocess.Popen[bytes], log: Path, timeout: int) -> bool:
    """Copy the guest console to stdout and @log; False if @timeout hit."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    with open(log, "wb") as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return True
            f.write(chunk.replace(b"\r\n", b"\n"))
            f.flush()  # the log must be complete if the host side dies too
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()


# What lab-init prints first; a guest that dies before it never ran our code.
GUEST_UP = "lab: guest up:"
BOOT_ATTEMPTS = 3


def run_vm(spec: RunSpec) -> int:
    """Boot, run and judge (see run_vm_dir()); the exit status."""
    return run_vm_dir(spec)[0]


def run_vm_dir(spec: RunSpec) -> tuple[int, Path]:
    """Boot, run, judge; boot again if the guest kernel died during boot.

    Returns the exit status and the run directory of the last boot.

    Multi-threaded TCG let Debian's kernels die of an int3 while patching
    their own text at boot (see tcg_threading(), which now avoids it); as a
    safety net against such flaws of the emulation, a run whose guest
    failed before lab-init started is booted again (up to three boots), with a
    log line and both run directories kept; any failure after lab-init
    started counts at once.
    """
    for attempt in range(1, BOOT_ATTEMPTS + 1):
        rc, rundir = _run_vm_once(spec)
        if rc == 0 or spec.interactive or util.DRY_RUN:
            return rc, rundir
        console_log = rundir / "console.log"
        text = console_log.read_text(errors="replace") if console_log.exists() else ""
        if GUEST_UP in text or attempt == BOOT_ATTEMPTS:
            return rc, rundir
        progress(f"the guest died before lab-init started (see {console_log}); "
                 f"booting again ({attempt + 1}/{BOOT_ATTEMPTS})")
    return rc, rundir


def boot_image(kernel: str) -> tuple[image.Image, tuple[str, ...]]:
    """The image to boot for @kernel and the modules its initrd loads."""
    if kernel == debugkernel.NAME:
        return debugkernel.ensure_image(), ()
    return image.ensure_image(kernel), config.INITRD_MODULES


def _run_vm_once(spec: RunSpec) -> tuple[int, Path]:
    img, initrd_modules = boot_image(spec.kernel)
    if util.DRY_RUN:
        rundir = config.cache_dir() / "runs" / "DRY-RUN"
        initrd = initrd_path(img.kver, img.path, initrd_modules)
        disks = [rundir / f"disk{i + 1}.img" for i in range(len(spec.disks))]
        print(quote(qemu_argv(spec, img, initrd, rundir, disks)))
        return 0, rundir
    trixie = image.find_root("trixie")
    if trixie is None:
        raise LabError("the trixie root is missing; run `lab image`")
    initrd = build_initrd(img.modules_root, trixie.path, img.kver, img.path, initrd_modules)
    rundir = new_rundir(spec.kernel)
    (rundir / "cmd").write_text("set -e\n" + "exec " + shlex.join(spec.argv) + "\n"
                                if spec.argv else "")
    (rundir / "cmd.txt").write_text(shlex.join(spec.argv) + "\n")
    disks = []
    for i, size in enumerate(spec.disks):
        d = rundir / f"disk{i + 1}.img"
        with open(d, "wb") as f:
            f.truncate(parse_size(size))
        disks.append(d)
    argv = qemu_argv(spec, img, initrd, rundir, disks)
    (rundir / "qemu.txt").write_text(quote(argv) + "\n")
    progress(f"booting {spec.kernel} ({img.kver}); run dir {rundir}")
    start = time.monotonic()
    try:
        if spec.interactive:
            subprocess.run(argv, check=False)
            finished = True
        else:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            try:
                finished = _stream(proc, rundir / "console.log", spec.timeout)
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
    finally:
        if not spec.keep_disks:
            for d in disks:
                d.unlink(missing_ok=True)
    elapsed = time.monotonic() - start
    return _verdict(spec, rundir, finished, elapsed), rundir


def _verdict(spec: RunSpec, rundir: Path, finished: bool, elapsed: float) -> int:
    text = ""
    for name in ("console.log", "dmesg.txt"):
        p = rundir / name
        if p.exists():
            text += p.read_text(errors="replace") + "\n"
    problems = console.scan(text)
    status_file = rundir / "status"
    if not finished:
        progress(f"FAIL: guest timed out after {spec.timeout} s; console: "
                 f"{rundir / 'console.log'}")
        return EXIT_TIMEOUT
    for p in problems:
        progress(f"guest kernel problem ({p.kind}): {p.line}")
    if not status_file.exists():
        progress(f"FAIL: the guest finished without reporting a status ({elapsed:.1f} s); "
                 f"console: {rundir / 'console.log'}")
        return EXIT_GUEST_FAILURE
    rc = int(status_file.read_text().strip() or "1")
    if problems:
        progress(f"FAIL: command exited {rc} but the guest kernel reported "
                 f"{len(problems)} problem(s); logs in {rundir}")
        return rc if rc != 0 else EXIT_GUEST_FAILURE
    progress(f"command exited {rc} after {elapsed:.1f} s in the VM; logs in {rundir}")
    return rc
