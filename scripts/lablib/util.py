# SPDX-License-Identifier: GPL-2.0
"""Process, progress, locking and mount helpers shared by the lab commands."""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Iterator, Sequence

DRY_RUN = False


class LabError(Exception):
    """A failure the user can act on; printed without a traceback."""


def progress(msg: str) -> None:
    """Print one progress line for a long step (stderr, never buffered)."""
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def quote(argv: Sequence[str | os.PathLike[str]]) -> str:
    return shlex.join(str(a) for a in argv)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    capture: bool = False,
    env: dict[str, str] | None = None,
    log: IO[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command given as an argument list.

    In dry-run mode the shell-quoted command is printed instead.  With
    @log, output goes to that file (for long, noisy steps such as apt);
    with @capture it is returned; otherwise it is inherited.
    """
    if DRY_RUN:
        print(quote(argv))
        return subprocess.CompletedProcess(list(map(str, argv)), 0, "", "")
    kwargs: dict = {"env": env, "cwd": cwd, "text": True}
    if capture:
        kwargs["stdout"] = subprocess.PIPE
    elif log is not None:
        log.write(f"+ {quote(argv)}\n")
        log.flush()
        kwargs["stdout"] = log
        kwargs["stderr"] = subprocess.STDOUT
    proc = subprocess.run([str(a) for a in argv], check=False, **kwargs)
    if check and proc.returncode != 0:
        where = f" (log: {log.name})" if log is not None else ""
        raise LabError(f"command failed with status {proc.returncode}: {quote(argv)}{where}")
    return proc


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Print a progress line before and after a long step, with its time."""
    progress(f"{what} ...")
    start = time.monotonic()
    yield
    progress(f"{what}: done in {time.monotonic() - start:.1f} s")


@contextlib.contextmanager
def cache_lock(cache: Path, exclusive: bool) -> Iterator[None]:
    """Serialize cache writers (image, build) against each other and readers.

    VM runs take the lock shared: they only read images and build outputs.
    """
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below @path, from /proc/self/mounts."""
    prefix = str(path.resolve())
    found = []
    with open("/proc/self/mounts") as f:
        for line in f:
            mnt = line.split()[1].replace("\\040", " ")
            if mnt == prefix or mnt.startswith(prefix + "/"):
                found.append(mnt)
    return found


def umount_all(path: Path) -> None:
    """Unmount everything at or below @path, deepest first."""
    for mnt in sorted(mounts_under(path), key=len, reverse=True):
        if subprocess.run(["umount", mnt], check=False).returncode != 0:
            subprocess.run(["umount", "-l", mnt], check=False)


@contextlib.contextmanager
def chroot_mounts(root: Path) -> Iterator[Path]:
    """Mount proc, sys, dev and dev/pts in @root for the duration of a block."""
    try:
        for fstype, src, sub, opts in (
            ("proc", "proc", "proc", None),
            ("sysfs", "sys", "sys", None),
            (None, "/dev", "dev", "bind"),
            ("devpts", "devpts", "dev/pts", "gid=5,mode=620,newinstance"),
        ):
            target = root / sub
            if not DRY_RUN:
                target.mkdir(parents=True, exist_ok=True)
            argv: list[str] = ["mount"]
            if fstype:
                argv += ["-t", fstype]
            if opts:
                argv += ["-o", opts] if opts != "bind" else ["--bind"]
            run(argv + [src, str(target)])
        yield root
    finally:
        if not DRY_RUN:
            umount_all(root / "dev")
            umount_all(root / "sys")
            umount_all(root / "proc")


@contextlib.contextmanager
def overlay(lower: Sequence[Path], upper: Path | None, mnt: Path) -> Iterator[Path]:
    """Mount an overlay of @lower (first is top) with optional @upper at @mnt.

    Builds run in an overlay so that the cached root filesystems are never
    written to by anything but `lab image`.
    """
    opts = "lowerdir=" + ":".join(str(p) for p in lower)
    if upper is not None:
        work = upper.parent / (upper.name + ".work")
        opts += f",upperdir={upper},workdir={work}"
    if not DRY_RUN:
        mnt.mkdir(parents=True, exist_ok=True)
        umount_all(mnt)
    if upper is not None and not DRY_RUN:
        upper.mkdir(parents=True, exist_ok=True)
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    run(["mount", "-t", "overlay", "overlay", "-o", opts, str(mnt)])
    try:
        yield mnt
    finally:
        if not DRY_RUN:
            umount_all(mnt)


@contextlib.contextmanager
def bind(src: Path, target: Path, readonly: bool = False) -> Iterator[None]:
    if not DRY_RUN:
        target.mkdir(parents=True, exist_ok=True)
    run(["mount", "--bind", str(src), str(target)])
    try:
        if readonly:
            run(["mount", "-o", "remount,bind,ro", str(target)])
        yield
    finally:
        if not DRY_RUN:
            umount_all(target)


def sync_tree(src: Path, dst: Path, names: Sequence[str]) -> int:
    """Copy @names (files or directories) from @src to @dst by content.

    Files whose content is unchanged keep their old timestamps, so make in
    @dst rebuilds only what really changed.  Files gone from @src are
    removed from @dst.  Returns the number of files copied.
    """
    copied = 0
    wanted: set[Path] = set()
    for name in names:
        s = src / name
        if s.is_dir():
            files = [p for p in s.rglob("*") if p.is_file()]
        elif s.is_file():
            files = [s]
        else:
            continue
        for f in files:
            rel = f.relative_to(src)
            if any(part.startswith(".") for part in rel.parts[1:]):
                continue
            wanted.add(rel)
            d = dst / rel
            if d.is_file() and filecmp.cmp(f, d, shallow=False):
                continue
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, d)
            os.utime(d)  # newer than any object built from the old copy
            copied += 1
    # Drop sources that disappeared, but never build products.
    for name in names:
        d = dst / name
        if not d.is_dir():
            continue
        for f in d.rglob("*"):
            rel = f.relative_to(dst)
            if f.is_file() and rel not in wanted and f.suffix in (".c", ".h", ".sh"):
                if f.name != "compat_autoconf.h":
                    f.unlink()
    return copied
