#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A deliberately broken FUSE server to test fuse_iomap's reply checks.

It speaks the wire protocol on /dev/fuse_iomap directly (no libfuse) and
answers each file name in the root directory with a different protocol
violation.  Every violation must fail the operation that caused it (-EIO
for a bad reply; the server's write(2) gets EINVAL or ENOENT), never hang
or crash the kernel.  The kernel log is checked by the lab afterwards: an
oops, BUG or WARN fails the run.

Run inside a lab VM as root: python3 hostile_server.py; exit status 0 when
every case behaved.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time

IN_HDR = struct.Struct("<IIQQIIIHH")        # fuse_in_header, 40 bytes
OUT_HDR = struct.Struct("<IiQ")             # fuse_out_header, 16 bytes
INIT_OUT = struct.Struct("<IIIIHHIIHHIIH22x")  # fuse_init_out, 64 bytes
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")   # fuse_attr, 88 bytes
ENTRY_HEAD = struct.Struct("<QQQQII")       # fuse_entry_out without attr
ATTR_HEAD = struct.Struct("<QII")           # fuse_attr_out without attr
OPEN_OUT = struct.Struct("<QIi")            # fuse_open_out, 16 bytes
DIRENT = struct.Struct("<QQII")             # fuse_dirent without name
WRITE_IN = struct.Struct("<QQIIQII")        # fuse_write_in, 40 bytes

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_READLINK = 1, 2, 3, 5
FUSE_BATCH_FORGET = 42
FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE = 14, 15, 16, 17, 18
FUSE_INIT, FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR = 26, 27, 28, 29
FUSE_DESTROY = 38
FUSE_READDIRPLUS = 44
FUSE_DO_READDIRPLUS = 1 << 13
FUSE_MKNOD, FUSE_FLUSH, FUSE_GETLK, FUSE_SETLK, FUSE_SETLKW = 8, 25, 31, 32, 33
FUSE_ACCESS, FUSE_CREATE, FUSE_TMPFILE = 34, 35, 51
FUSE_UNLINK = 10
FUSE_POSIX_LOCKS, FUSE_FLOCK_LOCKS = 1 << 1, 1 << 10
FUSE_LK_FLOCK, FUSE_RELEASE_FLOCK_UNLOCK = 1, 2
F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
LK_IN = struct.Struct("<QQQQIIII")          # fuse_lk_in, 48 bytes
LK_OUT = struct.Struct("<QQII")             # fuse_lk_out, 24 bytes
FLUSH_IN = struct.Struct("<QIIQ")           # fuse_flush_in, 24 bytes
RELEASE_IN = struct.Struct("<QIIQ")         # fuse_release_in, 24 bytes
OFFSET_MAX = (1 << 63) - 1
FUSE_STATX = 52
STATX_BASIC_STATS, STATX_BTIME = 0x7FF, 0x800
# fuse_statx_out: attr_valid, attr_valid_nsec, flags, spare[2], then
# fuse_statx up to the times, four fuse_sx_time, rdev/dev numbers, spare.
STATX_OUT = struct.Struct("<QII16xIIQIIIHHQQQQ" + "qIi" * 4 + "IIII112x")
S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000

# name -> (node id, mode)
NODES = {
    "file": (10, S_IFREG | 0o644),
    "badlen": (11, S_IFREG | 0o644),
    "badmode": (12, 0o644),            # no file type at all
    "bigsize": (13, S_IFREG | 0o644),
    "typechange": (14, S_IFREG | 0o644),
    "nullink": (15, S_IFLNK | 0o777),
    "baddir": (16, S_IFDIR | 0o755),
    "slow": (17, S_IFREG | 0o644),
    "posterr": (18, S_IFREG | 0o644),
    "dup": (19, S_IFREG | 0o644),
    "die": (20, S_IFREG | 0o644),
    # READDIRPLUS mount only (PlusServer)
    "plusgood": (30, S_IFDIR | 0o755),
    "plusslash": (31, S_IFDIR | 0o755),
    "plusoverrun": (32, S_IFDIR | 0o755),
    "plusbadmode": (33, S_IFDIR | 0o755),
    "plustypechange": (34, S_IFDIR | 0o755),
    "plusbigsize": (35, S_IFDIR | 0o755),
    # OpsServer mount only
    "noaccess": (70, S_IFREG | 0o644),
    "nodir": (71, S_IFDIR | 0o755),
    "accnosys": (72, S_IFREG | 0o644),
    "lockok": (80, S_IFREG | 0o644),
    "lockbusy": (81, S_IFREG | 0o644),
    "lockbad": (82, S_IFREG | 0o644),
    "lockslow": (83, S_IFREG | 0o644),
    "relhold": (88, S_IFREG | 0o644),
    "sxgood": (84, S_IFREG | 0o644),
    "sxbadtime": (85, S_IFREG | 0o644),
    "sxtype": (86, S_IFREG | 0o644),
    "sxnosys": (87, S_IFREG | 0o644),
}
NAMES = {nodeid: name for name, (nodeid, _) in NODES.items()}


def attr(nodeid: int, mode: int, size: int = 4096) -> bytes:
    return ATTR.pack(nodeid, size, 8, 0, 0, 0, 0, 0, 0, mode, 1, 0, 0, 0, 4096, 0)


def entry(nodeid: int, mode: int, size: int = 4096) -> bytes:
    return ENTRY_HEAD.pack(nodeid, 0, 0, 0, 0, 0) + attr(nodeid, mode, size)


class Server:
    """Serve one mount from a thread; records what its writes returned."""

    init_flags = 0

    def __init__(self, fd: int, out_fd: int | None = None) -> None:
        self.fd = fd
        # Replies may go out through another channel of the connection.
        self.out_fd = fd if out_fd is None else out_fd
        self.close_on_stop = True
        self.lookups: list[str] = []
        self.forgets: list[tuple[int, int]] = []  # (node id, nlookup)
        self.write_errors: list[tuple[str, int]] = []
        self.held: list[int] = []         # uniques never answered
        self.getattr_calls: dict[int, int] = {}
        self.die_now = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def send(self, what: str, unique: int, payload: bytes = b"", error: int = 0,
             length: int | None = None) -> None:
        hdr_len = OUT_HDR.size + len(payload) if length is None else length
        try:
            os.write(self.out_fd, OUT_HDR.pack(hdr_len, error, unique) + payload)
        except OSError as e:
            self.write_errors.append((what, e.errno))

    def loop(self) -> None:
        while True:
            # Poll so that die_now also works while no request comes: a
            # thread blocked in read() would keep the channel open.
            if self.die_now.is_set():
                if self.close_on_stop:
                    os.close(self.fd)
                return
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                msg = os.read(self.fd, 1 << 20)
            except OSError:
                return
            if not msg:
                return
            self.dispatch(msg)

    def dispatch(self, msg: bytes) -> None:
        """Decode one request read from the channel and handle it."""
        (_len, opcode, unique, nodeid, _uid, _gid, _pid, _ext,
         _pad) = IN_HDR.unpack_from(msg)
        self.handle(opcode, unique, nodeid, msg[IN_HDR.size:])

    def handle(self, opcode: int, unique: int, nodeid: int, body: bytes) -> None:
        if opcode == FUSE_INIT:
            self.send("init", unique, INIT_OUT.pack(7, 31, 0, self.init_flags, 0, 0,
                                                    65536, 1, 0, 0, 0, 0, 0))
        elif opcode == FUSE_LOOKUP:
            self.lookup(unique, body.split(b"\0")[0].decode())
        elif opcode == FUSE_GETATTR:
            self.getattr(unique, nodeid)
        elif opcode in (FUSE_OPEN, FUSE_OPENDIR):
            self.send("open", unique, OPEN_OUT.pack(1, 0, 0))
        elif opcode in (FUSE_RELEASE, FUSE_RELEASEDIR, FUSE_DESTROY):
            self.send("release", unique)
        elif opcode == FUSE_FORGET:
            self.forgets.append((nodeid, struct.unpack_from("<Q", body)[0]))
        elif opcode == FUSE_BATCH_FORGET:
            count = struct.unpack_from("<I", body)[0]
            for i in range(count):
                self.forgets.append(struct.unpack_from("<QQ", body, 8 + 16 * i))
        elif opcode == FUSE_READDIRPLUS:
            self.readdirplus(unique, nodeid, struct.unpack_from("<Q", body, 8)[0])
        elif opcode == FUSE_STATFS:
            self.send("statfs", unique, bytes(80))
        elif opcode == FUSE_READDIR:
            self.readdir(unique, nodeid)
        elif opcode == FUSE_READLINK:
            self.send("readlink", unique, b"target\0with-nul")
        elif opcode == FUSE_READ:
            self.send("read", unique, b"x" * 10)
        elif opcode == FUSE_WRITE:
            size = WRITE_IN.unpack_from(body)[2]
            # Claim more than was written.
            self.send("write", unique, struct.pack("<II", size * 2, 0))
        else:
            self.send("enosys", unique, error=-errno.ENOSYS)

    def lookup(self, unique: int, name: str) -> None:
        self.lookups.append(name)
        if name not in NODES:
            self.send("lookup-enoent", unique, error=-errno.ENOENT)
            return
        nodeid, mode = NODES[name]
        if name == "badlen":
            self.send("badlen", unique, entry(nodeid, mode)[:100])
        elif name == "bigsize":
            self.send("bigsize", unique, entry(nodeid, mode, size=1 << 63))
        elif name == "slow":
            self.held.append(unique)      # never answered
        elif name == "posterr":
            self.send("posterr", unique, error=5)        # positive errno
            self.send("posterr-big", unique, error=-600)  # kernel-internal errno
            self.send("posterr-payload", unique, b"junk", error=-errno.EIO)
            self.send("posterr-ok", unique, error=-errno.EIO)
        elif name == "dup":
            self.send("dup-unknown", unique + 1000, entry(nodeid, mode))
            self.send("dup-notify", 0, b"", error=1234)
            self.send("dup-first", unique, entry(nodeid, mode))
            self.send("dup-second", unique, entry(nodeid, mode))
            self.send("dup-short", unique, b"", length=8)
            self.send("dup-lies", unique, entry(nodeid, mode), length=4096)
        elif name == "die":
            self.die_now.set()            # close the channel, answer nothing
        else:
            self.send(name, unique, entry(nodeid, mode))

    def getattr(self, unique: int, nodeid: int) -> None:
        if nodeid == 1:
            payload = ATTR_HEAD.pack(0, 0, 0) + attr(1, S_IFDIR | 0o755)
            self.send("getattr-root", unique, payload)
            return
        name = NAMES.get(nodeid, "")
        mode = NODES.get(name, (0, S_IFREG | 0o644))[1]
        if name == "typechange":
            mode = S_IFDIR | 0o755        # was a regular file at LOOKUP
        self.send("getattr", unique, ATTR_HEAD.pack(0, 0, 0) + attr(nodeid, mode))

    def readdir(self, unique: int, nodeid: int) -> None:
        if nodeid != NODES["baddir"][0]:
            self.send("readdir-empty", unique)
            return
        # The bad record comes first: after a good one, getdents would
        # return what it has and come back for more, forever.
        slash = DIRENT.pack(2, 2, 3, 4) + b"a/b" + b"\0" * 5
        good = DIRENT.pack(1, 1, 1, 4) + b"a" + b"\0" * 7
        self.send("readdir-bad", unique, slash + good)


def direntplus(nodeid: int, mode: int, name: bytes, off: int, size: int = 4096,
               namelen: int | None = None) -> bytes:
    """One fuse_direntplus record, padded to 8 bytes."""
    # Entry and attributes valid for a minute: stat needs no request.
    rec = ENTRY_HEAD.pack(nodeid, 0, 60, 60, 0, 0) + attr(nodeid, mode, size) + DIRENT.pack(
        nodeid, off, len(name) if namelen is None else namelen, (mode >> 12) & 15) + name
    return rec + b"\0" * (-len(rec) % 8)


class PlusServer(Server):
    """A server that negotiated READDIRPLUS; its listings break rules."""

    init_flags = FUSE_DO_READDIRPLUS

    def readdirplus(self, unique: int, nodeid: int, offset: int) -> None:
        reg = S_IFREG | 0o644
        name = NAMES.get(nodeid, "")
        if offset:
            self.send("readdirplus-end", unique)
        elif name == "plusgood":
            # ".": no lookup counted; "zero": node id 0, listed only; two
            # names for node 50 (hard links); "file": node 10 again.
            self.send("readdirplus-good", unique,
                      direntplus(30, S_IFDIR | 0o755, b".", 1)
                      + direntplus(0, 0, b"zero", 2)
                      + direntplus(50, reg, b"one", 3)
                      + direntplus(50, reg, b"two", 4)
                      + direntplus(10, reg, b"file", 5))
        elif name == "plusslash":
            self.send("readdirplus-slash", unique, direntplus(51, reg, b"a/b", 1))
        elif name == "plusoverrun":
            self.send("readdirplus-overrun", unique,
                      direntplus(52, reg, b"abc", 1, namelen=200))
        elif name == "plusbadmode":
            # The bad entry comes first (see readdir()); the good one after
            # it must still be linked or forgotten.
            self.send("readdirplus-badmode", unique,
                      direntplus(53, 0o644, b"nomode", 1)
                      + direntplus(54, reg, b"after", 2))
        elif name == "plustypechange":
            # Node 10 is a regular file ("file"); here it claims a directory.
            self.send("readdirplus-typechange", unique,
                      direntplus(10, S_IFDIR | 0o755, b"file", 1))
        elif name == "plusbigsize":
            self.send("readdirplus-bigsize", unique,
                      direntplus(55, reg, b"huge", 1, size=1 << 63))
        else:
            self.send("readdirplus-empty", unique)


class OpsServer(Server):
    """CREATE, TMPFILE, ACCESS and locks, with malformed replies by name."""

    init_flags = FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS

    def __init__(self, fd: int) -> None:
        super().__init__(fd)
        self.created: dict[str, tuple[int, int]] = {}
        self.ops: list[tuple[int, str]] = []      # (opcode, name) of creates
        self.releases: list[tuple[int, int, int]] = []  # (fh, flags, owner)
        self.flushes: list[int] = []               # lock owners
        self.locks: list[tuple[int, int, int, int, int, int]] = []
        self.access: list[tuple[str, int]] = []
        self.tmpfiles = 0
        self.held_release: list[int] = []
        self.statx_calls: list[str] = []

    def lookup(self, unique: int, name: str) -> None:
        if name == "c_race" and name not in self.created:
            # Not there, and trust that for a minute.
            self.lookups.append(name)
            self.send("lookup-negative", unique, ENTRY_HEAD.pack(0, 0, 60, 0, 0, 0) + bytes(88))
        elif name in self.created:
            self.lookups.append(name)
            self.send("lookup-created", unique, entry(*self.created[name]))
        else:
            super().lookup(unique, name)

    def handle(self, opcode: int, unique: int, nodeid: int, body: bytes) -> None:
        reg = S_IFREG | 0o644
        if opcode in (FUSE_CREATE, FUSE_MKNOD):
            name = body[16:].split(b"\0")[0].decode()
            self.ops.append((opcode, name))
            nodeid = 100 + len(self.ops)
            if opcode == FUSE_MKNOD:
                self.created[name] = (nodeid, reg)
                self.send("mknod", unique, entry(nodeid, reg))
            elif name == "c_short":
                self.send("c_short", unique, entry(nodeid, reg))
            elif name == "c_node0":
                self.send("c_node0", unique, entry(0, reg) + OPEN_OUT.pack(5, 0, 0))
            elif name == "c_dir":
                self.send("c_dir", unique, entry(nodeid, S_IFDIR | 0o755)
                          + OPEN_OUT.pack(nodeid, 0, 0))
            elif name == "c_bigsize":
                self.send("c_bigsize", unique, entry(nodeid, reg, size=1 << 63)
                          + OPEN_OUT.pack(nodeid, 0, 0))
            elif name == "c_race":
                # Someone else made it after our LOOKUP.
                self.created[name] = (nodeid, reg)
                self.send("c_race", unique, error=-errno.EEXIST)
            elif name.startswith("c_nosys"):
                self.send("c_nosys", unique, error=-errno.ENOSYS)
            else:
                self.created[name] = (nodeid, reg)
                self.send("create", unique, entry(nodeid, reg) + OPEN_OUT.pack(nodeid, 0, 0))
        elif opcode == FUSE_TMPFILE:
            self.tmpfiles += 1
            if self.tmpfiles == 1:
                self.send("tmpfile-short", unique, entry(90, S_IFREG | 0o600))
            else:
                self.send("tmpfile-nosys", unique, error=-errno.ENOSYS)
        elif opcode == FUSE_ACCESS:
            name = NAMES.get(nodeid, "")
            self.access.append((name, struct.unpack_from("<I", body)[0]))
            if name in ("noaccess", "nodir"):
                self.send("access-denied", unique, error=-errno.EACCES)
            elif name == "accnosys":
                self.send("access-nosys", unique, error=-errno.ENOSYS)
            else:
                self.send("access-ok", unique)
        elif opcode in (FUSE_GETLK, FUSE_SETLK, FUSE_SETLKW):
            self.lock(opcode, unique, NAMES.get(nodeid, ""), body)
        elif opcode == FUSE_STATX:
            self.statx(unique, nodeid, NAMES.get(nodeid, ""))
        elif opcode == FUSE_FLUSH:
            self.flushes.append(FLUSH_IN.unpack_from(body)[3])
            self.send("flush", unique)
        elif opcode == FUSE_RELEASE:
            fh, _flags, rflags, owner = RELEASE_IN.unpack_from(body)
            self.releases.append((fh, rflags, owner))
            if NAMES.get(nodeid) == "relhold":
                self.held_release.append(unique)   # answered by the test
            else:
                self.send("release", unique)
        elif opcode == FUSE_UNLINK:
            self.send("unlink", unique)
        else:
            super().handle(opcode, unique, nodeid, body)

    def statx(self, unique: int, nodeid: int, name: str) -> None:
        self.statx_calls.append(name)
        mode, btime_nsec = S_IFREG | 0o644, 500000000
        if name == "sxnosys":
            self.send("statx-nosys", unique, error=-errno.ENOSYS)
            return
        if name == "sxbadtime":
            btime_nsec = 2000000000
        elif name == "sxtype":
            mode = S_IFDIR | 0o755
        t = (1000, 0, 0)
        self.send("statx", unique, STATX_OUT.pack(
            0, 0, 0, STATX_BASIC_STATS | STATX_BTIME, 4096, 0, 1, 0, 0, mode, 0,
            nodeid, 4096, 8, 0, *t, 1234567890, btime_nsec, 0, *t, *t, 0, 0, 0, 0))

    def lock(self, opcode: int, unique: int, name: str, body: bytes) -> None:
        _fh, owner, start, end, ltype, _pid, lk_flags, _pad = LK_IN.unpack_from(body)
        self.locks.append((opcode, owner, start, end, ltype, lk_flags))
        if opcode == FUSE_GETLK:
            if name == "lockbad":
                self.send("getlk-bad", unique, LK_OUT.pack(0, 99, 7, 4242))
            elif name == "lockbusy":
                self.send("getlk", unique, LK_OUT.pack(0, 99, F_WRLCK, 4242))
            else:
                self.send("getlk-free", unique, LK_OUT.pack(0, 0, F_UNLCK, 0))
        elif name == "lockslow" and opcode == FUSE_SETLKW:
            self.held.append(unique)
        elif name == "lockbusy":
            self.send("setlk-busy", unique, error=-errno.EAGAIN)
        else:
            self.send("setlk", unique)


def serve(mnt: str, server_cls: type) -> tuple:
    """Mount fuse_iomap on @mnt, served by a new @server_cls on its own
    channel; returns the server, the mount's path prefix, and err(op),
    which runs @op in a child and returns its errno name ("HANG" if it
    never finishes)."""
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd, mnt)
    srv = server_cls(fd)
    srv.thread.start()
    p = f"{mnt}/"

    def err(op: str) -> str:
        status, out = in_child(errno_of(p, op), timeout=20)
        return out if status is not None else "HANG"
    return srv, p, err


