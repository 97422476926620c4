#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw-protocol tests of fuse_iomap's connection layer.

Speaks the wire protocol on /dev/fuse_iomap directly (the message layouts
and the mount helper come from hostile_server.py) and checks:

* FUSE_INTERRUPT: a read blocked in the server whose task gets SIGUSR1
  brings an INTERRUPT with the read's id | FUSE_INT_REQ_BIT; the server's
  EINTR ends the read with EINTR; EAGAIN to the interrupt brings it
  again; a server that ignores interrupts still loses the task to
  SIGKILL and its late reply is taken and dropped; ENOSYS turns
  interrupts off for the connection.
* FORGET and BATCH_FORGET: every lookup the server answered is forgotten
  exactly once by unmount, batched for servers of minor 16 and later,
  one by one for older ones.
* Notifications: INVAL_ENTRY (dropping and FUSE_EXPIRE_ONLY), INVAL_INODE
  and DELETE make the kernel ask again; malformed ones fail the server's
  write() with EINVAL or ENAMETOOLONG, unknown nodes with ENOENT, STORE,
  RETRIEVE and POLL with ENOSYS.
* Mount options: refusals reach mount(2) as EINVAL, valid ones show in
  /proc/mounts (options.c's rules are covered by KUnit fim_options).
* FUSE_DEV_IOC_CLONE: a cloned channel reads requests and answers
  requests read from the other; the connection survives the original
  channel's close and ends with the last one.

Run inside a lab VM as root: python3 conn_server.py; exit status 0 when
every check passed.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile_server import (ATTR_HEAD, ENTRY_HEAD, IN_HDR, INIT_OUT,  # noqa: E402
                            OUT_HDR, Checker, Server, attr, entry, mount)

FUSE_FORGET, FUSE_READ, FUSE_INIT, FUSE_LOOKUP, FUSE_GETATTR = 2, 15, 26, 1, 3
NOTIFY_POLL, NOTIFY_INVAL_INODE, NOTIFY_INVAL_ENTRY = 1, 2, 3
NOTIFY_STORE, NOTIFY_RETRIEVE, NOTIFY_DELETE = 4, 5, 6
FUSE_EXPIRE_ONLY = 1
FUSE_INTERRUPT, FUSE_BATCH_FORGET = 36, 42
FUSE_INT_REQ_BIT = 1
FUSE_DEV_IOC_CLONE = 0x8004E500
S_IFREG = 0o100000

# name -> node id of the files whose READ the server holds
HELD = {"intr": 30, "again": 31, "ignore": 32, "nosys": 33, "nosys2": 34}


class ConnServer(Server):
    """Answers every name with a regular file and records the traffic."""

    def __init__(self, fd: int, minor: int = 31, out_fd: int | None = None) -> None:
        super().__init__(fd, out_fd)
        self.minor = minor
        self.lock = threading.Lock()
        self.lookups: dict[int, int] = {}
        self.forgotten: dict[int, int] = {}
        self.opcodes: dict[int, int] = {}
        self.held_reads: dict[int, int] = {}      # node id -> read unique
        self.interrupts: list[tuple[int, int, int]] = []  # (hdr unique, arg, len)
        self.intr_seen = threading.Condition(self.lock)
        self.bad: list[str] = []
        self.deleted: set[str] = set()

    def dispatch(self, msg: bytes) -> None:
        hdr = IN_HDR.unpack_from(msg)
        length, opcode = hdr[0], hdr[1]
        if length != len(msg):
            self.bad.append(f"opcode {opcode}: len {length} != read {len(msg)}")
        with self.lock:
            self.opcodes[opcode] = self.opcodes.get(opcode, 0) + 1
        super().dispatch(msg)

    def forget(self, nodeid: int, nlookup: int) -> None:
        with self.lock:
            self.forgotten[nodeid] = self.forgotten.get(nodeid, 0) + nlookup

    def handle(self, opcode: int, unique: int, nodeid: int, body: bytes) -> None:
        if opcode == FUSE_INIT:
            self.send("init", unique, INIT_OUT.pack(7, self.minor, 0, 0, 0, 0, 65536,
                                                    1, 0, 0, 0, 0, 0))
        elif opcode == FUSE_LOOKUP:
            name = body.split(b"\0")[0].decode()
            nid = HELD.get(name) or 1000 + (int(name[1:]) if name[1:].isdigit() else 999)
            if name in self.deleted:
                self.send("lookup-deleted", unique, error=-errno.ENOENT)
                return
            with self.lock:
                self.lookups[nid] = self.lookups.get(nid, 0) + 1
            if name.startswith("n"):
                # Cached for an hour: only a notification makes the kernel ask.
                self.send("lookup-cached", unique, ENTRY_HEAD.pack(nid, 0, 3600, 3600, 0, 0)
                          + attr(nid, S_IFREG | 0o644))
            else:
                self.send("lookup", unique, entry(nid, S_IFREG | 0o644))
        elif opcode == FUSE_GETATTR and nodeid != 1:
            self.send("getattr", unique, ATTR_HEAD.pack(3600, 0, 0)
                      + attr(nodeid, S_IFREG | 0o644))
        elif opcode == FUSE_FORGET:
            self.forget(nodeid, struct.unpack_from("<Q", body)[0])
        elif opcode == FUSE_BATCH_FORGET:
            count = struct.unpack_from("<I", body)[0]
            if len(body) != 8 + 16 * count:
                self.bad.append(f"BATCH_FORGET of {count} in {len(body)} bytes")
            for i in range(count):
                self.forget(*struct.unpack_from("<QQ", body, 8 + 16 * i))
        elif opcode == FUSE_READ and nodeid in HELD.values():
            with self.lock:
                self.held_reads[nodeid] = unique
                self.intr_seen.notify_all()
        elif opcode == FUSE_INTERRUPT:
            self.interrupt(unique, struct.unpack_from("<Q", body)[0], IN_HDR.size + len(body))
        else:
            super().handle(opcode, unique, nodeid, body)

    def interrupt(self, unique: int, target: int, length: int) -> None:
        with self.lock:
            self.interrupts.append((unique, target, length))
            self.intr_seen.notify_all()
            node = next((n for n, u in self.held_reads.items() if u == target), None)
            count = sum(1 for _, t, _ in self.interrupts if t == target)
        if node == HELD["intr"]:
            self.send("read-eintr", target, error=-errno.EINTR)
        elif node == HELD["again"]:
            if count == 1:
                self.send("intr-eagain", unique, error=-errno.EAGAIN)
            else:
                self.send("read-eintr-again", target, error=-errno.EINTR)
        elif node == HELD["nosys"]:
            self.send("intr-enosys", unique, error=-errno.ENOSYS)
            self.send("read-after-enosys", target, b"y" * 7)

    def wait_for(self, what, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        with self.lock:
            while not what():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.intr_seen.wait(left)
        return True


READER = """
import ctypes, errno, os, signal, sys
signal.signal(signal.SIGUSR1, lambda *a: None)
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
buf = ctypes.create_string_buffer(100)
n = libc.read(fd, buf, 100)
print(errno.errorcode[ctypes.get_errno()] if n < 0 else buf.raw[:n].decode(), flush=True)
"""


def reader(path: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READER, path],
                            stdout=subprocess.PIPE, text=True)


def interrupt_tests(chk: Checker, srv: ConnServer, mnt: str) -> None:
    def held(name: str) -> bool:
        return HELD[name] in srv.held_reads

    def intrs_for(name: str) -> list[tuple[int, int, int]]:
        target = srv.held_reads.get(HELD[name])
        return [i for i in srv.interrupts if i[1] == target]

    # The server answers the interrupt of a blocked read with EINTR.
    child = reader(f"{mnt}/intr")
    chk.expect("read reaches the server", srv.wait_for(lambda: held("intr")), True)
    child.send_signal(signal.SIGUSR1)
    chk.expect("INTERRUPT arrives", srv.wait_for(lambda: intrs_for("intr")), True)
    out, _ = child.communicate(timeout=10)
    chk.expect("interrupted read fails with EINTR", out.strip(), "EINTR")
    target = srv.held_reads[HELD["intr"]]
    chk.expect("INTERRUPT header and argument", intrs_for("intr"),
               [(target | FUSE_INT_REQ_BIT, target, 48)])
    chk.expect("request ids are even", target % 2, 0)

    # EAGAIN to the interrupt brings it again.
    child = reader(f"{mnt}/again")
    chk.expect("second read reaches the server", srv.wait_for(lambda: held("again")), True)
    child.send_signal(signal.SIGUSR1)
    out, _ = child.communicate(timeout=10)
    chk.expect("EAGAIN: read still ends with EINTR", out.strip(), "EINTR")
    chk.expect("EAGAIN: INTERRUPT sent twice", len(intrs_for("again")), 2)

    # A server that ignores interrupts: the task waits on, SIGKILL ends it.
    child = reader(f"{mnt}/ignore")
    chk.expect("third read reaches the server", srv.wait_for(lambda: held("ignore")), True)
    child.send_signal(signal.SIGUSR1)
    chk.expect("ignored INTERRUPT arrives", srv.wait_for(lambda: intrs_for("ignore")), True)
    time.sleep(1.0)
    chk.expect("signalled reader still waits", child.poll(), None)
    start = time.monotonic()
    child.kill()
    child.wait(10)
    chk.expect("SIGKILL ends the ignored read within 2 s", time.monotonic() - start < 2.0,
               True)
    # The late reply is taken (the request is still the server's) and dropped.
    before = len(srv.write_errors)
    srv.send("late-reply", srv.held_reads[HELD["ignore"]], b"z" * 5)
    chk.expect("late reply accepted", srv.write_errors[before:], [])
    srv.send("late-twice", srv.held_reads[HELD["ignore"]], b"z" * 5)
    chk.expect("second late reply refused", srv.write_errors[before:],
               [("late-twice", errno.ENOENT)])
    srv.send("intr-reply-payload", 2 | FUSE_INT_REQ_BIT, b"junk")
    chk.expect("interrupt reply with payload refused", srv.write_errors[before + 1:],
               [("intr-reply-payload", errno.EINVAL)])
    del srv.write_errors[before:]

    # ENOSYS: this read completes, and no interrupt is sent after it.
    child = reader(f"{mnt}/nosys")
    chk.expect("fourth read reaches the server", srv.wait_for(lambda: held("nosys")), True)
    child.send_signal(signal.SIGUSR1)
    out, _ = child.communicate(timeout=10)
    chk.expect("read answered after ENOSYS", out.strip(), "y" * 7)
    child = reader(f"{mnt}/nosys2")
    chk.expect("fifth read reaches the server", srv.wait_for(lambda: held("nosys2")), True)
    child.send_signal(signal.SIGUSR1)
    time.sleep(1.0)
    chk.expect("no INTERRUPT after ENOSYS", intrs_for("nosys2"), [])
    chk.expect("reader still waits without interrupts", child.poll(), None)
    start = time.monotonic()
    child.kill()
    child.wait(10)
    chk.expect("SIGKILL still ends it within 2 s", time.monotonic() - start < 2.0, True)
    srv.send("late-reply-2", srv.held_reads[HELD["nosys2"]], b"z")


def notify(fd: int, code: int, payload: bytes) -> str:
    """Write a notification; the errno name it failed with, or OK."""
    try:
        os.write(fd, OUT_HDR.pack(OUT_HDR.size + len(payload), code, 0) + payload)
        return "OK"
    except OSError as e:
        return errno.errorcode[e.errno]


def inval_entry(parent: int, name: bytes, flags: int = 0, namelen: int | None = None,
                nul: bool = True) -> bytes:
    n = len(name) if namelen is None else namelen
    return struct.pack("<QII", parent, n, flags) + name + (b"\0" if nul else b"")


def delete(parent: int, child: int, name: bytes) -> bytes:
    return struct.pack("<QQII", parent, child, len(name), 0) + name + b"\0"


def notify_test(chk: Checker) -> None:
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd, mnt)
    srv = ConnServer(fd)
    srv.thread.start()

    def lookups(name: str) -> int:
        with srv.lock:
            return srv.lookups.get(1000 + int(name[1:]), 0)

    def getattrs() -> int:
        with srv.lock:
            return srv.opcodes.get(FUSE_GETATTR, 0)

    def stat(name: str) -> str:
        try:
            os.stat(f"{mnt}/{name}")
            return "OK"
        except OSError as e:
            return errno.errorcode[e.errno]

    for n in ("n1", "n2", "n3", "n4"):
        stat(n)
        stat(n)
    chk.expect("cached entries looked up once", [lookups(n) for n in ("n1", "n2", "n3", "n4")],
               [1, 1, 1, 1])
    chk.expect("INVAL_ENTRY accepted", notify(fd, NOTIFY_INVAL_ENTRY, inval_entry(1, b"n1")), "OK")
    stat("n1")
    chk.expect("INVAL_ENTRY: looked up again", lookups("n1"), 2)
    chk.expect("INVAL_ENTRY with FUSE_EXPIRE_ONLY accepted",
               notify(fd, NOTIFY_INVAL_ENTRY, inval_entry(1, b"n2", FUSE_EXPIRE_ONLY)), "OK")
    stat("n2")
    chk.expect("EXPIRE_ONLY: looked up again", lookups("n2"), 2)
    chk.expect("INVAL_ENTRY of an uncached name", notify(fd, NOTIFY_INVAL_ENTRY,
                                                         inval_entry(1, b"n99")), "OK")
    before = getattrs()
    stat("n4")
    chk.expect("cached attributes: no GETATTR", getattrs(), before)
    chk.expect("INVAL_INODE accepted",
               notify(fd, NOTIFY_INVAL_INODE, struct.pack("<Qqq", 1004, -1, 0)), "OK")
    stat("n4")
    chk.expect("INVAL_INODE: attributes fetched again", getattrs(), before + 1)
    chk.expect("INVAL_INODE of a data range",
               notify(fd, NOTIFY_INVAL_INODE, struct.pack("<Qqq", 1004, 4096, 1 << 62)), "OK")
    chk.expect("INVAL_INODE of an unknown node",
               notify(fd, NOTIFY_INVAL_INODE, struct.pack("<Qqq", 99999, 0, 0)), "ENOENT")
    chk.expect("DELETE naming another node",
               notify(fd, NOTIFY_DELETE, delete(1, 1004, b"n3")), "ENOENT")
    srv.deleted.add("n3")
    chk.expect("DELETE accepted", notify(fd, NOTIFY_DELETE, delete(1, 1003, b"n3")), "OK")
    chk.expect("DELETE: the name is gone", stat("n3"), "ENOENT")
    chk.expect("INVAL_ENTRY under a non-directory",
               notify(fd, NOTIFY_INVAL_ENTRY, inval_entry(1004, b"x")), "ENOTDIR")

    bad = [
        ("INVAL_INODE too short", NOTIFY_INVAL_INODE, struct.pack("<Qq", 1004, 0), "EINVAL"),
        ("INVAL_INODE too long", NOTIFY_INVAL_INODE, bytes(32), "EINVAL"),
        ("INVAL_INODE node id 0", NOTIFY_INVAL_INODE, struct.pack("<Qqq", 0, 0, 0), "EINVAL"),
        ("INVAL_ENTRY parent 0", NOTIFY_INVAL_ENTRY, inval_entry(0, b"n1"), "EINVAL"),
        ("INVAL_ENTRY name longer than said", NOTIFY_INVAL_ENTRY,
         inval_entry(1, b"n1", namelen=1), "EINVAL"),
        ("INVAL_ENTRY name shorter than said", NOTIFY_INVAL_ENTRY,
         inval_entry(1, b"n1", namelen=5), "EINVAL"),
        ("INVAL_ENTRY without the NUL", NOTIFY_INVAL_ENTRY,
         inval_entry(1, b"n1", nul=False), "EINVAL"),
        ("INVAL_ENTRY empty name", NOTIFY_INVAL_ENTRY, inval_entry(1, b""), "EINVAL"),
        ("INVAL_ENTRY name with '/'", NOTIFY_INVAL_ENTRY, inval_entry(1, b"a/b"), "EINVAL"),
        ("INVAL_ENTRY name with NUL", NOTIFY_INVAL_ENTRY, inval_entry(1, b"a\0b"), "EINVAL"),
        ("INVAL_ENTRY name '..'", NOTIFY_INVAL_ENTRY, inval_entry(1, b".."), "EINVAL"),
        ("INVAL_ENTRY name of 1025 bytes", NOTIFY_INVAL_ENTRY, inval_entry(1, b"x" * 1025),
         "ENAMETOOLONG"),
        ("INVAL_ENTRY unknown flags", NOTIFY_INVAL_ENTRY, inval_entry(1, b"n1", 2), "EINVAL"),
        ("INVAL_ENTRY header only", NOTIFY_INVAL_ENTRY, struct.pack("<QI", 1, 2), "EINVAL"),
        ("DELETE child 0", NOTIFY_DELETE, delete(1, 0, b"n1"), "EINVAL"),
        ("DELETE padding", NOTIFY_DELETE, struct.pack("<QQII", 1, 1001, 2, 7) + b"n1\0",
         "EINVAL"),
        ("STORE", NOTIFY_STORE, struct.pack("<QQII", 1004, 0, 4, 0) + b"data", "ENOSYS"),
        ("RETRIEVE", NOTIFY_RETRIEVE, struct.pack("<QQQII", 1, 1004, 0, 4, 0), "ENOSYS"),
        ("POLL", NOTIFY_POLL, struct.pack("<Q", 1), "ENOSYS"),
        ("unknown code", 77, b"", "ENOSYS"),
    ]
    for what, code, payload, want in bad:
        chk.expect(f"notification: {what}", notify(fd, code, payload), want)
    chk.expect("still serving after bad notifications", stat("n5"), "OK")
    chk.expect("notify mount: server writes", srv.write_errors, [])
    chk.expect("umount", subprocess.run(["umount", mnt], check=False).returncode, 0)
    chk.expect("notification after umount",
               notify(fd, NOTIFY_INVAL_INODE, struct.pack("<Qqq", 1004, -1, 0)), "ENODEV")
    srv.thread.join(10)
    os.close(fd)
    os.rmdir(mnt)


