#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fusermount3 of the patched libfuse: the iomap= choice, end to end.

Runs fusermount3 the way libfuse does (a socket in $_FUSE_COMMFD receives
the opened device fd) on a host without fuse_iomap.ko:
iomap=auto must mount the classic "fuse" type on /dev/fuse, iomap=required
must fail with a message naming the module, a bad value must be refused,
and `fusermount3 -u` must unmount.  Prints TAP.

usage: fusermount_iomap.py FUSERMOUNT3
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

results: list[tuple[bool, str, str]] = []


def case(ok: bool, name: str, detail: str = "") -> None:
    results.append((ok, name, detail))


def mount(fusermount: str, mnt: str, opts: str) -> tuple[int, str, int | None]:
    """Run fusermount3 -o @opts @mnt; return (status, stderr, device fd)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = dict(os.environ, _FUSE_COMMFD=str(theirs.fileno()))
    proc = subprocess.run([fusermount, "-o", opts, "--", mnt], env=env,
                          pass_fds=[theirs.fileno()], capture_output=True,
                          text=True, timeout=30, check=False)
    theirs.close()
    fd = None
    if proc.returncode == 0:
        ours.settimeout(5)
        _, fds, _, _ = socket.recv_fds(ours, 1, 1)
        fd = fds[0] if fds else None
    ours.close()
    return proc.returncode, proc.stderr.strip(), fd


def mount_type(mnt: str) -> str | None:
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[1] == mnt:
                return parts[2]
    return None


def main() -> int:
    fusermount = sys.argv[1]
    have_module = os.path.exists("/dev/fuse_iomap")
    with tempfile.TemporaryDirectory() as mnt:
        if have_module:
            results.append((True, "iomap=required without the module # SKIP loaded", ""))
        else:
            rc, err, _ = mount(fusermount, mnt, "iomap=required")
            case(rc != 0 and "modprobe fuse_iomap" in err,
                 "iomap=required without the module fails and names the module",
                 f"status {rc}: {err}")
        rc, err, _ = mount(fusermount, mnt, "iomap=maybe")
        case(rc != 0 and "iomap=" in err, "an unknown iomap= value is refused",
             f"status {rc}: {err}")

        rc, err, fd = mount(fusermount, mnt, "iomap=auto,subtype=lab")
        case(rc == 0 and fd is not None, "iomap=auto mounts", f"status {rc}: {err}")
        if rc == 0:
            kind = mount_type(mnt)
            want = "fuse_iomap.lab" if have_module else "fuse.lab"
            case(kind == want, f"iomap=auto chose the {want} type", f"type {kind}")
            if fd is not None:
                dev = os.readlink(f"/proc/self/fd/{fd}")
                want_dev = "/dev/fuse_iomap" if have_module else "/dev/fuse"
                case(dev == want_dev, f"iomap=auto opened {want_dev}", f"opened {dev}")
                os.close(fd)
            rc = subprocess.run([fusermount, "-u", "-z", mnt], capture_output=True,
                                text=True, check=False).returncode
            case(rc == 0 and mount_type(mnt) is None, "fusermount3 -u unmounts it",
                 f"status {rc}")
            if mount_type(mnt) is not None:
                subprocess.run(["umount", "-l", mnt], check=False)

    for i, (ok, name, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            print(f"# {detail}")
    print(f"1..{len(results)}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