def unmount(chk: Checker, mnt: str, srv, tag: str) -> None:
    """Unmount what serve() mounted and wait for its server to finish."""
    chk.expect(f"{tag}: umount", subprocess.run(["umount", mnt], check=False).returncode, 0)
    srv.thread.join(5)


def create_checks(chk: Checker, mnt: str) -> None:
    """CREATE and TMPFILE: malformed replies, ENOSYS fallbacks."""
    srv, p, err = serve(mnt, OpsServer)

    def creat(name: str) -> str:
        return err(f"os.close(os.open('{p}{name}', os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))")

    chk.expect("create: reply without the open part", creat("c_short"), "EIO")
    chk.expect("create: node id 0", creat("c_node0"), "EIO")
    chk.expect("create: a directory", creat("c_dir"), "EIO")
    chk.expect("create: size beyond MAX_LFS_FILESIZE", creat("c_bigsize"), "EIO")
    chk.expect("create: good reply", creat("c_ok"), "OK")
    chk.expect("create: O_EXCL on the created name", creat("c_ok"), "EEXIST")
    chk.expect("create: name taken meanwhile", creat("c_race"), "EEXIST")
    chk.expect("create: the taken name is looked up again",
               err(f"os.close(os.open('{p}c_race', os.O_CREAT | os.O_RDWR, 0o600))"), "OK")
    chk.expect("create: ENOSYS falls back to MKNOD", creat("c_nosys"), "OK")
    chk.expect("create: then MKNOD without asking", creat("c_after"), "OK")
    chk.expect("create: requests", [(op, n) for op, n in srv.ops], [
        (FUSE_CREATE, "c_short"), (FUSE_CREATE, "c_node0"), (FUSE_CREATE, "c_dir"),
        (FUSE_CREATE, "c_bigsize"), (FUSE_CREATE, "c_ok"), (FUSE_CREATE, "c_race"),
        (FUSE_CREATE, "c_nosys"),
        (FUSE_MKNOD, "c_nosys"), (FUSE_MKNOD, "c_after")])
    time.sleep(0.3)
    forgot = dict(srv.forgets)
    released = {fh for fh, _, _ in srv.releases}
    chk.expect("create: refused files forgotten", [forgot.get(n) for n in (103, 104)], [1, 1])
    chk.expect("create: refused handles released", {103, 104} <= released, True)
    chk.expect("create: good file's handle released at close", 105 in released, True)
    chk.expect("tmpfile: short reply", err(f"os.open('{mnt}', os.O_TMPFILE | os.O_RDWR)"), "EIO")
    # Python names EOPNOTSUPP by its Linux alias ENOTSUP.
    chk.expect("tmpfile: ENOSYS", err(f"os.open('{mnt}', os.O_TMPFILE | os.O_RDWR)"), "ENOTSUP")
    chk.expect("tmpfile: ENOSYS remembered",
               (err(f"os.open('{mnt}', os.O_TMPFILE | os.O_RDWR)"), srv.tmpfiles),
               ("ENOTSUP", 2))

    unmount(chk, mnt, srv, "create")
    chk.expect("create: server write errors",
               sorted({w for w, _ in srv.write_errors}), ["c_short", "tmpfile-short"])


