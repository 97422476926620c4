# SPDX-License-Identifier: GPL-2.0
"""The lab's debug kernel: KASAN, KFENCE, lockdep and friends.

Debian's kernels have none of the checkers that catch a use-after-free or
a lock-order bug in the module, so the lab builds its own x86-64 kernel
from the same Debian linux-source-6.12 the KUnit kernel uses (the unpacked
source is shared, under <cache>/kunit).  The configuration is `make
allnoconfig` plus scripts/lablib/debug-kernel.config: everything the VM
needs built in (no modules, so the initrd only mounts), the checkers on.
The build is cached under <cache>/debug-kernel, keyed by the config
fragment and the source package, like the KUnit kernel.

`lab build --kernel debug` builds the kernel (if needed) and the module
against its build tree, through the same compat probes as for Debian's
kernels; `lab run --kernel debug` boots it with the trixie disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import config, image, kunit, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run, sync_tree, timed

NAME = "debug"
FRAGMENT = config.REPO / "scripts/lablib/debug-kernel.config"
LOCALVERSION = "-labdebug"
# Bump when the way the kernel is configured or built changes.
RECIPE = 1
JOBS = 2

# Under TCG on a loaded two-core host the checkers make the guest so slow
# that a CPU busy for 20 s in boot looks like a soft lockup (seen: 22 s in
# kernfs allocation while other VMs ran).  Report only lockups of 120 s and
# RCU stalls of 100 s: still hangs, not the emulator's pace.
CMDLINE = ["watchdog_thresh=60", "rcupdate.rcu_cpu_stall_timeout=100"]

# Inside the build chroot.
CH_SRC = "/lab/kunit"     # <cache>/kunit: the unpacked Debian source
CH_DBG = "/lab/dbg"       # <cache>/debug-kernel
CH_FRAG = "/lab/dbgcfg"   # scripts/lablib (read-only)
CH_BUILD = f"{CH_DBG}/build"

# The Debian kernels' config of this kind (for `lab build --kernel debug`).
KERNEL = config.Kernel(NAME, "trixie")


@dataclass(frozen=True)
class Built:
    build: Path      # the O= build tree (host path)
    kver: str
    bzimage: Path


def kdir() -> Path:
    return config.cache_dir() / "debug-kernel"


def fragment_options(text: str) -> dict[str, str]:
    """CONFIG_X -> value ("y", "m", a string, or "n") of a config fragment."""
    opts = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("# CONFIG_") and line.endswith(" is not set"):
            opts[line[2:-len(" is not set")]] = "n"
        elif line.startswith("CONFIG_") and "=" in line:
            name, value = line.split("=", 1)
            opts[name] = value
    return opts


def config_mismatches(wanted: dict[str, str], dotconfig: str) -> list[str]:
    """Options of @wanted that the final .config does not have as asked."""
    have = fragment_options(dotconfig)
    bad = []
    for name, value in wanted.items():
        got = have.get(name, "n")
        if got != value:
            bad.append(f"{name}={value} (got {got})")
    return bad


def _key(tree: Path) -> str:
    h = hashlib.sha256(f"recipe={RECIPE} localversion={LOCALVERSION}\n".encode())
    h.update(FRAGMENT.read_bytes())
    h.update((tree / ".complete").read_bytes())
    return h.hexdigest()[:12]


def _chroot_make(mnt: Path, tree: Path, *targets: str, log=None) -> None:
    run(["chroot", str(mnt), "make", "-C", f"{CH_SRC}/{tree.name}", f"O={CH_BUILD}",
         "ARCH=x86_64", f"-j{JOBS}", *targets], log=log)


def _configure_and_build(mnt: Path, tree: Path, build: Path, key: str) -> None:
    logfile = build / "build.log"
    configured = build / ".lab-key"
    with open(logfile, "a") as log:
        if configured.exists() and configured.read_text().strip() == key:
            # an interrupted build of the same inputs: make carries on
            with timed(f"resuming the debug kernel build ({JOBS} jobs; log: {logfile})"):
                _chroot_make(mnt, tree, f"LOCALVERSION={LOCALVERSION}", "bzImage", "modules",
                             log=log)
            return
        _chroot_make(mnt, tree, "allnoconfig", log=log)
        merge = f"{CH_SRC}/{tree.name}/scripts/kconfig/merge_config.sh"
        run(["chroot", str(mnt), "sh", "-c",
             f"cd {CH_BUILD} && {merge} -m -O {CH_BUILD} .config "
             f"{CH_FRAG}/{FRAGMENT.name}"], log=log)
        _chroot_make(mnt, tree, f"LOCALVERSION={LOCALVERSION}", "olddefconfig", log=log)
        wanted = fragment_options(FRAGMENT.read_text())
        bad = config_mismatches(wanted, (build / ".config").read_text())
        if bad:
            raise LabError("the debug kernel's config lost options of "
                           f"{FRAGMENT.name} (missing dependency?): {', '.join(bad)}")
        configured.write_text(key + "\n")
        with timed(f"building the debug kernel ({JOBS} jobs; log: {logfile})"):
            _chroot_make(mnt, tree, f"LOCALVERSION={LOCALVERSION}", "bzImage", "modules",
                         log=log)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _cached(ksrc: Path) -> Built | None:
    """The finished build of the current inputs, if there is one."""
    trees = sorted(p for p in ksrc.glob("linux-source-*") if (p / ".complete").exists())
    stamp = kdir() / "complete.json"
    if not trees or not stamp.exists():
        return None
    info = json.loads(stamp.read_text())
    if info.get("key") != _key(trees[-1]):
        return None
    build = kdir() / "build"
    return Built(build, info["kver"], build / "arch/x86/boot/bzImage")


def ensure_kernel(rebuild: bool = False) -> Built:
    """Build the debug kernel unless a build of the same inputs exists."""
    if not rebuild and not util.DRY_RUN:
        # A finished build never changes: no lock needed to find it, so
        # that VM runs do not wait for another build.
        found = _cached(config.cache_dir() / "kunit")
        if found:
            return found
    image.ensure_image("trixie")
    root = image.find_root("trixie")
    if root is None:
        raise LabError("the trixie root is missing; run `lab image`")
    cache = config.cache_dir()
    ksrc = cache / "kunit"
    ksrc.mkdir(parents=True, exist_ok=True)
    dbg = kdir()
    dbg.mkdir(parents=True, exist_ok=True)
    build = dbg / "build"
    stamp = dbg / "complete.json"
    mnt = cache / "mnt" / "debug-kernel"
    upper = cache / "build" / "debug-kernel" / f"upper-{root.suite.key()}"
    with util.cache_lock(cache, exclusive=True), overlay([root.path], upper, mnt), \
            chroot_mounts(mnt), bind(ksrc, mnt / CH_SRC.lstrip("/")), \
            bind(dbg, mnt / CH_DBG.lstrip("/")), \
            bind(FRAGMENT.parent, mnt / CH_FRAG.lstrip("/"), readonly=True):
        if util.DRY_RUN:
            return Built(build, "KVER", build / "arch/x86/boot/bzImage")
        tree = kunit.ensure_source(ksrc, mnt)
        key = _key(tree)
        found = _cached(ksrc)
        if found and not rebuild:
            return found
        stamp.unlink(missing_ok=True)
        resumable = (build / ".lab-key").exists() and \
            (build / ".lab-key").read_text().strip() == key and not rebuild
        if not resumable:
            shutil.rmtree(build, ignore_errors=True)
            build.mkdir(parents=True)
        start = time.monotonic()
        cpu0 = _children_cpu()
        _configure_and_build(mnt, tree, build, key)
        kver = (build / "include/config/kernel.release").read_text().strip()
        secs = time.monotonic() - start
        cpu = _children_cpu() - cpu0
        stamp.write_text(json.dumps({"key": key, "kver": kver, "source": tree.name,
                                     "build_seconds": round(secs, 1),
                                     "cpu_seconds": round(cpu, 1)}, indent=1) + "\n")
        # The CPU time says what the wall time would be on two idle cores.
        progress(f"debug kernel {kver} built in {secs:.0f} s ({cpu:.0f} s of CPU)")
        return Built(build, kver, build / "arch/x86/boot/bzImage")


def ensure_image() -> image.Image:
    """What `lab run --kernel debug` boots: the trixie disk, this kernel."""
    trixie = image.ensure_image("trixie")
    built = ensure_kernel()
    path = kdir() / "image"
    path.mkdir(parents=True, exist_ok=True)
    if util.DRY_RUN:
        return image.Image(KERNEL, path, built.kver, trixie.modules_root)
    disk = path / "root.img"
    if not disk.exists() or os.path.realpath(disk) != str(trixie.disk.resolve()):
        disk.unlink(missing_ok=True)
        disk.symlink_to(trixie.disk)
    vmlinuz = path / "vmlinuz"
    if not vmlinuz.exists() or vmlinuz.stat().st_mtime < built.bzimage.stat().st_mtime:
        shutil.copy2(built.bzimage, vmlinuz)
    return image.Image(KERNEL, path, built.kver, trixie.modules_root)


def build_module(make_args: list[str] | None = None) -> None:
    """Build fuse_iomap against the debug kernel and publish it for the VM."""
    from . import build as labbuild

    built = ensure_kernel()
    root = image.find_root("trixie")
    assert root is not None
    cache = config.cache_dir()
    work = cache / "build" / NAME
    src = work / "src"
    mnt = cache / "mnt" / f"build-{NAME}"
    upper = work / f"upper-{root.suite.key()}"
    with util.cache_lock(cache, exclusive=True):
        copied = sync_tree(config.REPO, src, labbuild.MODULE_FILES)
        progress(f"building fuse_iomap for the debug kernel ({built.kver}), "
                 f"{copied} file(s) changed")
        start = time.monotonic()
        with overlay([root.path], upper, mnt), chroot_mounts(mnt), \
                bind(cache / "kunit", mnt / CH_SRC.lstrip("/"), readonly=True), \
                bind(kdir(), mnt / CH_DBG.lstrip("/")), \
                bind(src, mnt / labbuild.CHROOT_SRC):
            if util.DRY_RUN:
                return
            moddir = mnt / "usr/lib/modules" / built.kver
            if not (moddir / "modules.builtin").exists():
                # modules.builtin and friends, so that modprobe knows what
                # is built in; the kernel itself has no modules.
                tree = sorted(p for p in (cache / "kunit").glob("linux-source-*")
                              if (p / ".complete").exists())[-1]
                run(["chroot", str(mnt), "make", "-C", f"{CH_SRC}/{tree.name}",
                     f"O={CH_BUILD}", "ARCH=x86_64", f"LOCALVERSION={LOCALVERSION}",
                     "INSTALL_MOD_PATH=/", "modules_install"], capture=True)
            run(["chroot", str(mnt), "make", "-C", f"/{labbuild.CHROOT_SRC}", "module",
                 f"KDIR={CH_BUILD}", f"KVER={built.kver}", *(make_args or [])])
            kos = sorted(src.glob("*.ko"))
            if not kos:
                raise LabError(f"the build produced no .ko in {src}")
            kos = labbuild.publish(mnt, built.kver, kos)
        progress(f"built {', '.join(k.name for k in kos)} for {built.kver} in "
                 f"{time.monotonic() - start:.1f} s")
