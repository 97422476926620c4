# SPDX-License-Identifier: GPL-2.0
"""Build the patched libfuse in the trixie dev box, and run its tests.

libfuse is built once, for the trixie userspace the VM boots, whatever
kernel the module targets.  Everything happens in a chroot of the cached
trixie root through an overlay (the root itself is never written):

1. Debian's fuse3 source is downloaded once with `apt-get source
   --download-only` into <cache>/src/fuse3/.
2. `dpkg-source -x` unpacks it (Debian's own patches applied) into
   <cache>/build/libfuse/pristine/, once.
3. libfuse-patches/series is applied with `patch -p1 --fuzz=0`; a patch
   that needs fuzz or an offset is an error.  The patched tree is rebuilt
   only when the series or a patch changes (keyed by their hash) and is
   copied into patched/ by content, so ninja recompiles only what changed.
4. meson/ninja build patched/ into build-patched/ and install it into the
   private prefix <cache>/out/userspace/libfuse, which the VM sees as
   /mnt/lab/build/userspace/libfuse.  The system libfuse is untouched.
   libfuse's own pytest suite with the binaries it runs (test/, example/,
   util/, lib/ of build-patched/, without object files) is copied to
   <cache>/out/userspace/libfuse-tests (/mnt/lab/build/userspace/
   libfuse-tests in the VM) for tests/vm/libfuse-pytest.sh.
5. For the tests: the pristine tree is built once (build-unpatched/) to
   compare libfuse's own pytest results, and the patched tree once more
   with ASan and UBSan (build-asan/) for the wire-level unit tests.

Paths inside the chroot are fixed (/lab/libfuse, /mnt/lab/build/...), so
the meson build directories stay valid from one run to the next.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from . import config, image, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run

SRC_PACKAGE = "fuse3"
PATCH_DIR = config.REPO / "libfuse-patches"
HEADER = config.REPO / "module/uapi/fuse_iomap.h"
UNIT_TEST = config.REPO / "tests/libfuse/iomap_proto_test.c"
# Bump when the way the trees are prepared or built changes.
RECIPE = 1

# Where things appear inside the chroot.
CH_WORK = "/lab/libfuse"
CH_DL = "/lab/fuse3-src"
CH_REPO = "/lab/repo"
CH_PREFIX = "/mnt/lab/build/userspace/libfuse"

MESON_COMMON = ["-Dinitscriptdir=", "-Duseroot=false", "-Ddisable-mtab=true"]


def work_dir() -> Path:
    return config.cache_dir() / "build" / "libfuse"


def download_dir() -> Path:
    return config.cache_dir() / "src" / SRC_PACKAGE


def prefix_dir() -> Path:
    return config.cache_dir() / "out" / "userspace" / "libfuse"


def tests_dir() -> Path:
    """libfuse's own test suite, runnable in the VM (libfuse-tests/)."""
    return config.cache_dir() / "out" / "userspace" / "libfuse-tests"


# What libfuse's pytest suite needs from a meson build dir: test/ (the
# test_*.py, conftest.py, util.py, pytest.ini and the C test programs),
# example/ and util/ (the servers and fusermount3 it mounts with) and lib/
# (libfuse3.so, found through the binaries' $ORIGIN/../lib runpath).
SUITE_DIRS = ("test", "example", "util", "lib")


def suite_file(rel: Path) -> bool:
    """Whether @rel (relative to a build dir) belongs in libfuse-tests/."""
    if not rel.parts or rel.parts[0] not in SUITE_DIRS:
        return False
    return not any(p.endswith(".p") or p == "__pycache__" or p.startswith("lab-")
                   for p in rel.parts)


def publish_tests(build_dir: Path) -> int:
    """Copy the suite from @build_dir into tests_dir(); return files changed."""
    return _copy_by_content(build_dir, tests_dir(), suite_file)


def read_series(patch_dir: Path = PATCH_DIR) -> list[Path]:
    """The patches named in @patch_dir/series, in order (quilt format)."""
    series = patch_dir / "series"
    if not series.exists():
        raise LabError(f"{series} is missing")
    patches = []
    for line in series.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name = line.split()[0]
        if len(line.split()) > 1 and line.split()[1] != "-p1":
            raise LabError(f"{series}: only -p1 patches are supported: {line}")
        path = patch_dir / name
        if not path.exists():
            raise LabError(f"{series} names {name}, which does not exist")
        patches.append(path)
    if not patches:
        raise LabError(f"{series} lists no patches")
    return patches