def access_checks(chk: Checker, mnt: str) -> None:
    """ACCESS: the server's answers to access(2) and chdir(2)."""
    srv, p, err = serve(mnt, OpsServer)

    def access(name: str, mode: str) -> str:
        return in_child(f"import os; print(os.access('{p}{name}', {mode}))", 20)[1]

    chk.expect("access: allowed", access("file", "os.R_OK | os.W_OK"), "True")
    chk.expect("access: denied", access("noaccess", "os.R_OK"), "False")
    chk.expect("access: chdir denied", err(f"os.chdir('{p}nodir')"), "EACCES")
    chk.expect("access: masks sent", srv.access, [("file", 6), ("noaccess", 4), ("nodir", 1)])
    chk.expect("access: ENOSYS allows", access("accnosys", "os.X_OK"), "True")
    chk.expect("access: ENOSYS remembered", (access("noaccess", "os.R_OK"), len(srv.access)),
               ("True", 4))

    unmount(chk, mnt, srv, "access")
    chk.expect("access: server write errors",
               sorted({w for w, _ in srv.write_errors}), [])


def release_checks(chk: Checker, mnt: str) -> None:
    """A node's FORGET never overtakes the RELEASE of its last handle."""
    srv, p, _ = serve(mnt, OpsServer)
    node = NODES["relhold"][0]
    status, out = in_child(f"import os; fd = os.open('{p}relhold', os.O_RDWR); "
                           f"os.unlink('{p}relhold'); os.close(fd); print('closed')", 20)
    chk.expect("release: close does not wait for RELEASE", out, "closed")
    time.sleep(1.0)
    chk.expect("release: RELEASE sent and held by the server", len(srv.held_release), 1)
    chk.expect("release: no FORGET before RELEASE is answered",
               [n for n, _ in srv.forgets if n == node], [])
    for unique in srv.held_release:
        srv.send("release-late", unique)
    time.sleep(0.5)
    chk.expect("release: FORGET after RELEASE is answered",
               [n for n, _ in srv.forgets if n == node], [node])
    unmount(chk, mnt, srv, "release")
    chk.expect("release: server write errors", srv.write_errors, [])


