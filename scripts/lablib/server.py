# SPDX-License-Identifier: GPL-2.0
"""Build and test fuse4fs (server/) inside the trixie dev box.

The host runs another Debian release, so the server is built and tested in
a chroot of the trixie root, through an overlay (the cached root is never
written):

- the checkout is bind-mounted read-only at /lab/src;
- <cache>/build/server is bind-mounted at /lab/build (cmake + ninja, so
  builds are incremental);
- the patched libfuse from `lab build --part libfuse` is bound at the
  path the VM sees it at, /mnt/lab/build/userspace/libfuse, and found
  through its pkg-config directory; the binaries' rpath points there, so
  they run unchanged in the chroot and in the VM;
- fuse4fs and mount.fuse4fs are published to <cache>/out/userspace/fuse4fs/
  (/mnt/lab/build/userspace/fuse4fs in the VM), the man pages to its
  man/man8/.

The host kernel has /dev/fuse and loop devices, so FUSE mounts made in the
chroot work: the host mount test and the fio write-and-verify jobs
(tests/server/) run there too.

`lab build --part server` builds; `scripts/check` runs clang-tidy on every
source (server/.clang-tidy), the tests (with the fio jobs) and a bounded hostile-image fuzz run
(tests/server/imgfuzz.py) against a second build of fuse4fs with ASan and
UBSan in <cache>/build/server-asan (bound at /lab/build-asan; its work
directory and saved failures in <cache>/fuzz, bound at /lab/fuzz).
`lab imgfuzz` runs longer fuzz runs.  By hand:
    python3 -m lablib.server build|tidy|unit|mount-test|fio|fuzz|all     (from scripts/)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import config, image, libfuse, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run

SUITE = "trixie"
CHROOT_SRC = "lab/src"
CHROOT_BUILD = "lab/build"
CHROOT_ASAN = "lab/build-asan"
CHROOT_FUZZ = "lab/fuzz"
JOBS = "2"  # the build machines' cores are shared
LIBFUSE_PKGCONFIG = f"{libfuse.CH_PREFIX}/lib/pkgconfig"
# The build directory is configured afresh whenever this changes.
CONFIGURE = ["cmake", "-S", f"/{CHROOT_SRC}/server", "-B", f"/{CHROOT_BUILD}", "-G", "Ninja",
             f"-DCMAKE_PREFIX_PATH={libfuse.CH_PREFIX}", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
# The fuzz build: fuse4fs alone, with ASan and UBSan; any UB report aborts.
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CONFIGURE_ASAN = ["cmake", "-S", f"/{CHROOT_SRC}/server", "-B", f"/{CHROOT_ASAN}", "-G", "Ninja",
                  f"-DCMAKE_PREFIX_PATH={libfuse.CH_PREFIX}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                  f"-DCMAKE_C_FLAGS={SANITIZE}", f"-DCMAKE_CXX_FLAGS={SANITIZE}",
                  f"-DCMAKE_EXE_LINKER_FLAGS={SANITIZE}"]
# make check's fuzz run: seed and number of cases (about 0.4 s per case).
CHECK_FUZZ_SEED = 1
CHECK_FUZZ_CASES = 200


@dataclass
class Case:
    name: str
    status: str  # pass | fail | skip


def _paths() -> tuple[Path, Path, Path]:
    cache = config.cache_dir()
    work = cache / "build" / "server"
    return cache, work, cache / "out" / "userspace" / "fuse4fs"


@contextlib.contextmanager
def chroot() -> Iterator[Path]:
    """The trixie dev box with the checkout and the build directory bound."""
    root = image.find_root(SUITE)
    if root is None:
        raise LabError(f"the {SUITE} root is missing; run `lab image`")
    cache, work, _ = _paths()
    (work / "build").mkdir(parents=True, exist_ok=True)
    (work / "build-asan").mkdir(parents=True, exist_ok=True)
    (cache / "fuzz").mkdir(parents=True, exist_ok=True)
    mnt = cache / "mnt" / "build-server"
    upper = work / f"upper-{root.suite.key()}"
    with overlay([root.path], upper, mnt), chroot_mounts(mnt), \
            bind(config.REPO, mnt / CHROOT_SRC, readonly=True), \
            bind(work / "build", mnt / CHROOT_BUILD), \
            bind(work / "build-asan", mnt / CHROOT_ASAN), \
            bind(cache / "fuzz", mnt / CHROOT_FUZZ), \
            bind(libfuse.prefix_dir(), mnt / libfuse.CH_PREFIX.lstrip("/"), readonly=True):
        yield mnt


def _in(mnt: Path, *argv: str, check: bool = True) -> int:
    env = ["env", f"PKG_CONFIG_PATH={LIBFUSE_PKGCONFIG}"]
    return run(["chroot", str(mnt), *env, *argv], check=check).returncode


def ensure_libfuse() -> None:
    """Build the patched libfuse if it has not been published yet."""
    if not (libfuse.prefix_dir() / "lib" / "pkgconfig" / "fuse3.pc").exists():
        libfuse.build()


def build(mnt: Path) -> Path:
    """Configure (first time), build, publish; returns the fuse4fs binary."""
    _, work, out = _paths()
    stamp = work / "build" / "lab-configure"
    key = " ".join(CONFIGURE)
    if not (work / "build" / "build.ninja").exists() or \
            not stamp.exists() or stamp.read_text() != key:
        # A cache made against another libfuse must not survive.
        (work / "build" / "CMakeCache.txt").unlink(missing_ok=True)
        _in(mnt, *CONFIGURE)
        if not util.DRY_RUN:
            stamp.write_text(key)
    _in(mnt, "ninja", "-C", f"/{CHROOT_BUILD}", "-j", JOBS)
    out.mkdir(parents=True, exist_ok=True)
    binary = work / "build" / "fuse4fs"
    if binary.exists() and not util.DRY_RUN:
        # mount.fuse4fs runs the fuse4fs in its own directory.
        for name in ("fuse4fs", "mount.fuse4fs"):
            shutil.copy2(work / "build" / name, out / name)
        man = out / "man" / "man8"
        man.mkdir(parents=True, exist_ok=True)
        for page in sorted((config.REPO / "server" / "man").glob("*.8")):
            shutil.copy2(page, man / page.name)
        progress(f"published fuse4fs, mount.fuse4fs and their man pages to {out}")
    return binary


def unit_tests(mnt: Path) -> list[Case]:
    """Run the gtest cases through ctest; one Case per gtest case."""
    _, work, _ = _paths()
    junit = work / "build" / "ctest-junit.xml"
    junit.unlink(missing_ok=True)
    _in(mnt, "ctest", "--test-dir", f"/{CHROOT_BUILD}", "-j", JOBS, "--output-on-failure",
        "--output-junit", f"/{CHROOT_BUILD}/ctest-junit.xml", check=False)
    if not junit.exists():
        return [Case("server/unit tests ran", "fail")]
    return parse_junit(junit.read_text())


def tidy_sources(compile_commands: str) -> list[str]:
    """The server's own sources named in a compile_commands.json text."""
    prefix = f"/{CHROOT_SRC}/server/src/"
    files = {e["file"] for e in json.loads(compile_commands)}
    return sorted(f for f in files if f.startswith(prefix))


