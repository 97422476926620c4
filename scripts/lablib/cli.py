# SPDX-License-Identifier: GPL-2.0
"""Command line of `scripts/lab`: one subcommand per lab step."""

from __future__ import annotations

import argparse
import sys
import time

from . import config, util
from .util import LabError, progress

KERNEL_CHOICES = sorted(config.KERNELS)
# Debian's kernels plus the lab's debug kernel (scripts/lablib/debugkernel.py),
# which "all" leaves out: it is a tool for finding bugs, not a target.
DEBUG = "debug"
BOOT_CHOICES = KERNEL_CHOICES + [DEBUG]


def _kernels(arg: str) -> list[str]:
    return KERNEL_CHOICES if arg == "all" else [arg]


def _no_debug_kernel(kernel: str, what: str) -> None:
    if kernel == DEBUG:
        raise LabError(f"{what} refuses the debug kernel: KASAN, lockdep and the other "
                       "checkers make it several times slower and change its timing, so "
                       "its numbers mean nothing; use --kernel trixie or sid, and "
                       "`lab run --kernel debug` or `lab fuzz` to hunt bugs")


def cmd_image(args: argparse.Namespace) -> int:
    from . import image

    for k in _kernels(args.kernel):
        start = time.monotonic()
        img = image.ensure_image(k, refresh=args.refresh)
        progress(f"{k} image ready in {time.monotonic() - start:.1f} s: {img.path} "
                 f"(kernel {img.kver})")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from . import build, libfuse, server

    if args.part in ("module", "all"):
        for k in _kernels(args.kernel):
            if k == DEBUG:
                from . import debugkernel

                if args.dkms:
                    raise LabError("--dkms needs a packaged kernel; the debug kernel is "
                                   "built with plain Kbuild (drop --dkms)")
                debugkernel.build_module(args.make_args)
            else:
                build.build(k, dkms=args.dkms, make_args=args.make_args)
    # Userspace is built once, for the trixie userspace the VM boots.
    if args.part in ("libfuse", "all"):
        libfuse.build()
    if args.part in ("server", "all"):
        server.build_and_publish()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from . import vm

    if not args.cmd:
        raise LabError("lab run: give a command after --, e.g. lab run -- uname -r")
    return vm.run_vm(vm.RunSpec(
        kernel=args.kernel, argv=args.cmd, disks=args.disk, timeout=args.timeout,
        mem_mb=args.mem, smp=args.smp, append=args.append, keep_disks=args.keep_disks,
        interactive=False))


def cmd_shell(args: argparse.Namespace) -> int:
    from . import vm

    if args.kernel == DEBUG:
        progress("warning: the debug kernel runs the checkers (KASAN, lockdep, ...): "
                 "expect it to be several times slower; timings in this shell mean nothing")
    return vm.run_vm(vm.RunSpec(
        kernel=args.kernel, argv=[], disks=args.disk, timeout=0, mem_mb=args.mem,
        smp=args.smp, append=args.append, keep_disks=args.keep_disks, interactive=True))


def cmd_demo(args: argparse.Namespace) -> int:
    from . import build, libfuse, server, vm

    start = time.monotonic()
    progress("demo: setting up the lab and building everything (cached after the first run)")
    build.build(args.kernel)
    libfuse.build()
    server.build_and_publish()
    rc = vm.run_vm(vm.RunSpec(kernel=args.kernel, argv=["scripts/guest/demo.sh"],
                              disks=["1G"], timeout=600))
    summary = vm.last_rundir(args.kernel) / "out" / "summary.txt"
    print()
    print(f"===== fuse-iomap demo on {args.kernel} "
          f"({time.monotonic() - start:.0f} s, {'ok' if rc == 0 else 'FAILED'}) =====")
    if summary.exists():
        print(summary.read_text(), end="")
    return rc


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    _no_debug_kernel(args.kernel, "lab bench")
    return bench.run_bench(args.kernel, args.runtime, args.size, args.only)