def lock_checks(chk: Checker, mnt: str) -> None:
    """GETLK, SETLK(W) and flock on the wire; SETLKW dies with SIGKILL."""
    srv, p, err = serve(mnt, OpsServer)

    getlk = ("import fcntl, os, struct\n"
             "fd = os.open('{p}{name}', os.O_RDWR)\n"
             "r = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))\n"
             "t, _, s, n, pid = struct.unpack('hhqqi', r)\n"
             "print(t, s, n, pid)\n")
    chk.expect("getlk: conflict reported",
               in_child(getlk.format(p=p, name="lockbusy"), 20)[1], f"{F_WRLCK} 0 100 4242")
    chk.expect("getlk: no conflict",
               in_child(getlk.format(p=p, name="lockok"), 20)[1], f"{F_UNLCK} 0 0 0")
    chk.expect("getlk: bad lock type", err(
        f"import fcntl, struct; fcntl.fcntl(os.open('{p}lockbad', os.O_RDWR), fcntl.F_GETLK, "
        f"struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))"), "EIO")
    chk.expect("setlk: server says busy", err(
        f"import fcntl; fcntl.lockf(os.open('{p}lockbusy', os.O_RDWR), "
        f"fcntl.LOCK_EX | fcntl.LOCK_NB)"), "EAGAIN")
    srv.locks.clear()
    srv.flushes.clear()
    chk.expect("setlk: granted, then close", err(
        f"import fcntl; fd = os.open('{p}lockok', os.O_RDWR); "
        f"fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 5); os.close(fd)"), "OK")
    time.sleep(0.2)
    setlk = [lk for lk in srv.locks if lk[0] == FUSE_SETLK]
    chk.expect("setlk: range and type on the wire",
               [(s, e, t, f) for _, _, s, e, t, f in setlk], [(5, 14, F_RDLCK, 0)])
    chk.expect("setlk: FLUSH names the lock owner",
               bool(setlk) and setlk[0][1] in srv.flushes, True)
    srv.locks.clear()
    srv.releases.clear()
    chk.expect("flock: granted, then close", err(
        f"import fcntl; fd = os.open('{p}lockok', os.O_RDWR); "
        f"fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); os.close(fd)"), "OK")
    time.sleep(0.2)
    chk.expect("flock: SETLK with FUSE_LK_FLOCK over the whole file",
               [(op, s, e, t, f) for op, _, s, e, t, f in srv.locks],
               [(FUSE_SETLK, 0, OFFSET_MAX, F_WRLCK, FUSE_LK_FLOCK)])
    rel = [r for r in srv.releases if r[1] & FUSE_RELEASE_FLOCK_UNLOCK]
    chk.expect("flock: RELEASE drops the lock of its owner",
               bool(srv.locks) and [r[2] for r in rel] == [srv.locks[0][1]], True)

    # A SETLKW the server never answers blocks nobody who gets SIGKILL.
    child = subprocess.Popen([sys.executable, "-c",
                              f"import fcntl, os; fcntl.lockf(os.open('{p}lockslow', os.O_RDWR), "
                              f"fcntl.LOCK_EX)"])
    time.sleep(1.0)
    chk.expect("setlkw: still waiting for the server", child.poll(), None)
    start = time.monotonic()
    child.kill()
    child.wait(10)
    chk.expect("setlkw: SIGKILL ends the wait within 2 s", time.monotonic() - start < 2.0, True)
    unmount(chk, mnt, srv, "locks")
    chk.expect("locks: server write errors",
               sorted({w for w, _ in srv.write_errors}), [])