def tidy(mnt: Path) -> list[Case]:
    """clang-tidy (server/.clang-tidy) on each source; one Case per file."""
    _, work, _ = _paths()
    db = work / "build" / "compile_commands.json"
    if not db.exists() and not util.DRY_RUN:
        return [Case("server/clang-tidy compile_commands.json", "fail")]
    files = tidy_sources(db.read_text()) if db.exists() else []
    cases = []
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def finish(name: str, proc: subprocess.Popen[bytes]) -> None:
        out, _ = proc.communicate()
        ok = proc.returncode == 0
        if not ok:
            sys.stdout.write(out.decode(errors="replace"))
        cases.append(Case(f"server/clang-tidy {name}", "pass" if ok else "fail"))

    for f in files:
        argv = ["chroot", str(mnt), "clang-tidy", "--quiet", "-p", f"/{CHROOT_BUILD}", f]
        if len(procs) >= int(JOBS):
            finish(*procs.pop(0))
        procs.append((f.removeprefix(f"/{CHROOT_SRC}/"),
                      subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
    for name, proc in procs:
        finish(name, proc)
    return cases


def parse_junit(text: str) -> list[Case]:
    cases = []
    for tc in ET.fromstring(text).iter("testcase"):
        status = tc.get("status", "run")
        if tc.find("failure") is not None or tc.find("error") is not None or status == "fail":
            st = "fail"
        elif tc.find("skipped") is not None or status in ("disabled", "notrun"):
            st = "skip"
        else:
            st = "pass"
        cases.append(Case(f"server/unit/{tc.get('name')}", st))
    return cases


def mount_tests(mnt: Path) -> list[Case]:
    """tests/server/mount-test.sh; one Case per `step` line it prints."""
    _, work, _ = _paths()
    results = work / "build" / "mount-test-results.txt"
    results.unlink(missing_ok=True)
    rc = _in(mnt, f"/{CHROOT_SRC}/tests/server/mount-test.sh", f"/{CHROOT_BUILD}/fuse4fs",
             f"/{CHROOT_BUILD}/mount-test-results.txt", check=False)
    cases = []
    if results.exists():
        for line in results.read_text().splitlines():
            status, _, name = line.partition(" ")
            cases.append(Case(f"server/mount/{name}", status))
    if rc != 0 and all(c.status != "fail" for c in cases):
        cases.append(Case(f"server/mount/test script (exit {rc})", "fail"))
    if not cases:
        cases.append(Case("server/mount/test script ran", "fail"))
    return cases


def fio_tests(mnt: Path) -> list[Case]:
    """tests/server/fio-verify.sh; one Case per step line it prints."""
    _, work, _ = _paths()
    results = work / "build" / "fio-verify-results.txt"
    results.unlink(missing_ok=True)
    rc = _in(mnt, f"/{CHROOT_SRC}/tests/server/fio-verify.sh", f"/{CHROOT_BUILD}/fuse4fs",
             f"/{CHROOT_BUILD}/fio-verify-results.txt", check=False)
    cases = []
    if results.exists():
        for line in results.read_text().splitlines():
            status, _, name = line.partition(" ")
            cases.append(Case(f"server/fio/{name}", status))
    if rc != 0 and all(c.status != "fail" for c in cases):
        cases.append(Case(f"server/fio/test script (exit {rc})", "fail"))
    if not cases:
        cases.append(Case("server/fio/test script ran", "fail"))
    return cases


def build_sanitized(mnt: Path) -> None:
    """Configure (first time) and build the ASan/UBSan fuse4fs for fuzzing."""
    _, work, _ = _paths()
    d = work / "build-asan"
    stamp = d / "lab-configure"
    key = " ".join(CONFIGURE_ASAN)
    if not (d / "build.ninja").exists() or not stamp.exists() or stamp.read_text() != key:
        (d / "CMakeCache.txt").unlink(missing_ok=True)
        _in(mnt, *CONFIGURE_ASAN)
        if not util.DRY_RUN:
            stamp.write_text(key)
    _in(mnt, "ninja", "-C", f"/{CHROOT_ASAN}", "-j", JOBS, "fuse4fs")


def fuzz_cases(mnt: Path, seed: int, first: int, cases: int) -> tuple[list[Case], dict]:
    """Run tests/server/imgfuzz.py; one Case per class of mount result.

    A crashed, hung, read-only-written or unclearly refused mount fails;
    refused and served ones pass.  Returns the cases and the fuzzer's JSON summary.
    """
    cache = config.cache_dir()
    summary = cache / "fuzz" / "summary.json"
    summary.unlink(missing_ok=True)
    rc = _in(mnt, "python3", f"/{CHROOT_SRC}/tests/server/imgfuzz.py",
             "--fuse4fs", f"/{CHROOT_ASAN}/fuse4fs", "--out", f"/{CHROOT_FUZZ}",
             "--seed", str(seed), "--first", str(first), "--cases", str(cases),
             "--summary", f"/{CHROOT_FUZZ}/summary.json", check=False)
    if not summary.exists():
        return [Case(f"server/fuzz seed {seed} ran (exit {rc})", "fail")], {}
    data = json.loads(summary.read_text())
    return summary_cases(data), data


def summary_cases(data: dict) -> list[Case]:
    """One Case per mount mode and result class of an imgfuzz summary."""
    out = []
    for mode, counts in data["counts"].items():
        for cls, n in counts.items():
            bad = cls in ("crashed", "hung", "ro-write", "unclear")
            out.append(Case(f"server/fuzz/{mode} {cls}: {n} of {data['cases']} "
                            f"(seed {data['seed']})", "fail" if bad and n else "pass"))
    return out


def fuzz(seed: int, first: int, cases: int) -> int:
    """`lab imgfuzz`: build the sanitized fuse4fs and run @cases fuzz cases."""
    ensure_libfuse()
    with util.cache_lock(config.cache_dir(), exclusive=True), chroot() as mnt:
        build_sanitized(mnt)
        cases_, _ = fuzz_cases(mnt, seed, first, cases)
    failed = [c for c in cases_ if c.status == "fail"]
    for c in failed:
        print(f"FAIL {c.name}")
    return 1 if failed else 0


def build_and_publish() -> Path:
    """`lab build --part server`: build fuse4fs (and libfuse if missing)."""
    ensure_libfuse()
    with util.cache_lock(config.cache_dir(), exclusive=True), chroot() as mnt:
        return build(mnt)


def run_all(parts: list[str]) -> list[Case]:
    cases: list[Case] = []
    ensure_libfuse()
    with util.cache_lock(config.cache_dir(), exclusive=True), chroot() as mnt:
        try:
            build(mnt)
        except LabError as e:
            progress(str(e))
            return [Case("server/build", "fail")]
        cases.append(Case("server/build", "pass"))
        if "tidy" in parts:
            cases += tidy(mnt)
        if "unit" in parts:
            cases += unit_tests(mnt)
        if "mount-test" in parts:
            cases += mount_tests(mnt)
        if "fio" in parts:
            cases += fio_tests(mnt)
        if "fuzz" in parts:
            try:
                build_sanitized(mnt)
            except LabError as e:
                progress(str(e))
                return cases + [Case("server/fuzz build (ASan, UBSan)", "fail")]
            cases.append(Case("server/fuzz build (ASan, UBSan)", "pass"))
            cases += fuzz_cases(mnt, CHECK_FUZZ_SEED, 0, CHECK_FUZZ_CASES)[0]
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build and test fuse4fs in the dev box")
    ap.add_argument("what", choices=("build", "tidy", "unit", "mount-test", "fio", "fuzz",
                                     "all"))
    args = ap.parse_args(argv)
    parts = {"build": [], "tidy": ["tidy"], "unit": ["unit"], "mount-test": ["mount-test"],
             "fio": ["fio"], "fuzz": ["fuzz"],
             "all": ["tidy", "unit", "mount-test", "fio", "fuzz"]}[args.what]
    cases = run_all(parts)
    for c in cases:
        if c.status != "pass":
            print(f"{c.status.upper()} {c.name}")
    passed = sum(c.status == "pass" for c in cases)
    failed = sum(c.status == "fail" for c in cases)
    print(f"{passed} passed, {failed} failed, {len(cases) - passed - failed} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