def cmd_fstests(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import fstests

    _no_debug_kernel(args.kernel, "lab fstests")
    return fstests.run_fstests(
        Path(args.fstests), args.section, args.kernel, args.tests, args.group, args.range,
        args.section_timeout, args.disk, Path(args.results) if args.results else None,
        use_exclude=not args.no_exclude)


def cmd_kunit(args: argparse.Namespace) -> int:
    from . import kunit

    return kunit.run_kunit(rebuild_kernel=args.rebuild_kernel, filter_glob=args.filter)


def cmd_imgfuzz(args: argparse.Namespace) -> int:
    from . import server

    return server.fuzz(args.seed, args.first, args.cases)


def cmd_fuzz(args: argparse.Namespace) -> int:
    from . import fuzz

    return fuzz.run_fuzz(args.kernel, args.iterations, args.seed, args.duration,
                         args.threads, args.keep_going)


def _vm_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("virtual machine")
    g.add_argument("--kernel", choices=BOOT_CHOICES, default="trixie",
                   help="kernel to boot: Debian's trixie or sid, or the lab's debug "
                        "kernel (KASAN, lockdep; built by `lab build --kernel debug`) "
                        "(default: trixie)")
    g.add_argument("--disk", action="append", default=[], metavar="SIZE",
                   help="add an empty scratch disk of SIZE (e.g. 2G); repeat for more; "
                        "they appear as /dev/vdb, /dev/vdc, ... and in $LAB_DISKS")
    g.add_argument("--mem", type=int, default=3072, metavar="MiB",
                   help="guest memory (default: 3072)")
    g.add_argument("--smp", type=int, default=2, help="guest CPUs (default: 2)")
    g.add_argument("--append", default="", metavar="ARGS",
                   help="extra kernel command line arguments")
    g.add_argument("--keep-disks", action="store_true",
                   help="keep the scratch disk files in the run directory")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="lab",
        description="fuse-iomap VM lab: build a Debian dev box, build the module in it, "
                    "boot it under qemu and run commands.  Cache: "
                    f"{config.cache_dir()} (override with FUSE_IOMAP_LAB_CACHE).")
    p.add_argument("--dry-run", action="store_true",
                   help="print the debootstrap/chroot/qemu commands instead of running them")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("image", help="build or reuse the dev-box root and VM image",
                       description="Build (or reuse from the cache) the Debian root "
                       "filesystem for a kernel with debootstrap, install the dev and test "
                       "packages, and pack the bootable disk image.")
    s.add_argument("--kernel", choices=KERNEL_CHOICES + ["all"], default="trixie",
                   help="target kernel (default: trixie)")
    s.add_argument("--refresh", action="store_true",
                   help="rebuild even if a cached root/image with the same inputs exists "
                        "(picks up a new Debian kernel point release)")
    s.set_defaults(func=cmd_image)

    s = sub.add_parser("build", help="build this checkout inside the dev box",
                       description="Build fuse_iomap.ko in the dev-box chroot for each "
                       "target kernel, and the patched libfuse (libfuse-patches/) and "
                       "fuse4fs (server/) for the trixie userspace.  Plain Kbuild by default (incremental, seconds); "
                       "--dkms goes through dkms add/build/install as a user's machine "
                       "would.")
    s.add_argument("--kernel", choices=BOOT_CHOICES + ["all"], default="all",
                   help="target kernel; debug builds the lab's debug kernel (cached) "
                        "and the module against it; all means trixie and sid "
                        "(default: all)")
    s.add_argument("--dkms", action="store_true",
                   help="build and install through dkms (in a throwaway overlay)")
    s.add_argument("--part", choices=("module", "libfuse", "server", "all"), default="all",
                   help="what to build: the module for each --kernel, the patched "
                        "libfuse (once, for trixie userspace, into "
                        "<cache>/out/userspace/libfuse), fuse4fs against it (into "
                        "<cache>/out/userspace/fuse4fs), or all three in that order "
                        "(default: all)")
    s.add_argument("make_args", nargs="*", metavar="MAKEARG",
                   help="extra make arguments for the module build, e.g. W=1")
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("run", help="boot the VM and run a command in it",
                       description="Boot the dev box under qemu with the current build "
                       "installed, run CMD as root, stream its output, copy logs back and "
                       "exit with CMD's status.  A guest panic, oops, WARN, hang or timeout "
                       "is a failure (exit 125, or 124 for the timeout) with the console "
                       "saved.")
    _vm_options(s)
    s.add_argument("--timeout", type=int, default=900, metavar="SEC",
                   help="kill the VM after SEC seconds (default: 900)")
    s.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD...",
                   help="command to run in the guest (cwd: the checkout, read-only)")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("shell", help="boot the VM with an interactive shell",
                       description="Like run, but gives a root shell on the serial "
                       "console; exit the shell (or Ctrl-A x) to power off.")
    _vm_options(s)
    s.set_defaults(func=cmd_shell)

    s = sub.add_parser("demo", help="the demo: mount an ext4 image with fuse4fs in the VM",
                       description="Set up the lab, build everything, boot the VM, make an "
                       "ext4 image with some content, load fuse_iomap, mount the image with "
                       "`mount -t fuse4fs`, use it, unmount, run e2fsck -fn and print a "
                       "summary.")
    s.add_argument("--kernel", choices=KERNEL_CHOICES, default="trixie",
                   help="Debian kernel to boot (default: trixie)")
    s.set_defaults(func=cmd_demo)

    from .bench import CONFIGS
    s = sub.add_parser("bench", help="fio: ext4 vs fuse2fs vs fuse4fs in one VM run",
                       description="Boot the VM with a scratch disk and run the fio jobs "
                       "of scripts/bench/fuse-iomap.fio (1M O_DIRECT sequential write and "
                       "read, 4k buffered random write and read) against each "
                       "configuration, each on a fresh ext4: "
                       + "; ".join(f"{k}: {v}" for k, v in CONFIGS.items()) +
                       ".  Prints MB/s, IOPS and the ratio to ext4 of the same run, and "
                       "e2fsck -fn's verdict after each unmount; fio's JSON stays in the "
                       "run directory (out/bench/).  Under TCG on a shared machine the "
                       "numbers are noisy and are not disk speeds.")
    s.add_argument("--kernel", choices=BOOT_CHOICES, default="trixie",
                   help="Debian kernel to boot; the debug kernel is refused "
                        "(default: trixie)")
    s.add_argument("--runtime", type=int, default=20, metavar="S",
                   help="seconds per fio job (default: 20)")
    s.add_argument("--size", default="64m", metavar="SIZE",
                   help="size of the file the jobs use (default: 64m)")
    s.add_argument("--only", nargs="+", choices=list(CONFIGS), metavar="CONFIG",
                   help="run only these configurations (default: all of "
                        f"{', '.join(CONFIGS)})")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("fstests", help="run your fstests tree in the VM",
                       description="Share your built fstests tree (--fstests) into the VM, "
                       "format a test disk (/dev/vdb) and a scratch disk (/dev/vdc) with "
                       "mkfs.ext4, and run ./check with fstests-config/local.config and "
                       "the exclude list fstests-config/exclude once per section (ext4: "
                       "the kernel's ext4; fuse2fs: Debian's fuse2fs; fuse4fs: fuse4fs "
                       "through fuse_iomap.ko; fuse4fs_devfuse: fuse4fs on /dev/fuse), "
                       "then e2fsck -fn both disks.  Prints passed/failed/not-run counts "
                       "per section; fstests' results stay in the run directory "
                       "(out/fstests/).  fstests is not part of this project: build your "
                       "tree as Documentation/testing.rst says.")
    s.add_argument("--fstests", required=True, metavar="DIR",
                   help="your built fstests tree (shared read-only, copied in the guest)")
    s.add_argument("--section", action="append", default=[], metavar="S",
                   help="a section of fstests-config/local.config; repeat for more "
                        "(default: ext4, fuse2fs, fuse4fs)")
    s.add_argument("--kernel", choices=BOOT_CHOICES, default="trixie",
                   help="Debian kernel to boot; the debug kernel is refused "
                        "(default: trixie)")
    s.add_argument("-g", "--group", metavar="GROUP",
                   help="run fstests' GROUP (./check -g GROUP), or with --range part of it")
    s.add_argument("--range", metavar="FIRST-LAST",
                   help="with --group: only its tests from FIRST to LAST, e.g. "
                        "generic/001-generic/060 (read from the tree's group.list)")
    s.add_argument("--section-timeout", type=int, default=1800, metavar="SEC",
                   help="stop a section's ./check after SEC seconds (default: 1800)")
    s.add_argument("--disk", default="2G", metavar="SIZE",
                   help="size of the test and of the scratch disk (default: 2G)")
    s.add_argument("--results", metavar="DIR",
                   help="also copy fstests' results to DIR")
    s.add_argument("--no-exclude", action="store_true",
                   help="do not pass fstests-config/exclude to ./check")
    s.add_argument("tests", nargs="*", metavar="TEST",
                   help="tests for ./check, e.g. generic/001 generic/013")
    s.set_defaults(func=cmd_fstests)

    s = sub.add_parser("kunit", help="build and run the module's KUnit suites",
                       description="Build a KUnit-enabled UML kernel from Debian's "
                       "linux-source-6.12 (cached), build the module and its test module "
                       "against it, boot it and report the suites' results.")
    s.add_argument("--rebuild-kernel", action="store_true",
                   help="rebuild the cached UML kernel")
    s.add_argument("--filter", default="", metavar="GLOB",
                   help="only run suites matching GLOB (kunit.filter_glob)")
    s.set_defaults(func=cmd_kunit)

    s = sub.add_parser("imgfuzz", help="hostile-image fuzz run of fuse4fs (ASan, UBSan)",
                       description="Build fuse4fs with ASan and UBSan in the trixie dev box "
                       "and run tests/server/imgfuzz.py there on the host's /dev/fuse: "
                       "mutated ext2/3/4 images mounted read-only and read-write.  Failures "
                       "are saved under <cache>/fuzz/failures/; rerun one case with "
                       "--seed S --first N --cases 1.")
    s.add_argument("--seed", type=int, default=1, help="run seed (default: 1)")
    s.add_argument("--first", type=int, default=0, metavar="N", help="first case number")
    s.add_argument("--cases", type=int, default=10000, metavar="N",
                   help="number of cases (default: 10000)")
    s.set_defaults(func=cmd_imgfuzz)

    s = sub.add_parser("fuzz", help="fuzz the module's protocol handling in a VM",
                       description="Boot a VM (the debug kernel by default) and run "
                       "tests/vm/fuzz_server.py: each iteration mounts fuse_iomap, "
                       "answers its requests with seed-driven mutated replies and "
                       "notifications while a multi-threaded workload runs, and checks "
                       "that the kernel survives (no KASAN, lockdep, WARN, oops or "
                       "hang; the module unloads at the end).  Builds the module for "
                       "the kernel first.  A failure prints the seed that reproduces "
                       "it (--seed S --iterations 1).")
    s.add_argument("--kernel", choices=BOOT_CHOICES, default=DEBUG,
                   help="kernel to boot (default: debug)")
    s.add_argument("--iterations", type=int, default=20, metavar="N",
                   help="mounts to fuzz, one seed each (default: 20)")
    s.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of the first iteration; the others follow it "
                        "(default: from the clock)")
    s.add_argument("--duration", type=float, default=3.0, metavar="SEC",
                   help="seconds of workload per iteration (default: 3)")
    s.add_argument("--threads", type=int, default=4, metavar="T",
                   help="workload threads (default: 4)")
    s.add_argument("--keep-going", action="store_true",
                   help="go on after an iteration that failed without a kernel report")
    s.set_defaults(func=cmd_fuzz)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "cmd", None) and args.cmd[:1] == ["--"]:
        args.cmd = args.cmd[1:]
    util.DRY_RUN = args.dry_run
    try:
        return args.func(args)
    except LabError as e:
        print(f"lab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130