def statx_checks(chk: Checker, mnt: str) -> None:
    """STATX for the birth time; bad replies; ENOSYS falls back to GETATTR."""
    srv, p, err = serve(mnt, OpsServer)

    def birth(name: str) -> str:
        status, out = in_child(
            f"import subprocess; print(subprocess.run(['stat', '-c', '%W', '{p}{name}'], "
            f"capture_output=True, text=True).stdout.strip() or 'EIO')", 20)
        return out if status is not None else "HANG"

    chk.expect("statx: birth time", birth("sxgood"), "1234567890")
    chk.expect("statx: plain stat sends no STATX",
               (err(f"os.stat('{p}sxgood')"), srv.statx_calls), ("OK", ["sxgood"]))
    chk.expect("statx: birth time nanoseconds out of range", birth("sxbadtime"), "EIO")
    chk.expect("statx: file type change", birth("sxtype"), "EIO")
    chk.expect("statx: ENOSYS falls back to GETATTR", birth("sxnosys") != "EIO", True)
    chk.expect("statx: ENOSYS remembered",
               (birth("sxgood") != "1234567890", srv.statx_calls[-1]), (True, "sxnosys"))
    unmount(chk, mnt, srv, "statx")
    chk.expect("statx: server write errors", srv.write_errors, [])