def series_key(patches: list[Path]) -> str:
    """Hash of the recipe, the header of truth, the series and each patch."""
    h = hashlib.sha256(f"recipe={RECIPE}\n".encode())
    h.update(HEADER.read_bytes())
    for p in patches:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


# patch(1) says "Hunk #2 succeeded at 120 (offset 3 lines)." or "with fuzz 1".
_INEXACT = re.compile(r"^Hunk #\d+ succeeded at .*(offset|fuzz)", re.M)


def check_patch_output(name: str, output: str) -> None:
    """Fail unless patch(1) applied every hunk exactly where it says."""
    bad = _INEXACT.findall(output)
    if bad or "FAILED" in output or "Reversed" in output:
        raise LabError(f"{name} does not apply exactly (refresh it):\n{output.strip()}")


@dataclass
class Chroot:
    """A trixie chroot with the libfuse directories bound in."""

    mnt: Path

    def run(self, script: str, *, capture: bool = False, check: bool = True,
            log: Path | None = None) -> subprocess.CompletedProcess[str]:
        argv = ["chroot", str(self.mnt), "/bin/sh", "-ec", script]
        if log is not None:
            with open(log, "a") as f:
                return run(argv, log=f, check=check)
        return run(argv, capture=capture, check=check)


@contextlib.contextmanager
def chroot() -> Iterator[Chroot]:
    """Mount the overlay, /proc & co., and the libfuse binds; yield it."""
    root = image.ensure_root("trixie")
    cache = config.cache_dir()
    work = work_dir()
    for d in (work, download_dir(), prefix_dir()):
        d.mkdir(parents=True, exist_ok=True)
    mnt = cache / "mnt" / "build-libfuse"
    upper = work / f"upper-{root.suite.key()}"
    with overlay([root.path], upper, mnt), chroot_mounts(mnt), \
            bind(work, mnt / CH_WORK.lstrip("/")), \
            bind(download_dir(), mnt / CH_DL.lstrip("/")), \
            bind(config.REPO, mnt / CH_REPO.lstrip("/"), readonly=True), \
            bind(prefix_dir(), mnt / CH_PREFIX.lstrip("/")):
        yield Chroot(mnt)


def _dsc(ch: Chroot) -> str:
    found = sorted(download_dir().glob(f"{SRC_PACKAGE}_*.dsc"))
    if not found:
        progress(f"downloading the {SRC_PACKAGE} source from Debian")
        ch.run(f"cd {CH_DL} && apt-get source --download-only -q {SRC_PACKAGE}",
               log=work_dir() / "fetch.log")
        found = sorted(download_dir().glob(f"{SRC_PACKAGE}_*.dsc"))
    if not found:
        raise LabError(f"apt-get source {SRC_PACKAGE} produced no .dsc in {download_dir()}")
    return f"{CH_DL}/{found[-1].name}"


def _unpack(ch: Chroot, dsc: str, name: str) -> None:
    """dpkg-source -x @dsc into <work>/@name (replacing it)."""
    shutil.rmtree(work_dir() / name, ignore_errors=True)
    ch.run(f"cd {CH_WORK} && dpkg-source --no-check -x {dsc} {name}",
           log=work_dir() / "unpack.log")


def ensure_pristine(ch: Chroot) -> Path:
    pristine = work_dir() / "pristine"
    dsc = _dsc(ch)
    stamp = pristine / ".lab-unpacked"
    if not stamp.exists() or stamp.read_text() != dsc:
        progress(f"unpacking {Path(dsc).name}")
        _unpack(ch, dsc, "pristine")
        stamp.write_text(dsc)
    return pristine


def install_kernel_header(tree: Path) -> None:
    """Put the header of truth in place of libfuse's include/fuse_kernel.h.

    module/uapi/fuse_iomap.h is a superset of the protocol libfuse uses;
    installing it before the series (rather than a patch that replaces the
    file) keeps libfuse's own copy of the header out of this repository.
    """
    target = tree / "include/fuse_kernel.h"
    if not target.exists():
        raise LabError(f"{target} is missing: not a libfuse tree?")
    shutil.copyfile(HEADER, target)