def drop_and_balance(srv: ConnServer) -> bool:
    """Evict every unused inode; wait until the server heard all forgets.

    Unmount forgets nothing (DESTROY tells the server all is gone), so the
    dentry and inode caches are dropped while mounted.
    """
    for _ in range(100):
        # Again each time: files closed by killed tasks may still be
        # releasing and pin their inodes for a moment.
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("2")
        with srv.lock:
            if srv.forgotten == srv.lookups:
                return True
        time.sleep(0.1)
    return False


def forget_test(chk: Checker, minor: int, nfiles: int) -> None:
    """Look files up twice each, drop the caches, compare with forgets."""
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd, mnt)
    srv = ConnServer(fd, minor=minor)
    srv.thread.start()
    for _ in range(2):       # entry timeout 0: the second stat looks up again
        for i in range(nfiles):
            os.stat(f"{mnt}/f{i}")
    drop_and_balance(srv)
    chk.expect(f"minor {minor}: umount",
               subprocess.run(["umount", mnt], check=False).returncode, 0)
    srv.thread.join(10)
    os.close(fd)
    chk.expect(f"minor {minor}: every looked-up node looked up twice",
               sorted(set(srv.lookups.values())), [2])
    chk.expect(f"minor {minor}: lookups and forgets balance", srv.forgotten, srv.lookups)
    batches = srv.opcodes.get(FUSE_BATCH_FORGET, 0)
    singles = srv.opcodes.get(FUSE_FORGET, 0)
    if minor >= 16:
        chk.expect(f"minor {minor}: BATCH_FORGET used, FORGET not",
                   (batches > 0 and batches < nfiles, singles), (True, 0))
    else:
        chk.expect(f"minor {minor}: one FORGET per node, no BATCH_FORGET",
                   (singles, batches), (nfiles, 0))
    chk.expect(f"minor {minor}: well-formed messages", srv.bad, [])
    os.rmdir(mnt)