def plus_checks(chk: Checker, mnt: str) -> None:
    """READDIRPLUS: entries made from listings, malformed listings refused."""
    srv, p, err = serve(mnt, PlusServer)

    chk.expect("plus: stat a file first", err(f"os.stat('{p}file')"), "OK")
    status, out = in_child(f"import os; print(sorted(os.listdir('{p}plusgood')))", 20)
    chk.expect("plus: good listing", out, "['file', 'one', 'two', 'zero']")
    before = len(srv.lookups)
    status, out = in_child(
        f"import os; a = os.stat('{p}plusgood/one'); b = os.stat('{p}plusgood/two'); "
        f"print(a.st_ino == b.st_ino == 50)", 20)
    chk.expect("plus: hard links share the inode made by the listing", out, "True")
    chk.expect("plus: listed names need no LOOKUP",
               [n for n in srv.lookups[before:] if n in ("one", "two")], [])
    chk.expect("plus: name with '/'", err(f"os.listdir('{p}plusslash')"), "EIO")
    chk.expect("plus: name past the reply", err(f"os.listdir('{p}plusoverrun')"), "EIO")
    chk.expect("plus: attributes without a file type",
               err(f"os.listdir('{p}plusbadmode')"), "EIO")
    chk.expect("plus: size beyond MAX_LFS_FILESIZE", err(f"os.listdir('{p}plusbigsize')"), "EIO")
    chk.expect("plus: file type change of a live node",
               err(f"os.listdir('{p}plustypechange')"), "EIO")
    time.sleep(0.5)
    forgot = dict(srv.forgets)
    chk.expect("plus: FORGET for the entry without a file type", forgot.get(53), 1)
    chk.expect("plus: FORGET for the entry after a bad one", forgot.get(54), 1)
    chk.expect("plus: FORGET for the oversized entry", forgot.get(55), 1)
    chk.expect("plus: no FORGET for node 0 or kept entries",
               [n for n in forgot if n in (0, 30, 50)], [])
    # Eviction returns the two lookups of node 50 (two names) at once.
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    time.sleep(0.5)
    chk.expect("plus: kept lookups returned at eviction", dict(srv.forgets).get(50), 2)
    unmount(chk, mnt, srv, "plus")
    chk.expect("plus: server write errors", srv.write_errors, [])


