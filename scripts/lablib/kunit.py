# SPDX-License-Identifier: GPL-2.0
"""`lab kunit`: run the module's KUnit suites in a UML kernel.

Debian's kernels have no CONFIG_KUNIT, so the suites run in a user-mode
Linux kernel built from Debian's linux-source package (the 6.12 source of
the primary target), configured by module/.kunitconfig and cached under
<cache>/kunit.  The module and its test module are built against that
tree and loaded into a UML boot whose root is a hostfs directory holding
busybox, the two modules and a tiny /init; the kernel log's KTAP is
parsed into pass/fail/skip counts.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path

from . import config, image, tap, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run, sync_tree, timed

KUNITCONFIG = config.REPO / "module/.kunitconfig"
SOURCE_META = "linux-source"
UML_TIMEOUT = 300

UML_INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
echo "lab-kunit: loading modules"
for m in /modules/fuse_iomap.ko /modules/fuse_iomap_test.ko; do
	insmod "$m" || echo "lab-kunit: insmod $m failed: $?"
done
rmmod fuse_iomap_test && rmmod fuse_iomap || echo "lab-kunit: rmmod failed"
echo "lab-kunit: ===== dmesg ====="
dmesg
echo "lab-kunit: ===== end ====="
poweroff -f
"""


def _source_package(mnt: Path) -> str:
    """Resolve the linux-source metapackage to the versioned source package."""
    out = run(["chroot", str(mnt), "apt-cache", "depends", SOURCE_META], capture=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-source-" in line:
            return line.split()[1]
    raise LabError(f"cannot resolve {SOURCE_META} to a source package:\n{out}")


def ensure_source(kdir: Path, mnt: Path) -> Path:
    """Download and unpack Debian's kernel source once; return its tree."""
    found = sorted(p for p in kdir.glob("linux-source-*") if (p / ".complete").exists())
    if found:
        return found[-1]
    debs = kdir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    pkg = _source_package(mnt)
    with timed(f"apt-get download {pkg}"):
        with bind(debs, mnt / "lab/debs"):
            run(["chroot", str(mnt), "sh", "-c", f"cd /lab/debs && apt-get download -q {pkg}"])
    deb = sorted(debs.glob(f"{pkg}_*.deb"))[-1]
    tmp = kdir / "unpack"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with timed(f"unpacking {deb.name}"):
        run(["dpkg-deb", "-x", str(deb), str(tmp)])
        tarball = next((tmp / "usr/src").glob("linux-source-*.tar.*"))
        run(["tar", "-C", str(kdir), "-xf", str(tarball)])
    shutil.rmtree(tmp)
    tree = kdir / tarball.name.split(".tar")[0]
    (tree / ".complete").write_text(deb.name + "\n")
    return tree


def _kernel_key(tree: Path) -> str:
    h = hashlib.sha256(KUNITCONFIG.read_bytes())
    h.update((tree / ".complete").read_bytes())
    return h.hexdigest()[:12]


def ensure_uml(kdir: Path, tree: Path, mnt: Path, rebuild: bool) -> Path:
    """Build the KUnit UML kernel unless a build of the same inputs exists."""
    build = kdir / "build-um"
    stamp = build / ".lab-key"
    key = _kernel_key(tree)
    if not rebuild and stamp.exists() and stamp.read_text().strip() == key:
        return build
    build.mkdir(exist_ok=True)
    chroot_tree = f"/lab/kunit/{tree.name}"
    with timed(f"building the KUnit UML kernel from {tree.name} (2 jobs)"):
        run(["chroot", str(mnt), "python3", f"{chroot_tree}/tools/testing/kunit/kunit.py",
             "build", "--arch=um", "--jobs=2", "--build_dir=/lab/kunit/build-um",
             f"--kunitconfig=/lab/kunitconfig/{KUNITCONFIG.name}"],
            cwd=None)
    stamp.write_text(key + "\n")
    return build


def run_kunit(rebuild_kernel: bool = False, filter_glob: str = "") -> int:
    report = run_suites(rebuild_kernel, filter_glob)
    if report is None:
        return 0
    suites: dict[str, list[tap.TestResult]] = {}
    for r in report.results:
        suites.setdefault(r.path.split(".")[0], []).append(r)
    for name, results in suites.items():
        counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "skip")}
        progress(f"suite {name}: {counts['pass']} passed, {counts['fail']} failed, "
                 f"{counts['skip']} skipped")
    for r in report.results:
        if r.status == "fail":
            progress(f"FAILED: {r.path}")
    print(f"kunit: {report.passed} passed, {report.failed} failed, {report.skipped} skipped")
    return 0 if report.failed == 0 and report.passed > 0 else 1