def apply_series(ch: Chroot, tree: str, patches: list[Path]) -> list[str]:
    """Apply @patches in the chroot directory @tree; return their names."""
    applied = []
    for p in patches:
        res = ch.run(f"cd {tree} && patch -p1 --fuzz=0 --forward "
                     f"--no-backup-if-mismatch -i {CH_REPO}/libfuse-patches/{p.name}",
                     capture=True, check=False)
        check_patch_output(p.name, res.stdout)
        if res.returncode != 0:
            raise LabError(f"{p.name} does not apply:\n{res.stdout.strip()}")
        applied.append(p.name)
    return applied


def _copy_by_content(src: Path, dst: Path,
                     keep: Callable[[Path], bool] = lambda rel: True) -> int:
    """Make @dst a copy of @src, touching only files whose content changed.

    Only paths (relative to @src) for which @keep is true are copied; the
    rest are left out of @dst (and removed from it).
    """
    copied = 0
    wanted = set()
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.rglob("*"):
        rel = f.relative_to(src)
        if not keep(rel):
            continue
        wanted.add(rel)
        d = dst / rel
        if f.is_dir() and not f.is_symlink():
            d.mkdir(parents=True, exist_ok=True)
            continue
        if f.is_symlink():
            if d.is_symlink() and os.readlink(d) == os.readlink(f):
                continue
        elif d.is_file() and not d.is_symlink() and filecmp.cmp(f, d, shallow=False):
            continue
        d.parent.mkdir(parents=True, exist_ok=True)
        if d.is_symlink() or d.exists():
            d.unlink()
        shutil.copy2(f, d, follow_symlinks=False)
        if not d.is_symlink():
            os.utime(d)
        copied += 1
    for d in sorted(dst.rglob("*"), reverse=True):
        if d.relative_to(dst) not in wanted:
            if d.is_dir() and not d.is_symlink():
                shutil.rmtree(d)
            else:
                d.unlink()
    return copied


def ensure_patched(ch: Chroot) -> tuple[Path, list[str]]:
    """The patched tree for the current series; re-patched when it changed."""
    patches = read_series()
    dsc = _dsc(ch)
    # A new Debian upload must be patched again too.
    key = f"{series_key(patches)}-{Path(dsc).stem}"
    patched = work_dir() / "patched"
    stamp = work_dir() / "patched.key"
    if patched.exists() and stamp.exists() and stamp.read_text() == key:
        return patched, [p.name for p in patches]
    progress(f"applying {len(patches)} patches (series {key})")
    _unpack(ch, dsc, "patching")
    install_kernel_header(work_dir() / "patching")
    names = apply_series(ch, f"{CH_WORK}/patching", patches)
    patched.mkdir(exist_ok=True)
    copied = _copy_by_content(work_dir() / "patching", patched)
    shutil.rmtree(work_dir() / "patching")
    stamp.write_text(key)
    progress(f"patched tree updated, {copied} file(s) changed")
    return patched, names


def _meson_build(ch: Chroot, tree: str, build: str, options: list[str],
                 install: bool = False) -> None:
    bdir = f"{CH_WORK}/{build}"
    log = work_dir() / f"{build}.log"
    if not (work_dir() / build / "build.ninja").exists():
        shutil.rmtree(work_dir() / build, ignore_errors=True)
        ch.run(f"meson setup {bdir} {CH_WORK}/{tree} " + " ".join(options), log=log)
    ch.run(f"ninja -C {bdir} -j2", log=log)
    if install:
        ch.run(f"rm -rf {CH_PREFIX}/* && meson install -C {bdir} --no-rebuild --quiet",
               log=log)


def build(with_test_builds: bool = False) -> list[str]:
    """Build (incrementally) and publish the patched libfuse.

    With @with_test_builds also the unpatched and the sanitizer builds.
    Returns the names of the patches in the series.
    """
    start = time.monotonic()
    with util.cache_lock(config.cache_dir(), exclusive=True), chroot() as ch:
        ensure_pristine(ch)
        _, names = ensure_patched(ch)
        progress("building the patched libfuse")
        _meson_build(ch, "patched", "build-patched",
                     MESON_COMMON + [f"--prefix={CH_PREFIX}", "--libdir=lib",
                                     f"-Dudevrulesdir={CH_PREFIX}/lib/udev/rules.d"],
                     install=True)
        copied = publish_tests(work_dir() / "build-patched")
        progress(f"libfuse's test suite published to {tests_dir()} "
                 f"({copied} file(s) changed)")
        if with_test_builds:
            _meson_build(ch, "pristine", "build-unpatched", MESON_COMMON)
            _meson_build(ch, "patched", "build-asan",
                         MESON_COMMON + ["-Db_sanitize=address,undefined",
                                         "-Db_lundef=false", "-Dexamples=false",
                                         "-Dtests=false", "-Dutils=false"])
    progress(f"libfuse with {len(names)} patches built and published to {prefix_dir()} "
             f"in {time.monotonic() - start:.1f} s")
    return names