def mount(fd: int, mnt: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0".encode()
    if libc.mount(b"hostile", mnt.encode(), b"fuse_iomap", 0, opts) != 0:
        raise OSError(ctypes.get_errno(), "mount")


def in_child(code: str, timeout: float) -> tuple[int | None, str]:
    """Run @code in a child Python; (exit status or None on timeout, output)."""
    try:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=timeout)
        return p.returncode, (p.stdout + p.stderr).strip()
    except subprocess.TimeoutExpired:
        return None, "timed out"


def errno_of(path: str, op: str) -> str:
    """Python code printing the errno name @op on @path fails with."""
    return (f"import errno, os\ntry:\n    {op}\n    print('OK')\n"
            f"except OSError as e:\n    print(errno.errorcode[e.errno])\n")


class Checker:
    def __init__(self) -> None:
        self.failed = 0

    def expect(self, what: str, got: object, want: object) -> None:
        ok = got == want
        print(f"{'ok' if ok else 'FAIL'}: {what}: got {got!r}, want {want!r}", flush=True)
        self.failed += not ok


def main() -> int:
    chk = Checker()
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd, mnt)
    srv = Server(fd)
    srv.thread.start()

    def err(path: str, op: str) -> str:
        status, out = in_child(errno_of(path, op), timeout=20)
        return out if status is not None else "HANG"

    p = f"{mnt}/"
    chk.expect("good file stats", err(p, f"os.stat('{p}file')"), "OK")
    chk.expect("entry reply too short", err(p, f"os.stat('{p}badlen')"), "EIO")
    chk.expect("attributes without a file type", err(p, f"os.stat('{p}badmode')"), "EIO")
    chk.expect("size beyond MAX_LFS_FILESIZE", err(p, f"os.stat('{p}bigsize')"), "EIO")
    chk.expect("type change on GETATTR", err(p, f"os.lstat('{p}typechange')"), "EIO")
    chk.expect("inode stays bad", err(p, f"os.open('{p}typechange', os.O_RDONLY)"), "EIO")
    chk.expect("READLINK with a NUL byte", err(p, f"os.readlink('{p}nullink')"), "EIO")
    chk.expect("READDIR name with '/'", err(p, f"os.listdir('{p}baddir')"), "EIO")
    chk.expect("WRITE reply claims more than sent",
               err(p, f"fd = os.open('{p}file', os.O_WRONLY); os.write(fd, b'abcd')"), "EIO")
    chk.expect("READ short reply is end of file",
               err(p, f"fd = os.open('{p}file', os.O_RDONLY); "
                      f"assert os.read(fd, 100) == b'x' * 10"), "OK")
    chk.expect("error replies with bad errnos, then -EIO",
               err(p, f"os.stat('{p}posterr')"), "EIO")
    chk.expect("duplicate, unknown and lying replies", err(p, f"os.stat('{p}dup')"), "OK")
    time.sleep(0.2)
    werr = {what: errno.errorcode.get(e, e) for what, e in srv.write_errors}
    chk.expect("server write: positive errno", werr.get("posterr"), "EINVAL")
    chk.expect("server write: errno below -511", werr.get("posterr-big"), "EINVAL")
    chk.expect("server write: error with payload", werr.get("posterr-payload"), "EINVAL")
    chk.expect("server write: reply to unknown id", werr.get("dup-unknown"), "ENOENT")
    chk.expect("server write: unknown notification", werr.get("dup-notify"), "ENOSYS")
    chk.expect("server write: second reply", werr.get("dup-second"), "ENOENT")
    chk.expect("server write: header shorter than itself", werr.get("dup-short"), "EINVAL")
    chk.expect("server write: len beyond the write", werr.get("dup-lies"), "EINVAL")
    chk.expect("server write: reply of the wrong length", werr.get("badlen"), "EINVAL")
    chk.expect("server write: good replies all accepted",
               sorted(w for w in werr if not w.startswith(("posterr", "dup", "badlen"))),
               [])

    # A request the server never answers blocks nobody who gets SIGKILL.
    child = subprocess.Popen([sys.executable, "-c", f"import os; os.stat('{p}slow')"])
    time.sleep(1.0)
    chk.expect("waiter on an unanswered request still waiting", child.poll(), None)
    start = time.monotonic()
    child.kill()
    child.wait(10)
    chk.expect("SIGKILL ends the wait within 2 s", time.monotonic() - start < 2.0, True)

    # The server dies mid-request: the waiter gets an error, not a hang.
    chk.expect("server death fails the request", err(p, f"os.stat('{p}die')"),
               "ECONNABORTED")
    srv.thread.join(5)
    chk.expect("after death: new requests", err(p, f"os.stat('{p}file2')"), "ENOTCONN")
    chk.expect("umount after server death",
               subprocess.run(["umount", mnt], check=False).returncode, 0)

    # umount -l with a live but stuck server, then the server goes away.
    fd2 = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd2, mnt)
    srv2 = Server(fd2)
    srv2.thread.start()
    child = subprocess.Popen([sys.executable, "-c", f"import os; os.stat('{p}slow')"])
    time.sleep(1.0)
    chk.expect("umount -l with a stuck request",
               subprocess.run(["umount", "-l", mnt], check=False).returncode, 0)
    srv2.die_now.set()  # the server closes its channel: the last reference
    child.wait(10)
    chk.expect("stuck waiter released when the server goes", child.returncode != 0, True)
    srv2.thread.join(5)

    # The debugfs control files: a count of waiting requests, and an abort
    # that frees a stuck waiter without killing the server.
    fd3 = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd3, mnt)
    srv3 = Server(fd3)
    srv3.thread.start()
    dev = os.stat(mnt).st_dev
    ctl = f"/sys/kernel/debug/fuse_iomap/{os.major(dev)}:{os.minor(dev)}"
    child = subprocess.Popen([sys.executable, "-c", f"import os; os.stat('{p}slow')"],
                             stderr=subprocess.PIPE, text=True)
    waiting = 0
    for _ in range(100):      # the child needs a moment to start and look up
        with open(f"{ctl}/waiting") as f:
            waiting = int(f.read())
        if waiting:
            break
        time.sleep(0.1)
    chk.expect("debugfs counts the stuck request", waiting >= 1, True)
    with open(f"{ctl}/abort", "w") as f:
        f.write("1")
    child.wait(10)
    chk.expect("abort frees the stuck waiter", "ConnectionAbortedError" in (child.stderr.read()
               if child.stderr else ""), True)
    chk.expect("umount after abort",
               subprocess.run(["umount", mnt], check=False).returncode, 0)
    chk.expect("control directory removed at umount", os.path.exists(ctl), False)
    srv3.die_now.set()
    srv3.thread.join(5)

    plus_checks(chk, mnt)
    create_checks(chk, mnt)
    access_checks(chk, mnt)
    release_checks(chk, mnt)
    lock_checks(chk, mnt)
    statx_checks(chk, mnt)
    print(f"hostile: {chk.failed} failed", flush=True)
    return 1 if chk.failed else 0


if __name__ == "__main__":
    sys.exit(main())