def clone_test(chk: Checker) -> None:
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    spare = os.open("/dev/fuse_iomap", os.O_RDWR)

    def clone(newfd: int, oldfd: int) -> str:
        try:
            fcntl.ioctl(newfd, FUSE_DEV_IOC_CLONE, struct.pack("<I", oldfd))
            return "OK"
        except OSError as e:
            return errno.errorcode[e.errno]

    def stat(name: str) -> str:
        try:
            os.stat(f"{mnt}/{name}")
            return "OK"
        except OSError as e:
            return errno.errorcode[e.errno]

    def serve(read_fd: int, write_fd: int, close: bool, names: list[str]) -> list[str]:
        srv = ConnServer(read_fd, out_fd=write_fd)
        srv.close_on_stop = close
        srv.thread.start()
        res = [stat(n) for n in names]
        srv.die_now.set()
        srv.thread.join(5)
        chk.expect(f"server writes from {read_fd} to {write_fd}", srv.write_errors, [])
        return res

    chk.expect("clone of an unbound channel", clone(spare, fd), "EINVAL")
    null = os.open("/dev/null", os.O_RDONLY)
    chk.expect("clone of a non-channel", clone(spare, null), "EINVAL")
    os.close(null)
    mount(fd, mnt)
    chk.expect("clone of the mounted channel", clone(spare, fd), "OK")
    chk.expect("clone onto a bound channel", clone(spare, fd), "EINVAL")
    # The INIT reply and the first requests are read from the clone and
    # answered through the original, then the other way round.
    chk.expect("read from the clone, answered on the original",
               serve(spare, fd, False, [f"a{i}" for i in range(20)]), ["OK"] * 20)
    chk.expect("read from the original, answered on the clone",
               serve(fd, spare, True, [f"b{i}" for i in range(20)]), ["OK"] * 20)
    # The original is closed now; the clone carries on alone.
    chk.expect("connection survives the original channel's close",
               serve(spare, spare, True, ["c0", "c1"]), ["OK"] * 2)
    # The clone was the last channel: its close ended the connection.
    chk.expect("last channel's close ends the connection", stat("d0"), "ENOTCONN")
    chk.expect("umount after the last channel",
               subprocess.run(["umount", mnt], check=False).returncode, 0)
    os.rmdir(mnt)


