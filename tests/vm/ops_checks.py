#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks for tests/vm/ops.sh that need system calls the shell lacks.

usage: ops_checks.py CHECK DIR

  excl     O_CREAT|O_EXCL creates DIR/excl once, mode 0640, data "created"
  tmpfile  O_TMPFILE in DIR, named DIR/named by linkat; O_EXCL ones never
  fcntl    record locks on DIR/lockme conflict between two processes
  access   access(2) and chdir(2) in DIR/acc (plain file 0644) and
           DIR/noexec (directory 0644), as root, against passthrough_fh

Exits 0 when the check holds, with a message otherwise.
"""

from __future__ import annotations

import fcntl
import os
import struct
import sys
import time


def check_excl(d: str) -> None:
    p = d + "/excl"
    fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o640)
    os.write(fd, b"created")
    os.close(fd)
    try:
        os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        sys.exit("second O_EXCL create succeeded")
    except FileExistsError:
        pass
    fd = os.open(p, os.O_CREAT | os.O_RDONLY, 0o600)   # exists: just opens
    data = os.read(fd, 100)
    os.close(fd)
    if data != b"created":
        sys.exit(f"read back {data!r}")


def link_fd(fd: int, dst: str) -> None:
    """linkat(2) the file open as @fd to @dst, by its /proc/self/fd link.

    os.link() calls link(2), which never follows the magic link, unless a
    directory fd is given: pass one to get linkat(AT_SYMLINK_FOLLOW).
    """
    cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(f"/proc/self/fd/{fd}", dst, src_dir_fd=cwd, follow_symlinks=True)
    finally:
        os.close(cwd)


def check_tmpfile(d: str) -> None:
    fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o600)
    os.write(fd, b"anonymous")
    if os.fstat(fd).st_nlink != 0:
        sys.exit(f"tmpfile has {os.fstat(fd).st_nlink} links")
    link_fd(fd, d + "/named")
    os.close(fd)
    # O_EXCL: never linkable.
    fd = os.open(d, os.O_TMPFILE | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        link_fd(fd, d + "/never")
        sys.exit("O_TMPFILE|O_EXCL file was linked")
    except FileNotFoundError:
        pass
    os.close(fd)


def check_fcntl(d: str) -> None:
    p = d + "/lockme"
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        fd = os.open(p, os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
        os.write(w, b"x")
        time.sleep(3)
        os._exit(0)
    os.read(r, 1)
    fd = os.open(p, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)
        sys.exit("conflicting lock granted")
    except BlockingIOError:
        pass
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 10)   # no overlap
    got = fcntl.fcntl(fd, fcntl.F_GETLK,
                      struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 5, 0))
    ltype, _, start, length, pid = struct.unpack("hhqqi", got)
    if (ltype, start, length, pid) != (fcntl.F_WRLCK, 0, 10, child):
        sys.exit(f"F_GETLK: {(ltype, start, length, pid)}")
    t0 = time.monotonic()
    fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)                     # waits for the child
    if time.monotonic() - t0 < 1:
        sys.exit("blocking lock did not wait for the holder")
    os.waitpid(child, 0)


def check_access(d: str) -> None:
    plain = d + "/acc/plain"
    if not os.access(plain, os.R_OK | os.W_OK) or not os.access(plain, os.F_OK):
        sys.exit("access(R_OK|W_OK) refused")
    # Even root may not execute a file without any x bit: the server says so.
    if os.access(plain, os.X_OK):
        sys.exit("access(X_OK) allowed on a 0644 file")
    if not os.access(d + "/acc", os.X_OK):
        sys.exit("access(X_OK) refused on a 0755 directory")
    # Root may search any directory, so chdir(2) is allowed even here;
    # hostile_server.py checks a refusal.
    os.chdir(d + "/noexec")
    os.chdir(d + "/acc")


CHECKS = {"excl": check_excl, "tmpfile": check_tmpfile, "fcntl": check_fcntl,
          "access": check_access}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in CHECKS:
        sys.exit(__doc__)
    CHECKS[sys.argv[1]](sys.argv[2])