def run_suites(rebuild_kernel: bool = False, filter_glob: str = "") -> tap.Report | None:
    """Build everything needed and run the suites; None in dry-run mode."""
    image.ensure_image("trixie")
    root = image.find_root("trixie")
    if root is None:
        raise LabError("the trixie root is missing; run `lab image`")
    cache = config.cache_dir()
    kdir = cache / "kunit"
    kdir.mkdir(parents=True, exist_ok=True)
    src = cache / "build" / "kunit" / "src"
    mnt = cache / "mnt" / "kunit"
    upper = cache / "build" / "kunit" / f"upper-{root.suite.key()}"
    with util.cache_lock(cache, exclusive=True), overlay([root.path], upper, mnt), \
            chroot_mounts(mnt), bind(kdir, mnt / "lab/kunit"), \
            bind(KUNITCONFIG.parent, mnt / "lab/kunitconfig", readonly=True):
        if util.DRY_RUN:
            return None
        tree = ensure_source(kdir, mnt)
        build = ensure_uml(kdir, tree, mnt, rebuild_kernel)
        sync_tree(config.REPO, src, ("Kbuild", "Makefile", "VERSION", "dkms.conf", "module"))
        with bind(src, mnt / "lab/src"), timed("building fuse_iomap and its tests for UML"):
            run(["chroot", str(mnt), "make", "-C", "/lab/src", "module", "ARCH=um",
                 "KDIR=/lab/kunit/build-um"])
        umlroot = kdir / "umlroot"
        _make_umlroot(umlroot, root.path, src)
        argv = ["chroot", str(mnt), "/lab/kunit/build-um/linux", "mem=256M",
                "rootfstype=hostfs", "rootflags=/lab/kunit/umlroot", "rw", "init=/init",
                "con0=fd:0,fd:1", "con=null", "loglevel=4"]
        if filter_glob:
            argv.append(f"kunit.filter_glob={filter_glob}")
        progress("booting UML with the test modules")
        start = time.monotonic()
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, errors="replace", timeout=UML_TIMEOUT)
            out = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            raise LabError(f"the UML kernel did not finish in {UML_TIMEOUT} s") from e
        log = kdir / "last-run.log"
        log.write_text(out)
        progress(f"UML run took {time.monotonic() - start:.1f} s; log: {log}")
        marker = out.find("lab-kunit: ===== dmesg =====")
        if marker < 0:
            raise LabError(f"the UML run ended before the tests reported; see {log}")
        for line in out.splitlines():
            if line.startswith("lab-kunit:") and "failed" in line:
                raise LabError(f"{line} (log: {log})")
        report = tap.parse(out[marker:])
        if not report.saw_ktap or not report.results:
            raise LabError(f"no KUnit results in the UML kernel log; see {log}")
        return report


def _make_umlroot(umlroot: Path, trixie: Path, src: Path) -> None:
    shutil.rmtree(umlroot, ignore_errors=True)
    for d in ("bin", "proc", "sys", "modules", "dev", "tmp"):
        (umlroot / d).mkdir(parents=True)
    shutil.copy2(trixie / "usr/bin/busybox", umlroot / "bin/busybox")
    (umlroot / "init").write_text(UML_INIT)
    (umlroot / "init").chmod(0o755)
    for name in ("fuse_iomap.ko", "fuse_iomap_test.ko"):
        ko = src / name
        if not ko.exists():
            raise LabError(f"{name} was not built for UML (is CONFIG_KUNIT set?)")
        shutil.copy2(ko, umlroot / "modules" / name)