def options_test(chk: Checker) -> None:
    """The mount options reach options.c; refusals are EINVAL."""
    libc = ctypes.CDLL(None, use_errno=True)
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    base = f"fd={fd},rootmode=40000,user_id=0,group_id=0"
    cases = [
        ("unknown option", base + ",bogus=1", "EINVAL"),
        ("fd given twice", base + f",fd={fd}", "EINVAL"),
        ("max_read 0", base + ",max_read=0", "EINVAL"),
        ("root_nodeid 0", base + ",root_nodeid=0", "EINVAL"),
        ("blksize on fuse_iomap", base + ",blksize=4096", "EINVAL"),
        ("group_id missing", f"fd={fd},rootmode=40000,user_id=0", "EINVAL"),
        ("fd overflows", "fd=4294967296,rootmode=40000,user_id=0,group_id=0", "EINVAL"),
        ("valid", base + ",max_read=8192,subtype=opts,allow_other,default_permissions", "OK"),
    ]
    for what, opts, want in cases:
        rc = libc.mount(b"opts", mnt.encode(), b"fuse_iomap", 0, opts.encode())
        got = "OK" if rc == 0 else errno.errorcode[ctypes.get_errno()]
        chk.expect(f"mount options: {what}", got, want)
    with open("/proc/mounts") as f:
        line = next((m for m in f if f" {mnt} " in m), "")
    chk.expect("mount options shown", all(o in line for o in (
        "fuse_iomap.opts", "max_read=8192", "allow_other", "default_permissions")), True)
    # Nobody serves this mount: closing the channel aborts it, so that
    # umount(8)'s own lookups fail instead of waiting for INIT.
    os.close(fd)
    chk.expect("umount unserved mount", subprocess.run(["umount", mnt],
                                                       check=False).returncode, 0)
    os.rmdir(mnt)


def main() -> int:
    chk = Checker()
    options_test(chk)
    mnt = tempfile.mkdtemp()
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    mount(fd, mnt)
    srv = ConnServer(fd)
    srv.thread.start()
    interrupt_tests(chk, srv, mnt)
    drop_and_balance(srv)
    chk.expect("umount", subprocess.run(["umount", mnt], check=False).returncode, 0)
    srv.thread.join(10)
    chk.expect("interrupt mount: lookups and forgets balance", srv.forgotten, srv.lookups)
    if srv.forgotten != srv.lookups:
        print(f"opcodes seen: {srv.opcodes}", flush=True)
    chk.expect("interrupt mount: server writes", srv.write_errors, [])
    os.close(fd)

    forget_test(chk, 31, 300)
    forget_test(chk, 15, 20)
    clone_test(chk)
    notify_test(chk)
    print(f"conn: {chk.failed} failed", flush=True)
    return 1 if chk.failed else 0


if __name__ == "__main__":
    sys.exit(main())