# ---------------------------------------------------------------- tests


@dataclass
class Result:
    name: str
    status: str  # pass, fail, skip
    detail: str = ""


def parse_tap(text: str) -> list[Result]:
    """Results of a plain TAP stream ("ok N - name", "not ok N - name")."""
    out = []
    detail: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^(not ok|ok) (\d+)(?: - )?(.*?)(?:\s+# SKIP\b\s*(.*))?$", line)
        if m:
            status = "fail" if m.group(1) == "not ok" else "pass"
            if m.group(4) is not None:
                status = "skip"
            out.append(Result(m.group(3) or f"case {m.group(2)}", status))
            detail = []
        elif line.startswith("# ") and out and out[-1].status == "fail":
            detail.append(line[2:])
            out[-1].detail = "\n".join(detail)
    return out


def parse_junit(text: str) -> list[Result]:
    """Per-test results of a pytest --junitxml report."""
    out = []
    for case in ET.fromstring(text).iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        status, detail = "pass", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status, detail = "fail", (child.get("message") or "")[:300]
                break
            if child.tag == "skipped":
                status, detail = "skip", (child.get("message") or "")[:300]
        out.append(Result(name, status, detail))
    return out


def check_header_sync(ch: Chroot) -> str | None:
    """None if the patched fuse_kernel.h is the uapi header byte for byte."""
    patched = work_dir() / "patched/include/fuse_kernel.h"
    if not patched.exists():
        return "the patched tree has no include/fuse_kernel.h"
    if patched.read_bytes() != HEADER.read_bytes():
        return ("include/fuse_kernel.h differs from module/uapi/fuse_iomap.h "
                "(the patched tree is stale: run make libfuse)")
    return None


def check_header_sizes(ch: Chroot) -> str | None:
    """Compile the "N bytes" comments of the header as static assertions."""
    res = ch.run(f"python3 {CH_REPO}/tests/libfuse/header_sizes.py "
                 f"{CH_REPO}/module/uapi/fuse_iomap.h > /tmp/sizes.c && "
                 "gcc -std=gnu11 -Wall -Werror -c /tmp/sizes.c -o /tmp/sizes.o",
                 capture=True, check=False)
    return None if res.returncode == 0 else "static size assertions failed"


def run_unit_tests(ch: Chroot) -> list[Result]:
    """Build tests/libfuse/iomap_proto_test.c with ASan/UBSan and run it."""
    inc = " ".join(f"-I{d}" for d in (
        f"{CH_WORK}/patched/include", f"{CH_WORK}/build-asan",
        f"{CH_WORK}/build-asan/include", f"{CH_REPO}/module/uapi",
        f"{CH_WORK}/patched/lib"))
    lib = f"{CH_WORK}/build-asan/lib"
    res = ch.run(
        "gcc -std=gnu11 -Wall -Wextra -Werror -g -O1 "
        "-fsanitize=address,undefined -fno-sanitize-recover=undefined "
        f"-fno-omit-frame-pointer {inc} {CH_REPO}/tests/libfuse/iomap_proto_test.c "
        f"-L{lib} -lfuse3 -Wl,-rpath,{lib} -o /tmp/iomap_proto_test 2>&1 && "
        "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "
        "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "
        "/tmp/iomap_proto_test 2>/tmp/iomap_proto_test.err; rc=$?; "
        "tail -n 40 /tmp/iomap_proto_test.err | sed 's/^/# stderr: /'; exit $rc",
        capture=True, check=False)
    results = parse_tap(res.stdout)
    planned = re.search(r"^1\.\.(\d+)$", res.stdout, re.M)
    if not planned or int(planned.group(1)) != len(results):
        results.append(Result("unit test run completed its plan", "fail",
                              res.stdout[-2000:]))
    elif res.returncode != 0 and all(r.status != "fail" for r in results):
        # every case passed but the sanitizers (e.g. a leak) failed the run
        results.append(Result("sanitizers clean at exit", "fail", res.stdout[-2000:]))
    return results


def _run_tap(ch: Chroot, name: str, command: str) -> list[Result]:
    res = ch.run(f"{command} 2>&1", capture=True, check=False)
    results = parse_tap(res.stdout)
    planned = re.search(r"^1\.\.(\d+)$", res.stdout, re.M)
    if not planned or int(planned.group(1)) != len(results):
        results.append(Result(f"{name} completed its plan", "fail", res.stdout[-2000:]))
    return results


def run_example_tests(ch: Chroot) -> list[Result]:
    """The iomap_ll example, mount.fuse3 and fusermount3 on the classic /dev/fuse."""
    build = f"{CH_WORK}/build-patched"
    results = [Result(f"iomap_ll: {r.name}", r.status, r.detail) for r in _run_tap(
        ch, "iomap_ll.sh", f"{CH_REPO}/tests/libfuse/iomap_ll.sh {build}")]
    results += [Result(f"fusermount3: {r.name}", r.status, r.detail) for r in _run_tap(
        ch, "fusermount_iomap.py",
        f"python3 {CH_REPO}/tests/libfuse/fusermount_iomap.py {build}/util/fusermount3")]
    return results


def run_pytest(ch: Chroot, build_dir: str) -> list[Result]:
    """libfuse's own test suite from @build_dir on the stock /dev/fuse."""
    junit = f"{CH_WORK}/{build_dir}/lab-junit.xml"
    host_junit = work_dir() / build_dir / "lab-junit.xml"
    host_junit.unlink(missing_ok=True)
    ch.run(f"cd {CH_WORK}/{build_dir} && timeout 600 python3 -m pytest test/ -q "
           f"-p no:cacheprovider --maxfail=100000 --junitxml={junit}",
           log=work_dir() / f"pytest-{build_dir}.log", check=False)
    if not host_junit.exists():
        raise LabError(f"pytest in {build_dir} wrote no report; "
                       f"see {work_dir() / f'pytest-{build_dir}.log'}")
    return parse_junit(host_junit.read_text())


def unpatched_results(ch: Chroot) -> list[Result]:
    """The unpatched suite's results; run once per dev box and cached."""
    cache = work_dir() / f"pytest-unpatched-{image.ensure_root('trixie').suite.key()}.json"
    if cache.exists():
        return [Result(**r) for r in json.loads(cache.read_text())]
    progress("running libfuse's test suite on the unpatched build (once)")
    results = run_pytest(ch, "build-unpatched")
    cache.write_text(json.dumps([r.__dict__ for r in results]))
    return results


def compare(patched: list[Result], unpatched: list[Result]) -> list[Result]:
    """Judge the patched results against the unpatched ones.

    A test that passes unpatched must pass patched.  A test that fails
    the same way unpatched (e.g. CUSE is missing on the host) is counted
    as skipped with that reason, not passed.  A test missing on either
    side is a failure.
    """
    before = {r.name: r for r in unpatched}
    out = []
    for r in patched:
        b = before.pop(r.name, None)
        if b is None:
            out.append(Result(r.name, "fail", "not in the unpatched suite"))
        elif r.status == "fail" and b.status == "fail":
            out.append(Result(r.name, "skip", f"fails unpatched too: {b.detail}"))
        elif r.status == "fail":
            out.append(Result(r.name, "fail", r.detail))
        elif r.status == "skip":
            out.append(Result(r.name, "skip", r.detail))
        elif b.status != "pass":
            out.append(Result(r.name, "pass", f"unpatched: {b.status}"))
        else:
            out.append(r)
    for name in before:
        out.append(Result(name, "fail", "missing from the patched suite"))
    return out


@dataclass
class Report:
    patches: list[str]
    header_sync: str | None
    header_sizes: str | None
    unit: list[Result]
    example: list[Result]
    pytest: list[Result]
    patched_counts: dict[str, int]
    unpatched_counts: dict[str, int]


def counts(results: list[Result]) -> dict[str, int]:
    c = {"pass": 0, "fail": 0, "skip": 0}
    for r in results:
        c[r.status] += 1
    return c


def check() -> Report:
    """Everything `make check`'s libfuse stage runs, in one chroot session."""
    names = build(with_test_builds=True)
    with util.cache_lock(config.cache_dir(), exclusive=False), chroot() as ch:
        sync = check_header_sync(ch)
        sizes = check_header_sizes(ch)
        unit = run_unit_tests(ch)
        example = run_example_tests(ch)
        progress("running libfuse's test suite on the patched build")
        patched = run_pytest(ch, "build-patched")
        unpatched = unpatched_results(ch)
    return Report(names, sync, sizes, unit, example, compare(patched, unpatched),
                  counts(patched), counts(unpatched))
