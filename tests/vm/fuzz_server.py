#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Protocol fuzzer for fuse_iomap's kernel side.

Each iteration mounts fuse_iomap, serves it from an in-memory model
filesystem that answers correctly by default, and mutates a share of the
replies, chosen by a seeded random generator:

* lengths: payloads cut short or padded, header lengths that lie;
* request ids: replies to the wrong id, replies sent twice, late and
  out-of-order replies, requests never answered (until the end);
* node ids and generations of entries (0, the root, another node, huge);
* attributes: file type, size, nlink, nanoseconds, block size, ids;
* directory listings: name lengths, names with '/', NUL, "." and "..",
  offsets, types, records cut in the middle; READDIRPLUS entries too;
* errors: valid, positive, out of range errnos; errors with payloads;
* notifications (INVAL_ENTRY, INVAL_INODE, DELETE, malformed, unknown)
  sent in the middle of operations and from a thread of their own;
* INTERRUPT answered with EINTR, EAGAIN, or ignored.

The INIT reply is varied (protocol minor, READDIRPLUS, locks, max_write,
max_pages, time_gran) and sometimes broken; the mount options too; the
connection is served through two channels (FUSE_DEV_IOC_CLONE).
Meanwhile a workload process runs namespace and data operations against
the mount from several threads.  Nothing checks that those operations
succeed: what is checked is that the kernel survives.

A failure is a kernel problem in the kernel log (oops, BUG, KASAN, KFENCE,
lockdep, WARN, ... as scripts/lablib/console.py judges it), a workload or
umount that does not finish after the connection is aborted (a hang), a
request the kernel sends malformed, or a module that does not unload at
the end.  Each failure prints the seed of its iteration; `--seed S
--iterations 1` runs that iteration again.  The kernel log marks each
iteration ("fuzz: seed S begin"), so a report the lab finds in the log
can be matched to its seed too.

usage (in a lab VM, as root):
    fuzz_server.py [--iterations N] [--seed S] [--duration SEC] [--threads T]
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import faulthandler
import fcntl
import heapq
import json
import os
import random
import select
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from hostile_server import (ATTR, ATTR_HEAD, DIRENT, ENTRY_HEAD, IN_HDR,  # noqa: E402
                            INIT_OUT, OPEN_OUT, OUT_HDR)
from lablib import console  # noqa: E402

# opcodes
LOOKUP, FORGET, GETATTR, SETATTR, READLINK, SYMLINK = 1, 2, 3, 4, 5, 6
MKNOD, MKDIR, UNLINK, RMDIR, RENAME, LINK = 8, 9, 10, 11, 12, 13
OPEN, READ, WRITE, STATFS, RELEASE, FSYNC = 14, 15, 16, 17, 18, 20
SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR, FLUSH = 21, 22, 23, 24, 25
INIT, OPENDIR, READDIR, RELEASEDIR, FSYNCDIR = 26, 27, 28, 29, 30
GETLK, SETLK, SETLKW, ACCESS, CREATE, INTERRUPT = 31, 32, 33, 34, 35, 36
DESTROY, BATCH_FORGET, FALLOCATE, READDIRPLUS, RENAME2, LSEEK = 38, 42, 43, 44, 45, 46
SYNCFS, TMPFILE, STATX = 50, 51, 52
# INIT flags
ATOMIC_O_TRUNC, POSIX_LOCKS, FLOCK_LOCKS = 1 << 3, 1 << 1, 1 << 10
DO_READDIRPLUS, READDIRPLUS_AUTO, MAX_PAGES = 1 << 13, 1 << 14, 1 << 22
# notifications
N_POLL, N_INVAL_INODE, N_INVAL_ENTRY, N_STORE, N_RETRIEVE, N_DELETE = 1, 2, 3, 4, 5, 6
FUSE_DEV_IOC_CLONE = 0x8004E500
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2

LK_OUT = struct.Struct("<QQII")
WRITE_IN = struct.Struct("<QQIIQII")
READ_IN = struct.Struct("<QQIIQII")
SETATTR_IN = struct.Struct("<IIQQQQQQIIIIIIII")
FATTR_MODE, FATTR_SIZE = 1 << 0, 1 << 3

# Interesting integers for fields of each width.
EDGE64 = (0, 1, 2, 4095, 4096, (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32,
          (1 << 62), (1 << 63) - 1, 1 << 63, (1 << 64) - 1)
EDGE32 = (0, 1, 2, 511, 512, 999_999_999, 1_000_000_000, (1 << 31) - 1, 1 << 31,
          (1 << 32) - 1)
ERRNOS = (-errno.EIO, -errno.ENOENT, -errno.EACCES, -errno.EPERM, -errno.ENOSPC,
          -errno.ENOSYS, -errno.EINTR, -errno.EAGAIN, -errno.EEXIST, -errno.ENOTDIR,
          -errno.EISDIR, -errno.ENOTEMPTY, -errno.EXDEV, -errno.ESTALE, -errno.ERANGE,
          -errno.ENAMETOOLONG, -errno.EROFS, -errno.EOPNOTSUPP, -errno.ENODATA,
          -errno.EOVERFLOW, -errno.EFBIG, 5, 0x7fffffff, -512, -600, -4095, -(1 << 31))

# Per reply: the chance that it is mutated at all.
MUTATE = 0.3
KINDS = ("errno", "truncate", "extend", "hdrlen", "unique", "dup", "late", "drop",
         "struct", "notify")
KIND_WEIGHTS = (12, 8, 6, 5, 5, 6, 10, 1, 30, 10)


class Node:
    __slots__ = ("nid", "mode", "data", "children", "target", "xattrs", "nlink", "gen")

    def __init__(self, nid: int, mode: int, target: bytes = b"") -> None:
        self.nid = nid
        self.mode = mode
        self.data = bytearray()
        self.children: dict[bytes, int] = {}
        self.target = target
        self.xattrs: dict[bytes, bytes] = {}
        self.nlink = 2 if stat.S_ISDIR(mode) else 1
        self.gen = 0


class Model:
    """A small in-memory filesystem: the correct answers."""

    def __init__(self) -> None:
        self.nodes = {1: Node(1, stat.S_IFDIR | 0o777)}
        self.next = 2

    def new(self, mode: int, target: bytes = b"") -> Node:
        n = Node(self.next, mode, target)
        self.next += 1
        self.nodes[n.nid] = n
        return n

    def attr(self, n: Node) -> bytes:
        size = len(n.target) if stat.S_ISLNK(n.mode) else len(n.data)
        t = 1_700_000_000
        return ATTR.pack(n.nid, size, (size + 511) // 512, t, t, t, 0, 0, 0, n.mode,
                         n.nlink, 0, 0, 0, 4096, 0)

    def entry(self, n: Node) -> bytes:
        return ENTRY_HEAD.pack(n.nid, n.gen, 0, 0, 0, 0) + self.attr(n)


def cstr(body: bytes, off: int = 0) -> tuple[bytes, int]:
    end = body.index(b"\0", off) if b"\0" in body[off:] else len(body)
    return body[off:end], end + 1


class FuzzServer:
    """Serve one mount through one or more channels, mutating replies."""

    def __init__(self, fds: list[int], seed: int, stats: Counter) -> None:
        self.fds = fds
        self.rng = random.Random(seed ^ 0x5EED)
        self.lock = threading.Lock()
        self.model = Model()
        self.stats = stats
        self.bad: list[str] = []
        self.stop = threading.Event()
        self.held: list[tuple[float, int, bytes]] = []   # (when, seq, message)
        self.held_cv = threading.Condition(self.lock)
        self.seq = 0
        self.minor = 31
        self.plus = False
        self.threads = [threading.Thread(target=self.reader, args=(fd,), daemon=True)
                        for fd in fds]
        self.threads.append(threading.Thread(target=self.releaser, daemon=True))
        self.threads.append(threading.Thread(target=self.notifier, daemon=True))

    # ----- plumbing
    def start(self) -> None:
        for t in self.threads:
            t.start()

    def write(self, msg: bytes) -> None:
        with self.lock:
            fd = self.rng.choice(self.fds)
        try:
            os.write(fd, msg)
            self.stats["writes ok"] += 1
        except OSError as e:
            self.stats[f"writes {errno.errorcode.get(e.errno, e.errno)}"] += 1

    def hold(self, msg: bytes, delay: float) -> None:
        with self.lock:
            self.seq += 1
            heapq.heappush(self.held, (time.monotonic() + delay, self.seq, msg))
            self.held_cv.notify()

    def flush_held(self) -> None:
        """Send every held reply now (the workload must be able to finish)."""
        with self.lock:
            msgs = [m for _, _, m in sorted(self.held)]
            self.held.clear()
        for m in msgs:
            self.write(m)

    def releaser(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                now = time.monotonic()
                due = []
                while self.held and self.held[0][0] <= now:
                    due.append(heapq.heappop(self.held)[2])
                if not due:
                    wait = self.held[0][0] - now if self.held else 0.2
                    self.held_cv.wait(min(wait, 0.2))
                    continue
            self.rng.shuffle(due)
            for m in due:
                self.write(m)

    def notifier(self) -> None:
        while not self.stop.wait(self.rng.uniform(0.05, 0.4)):
            self.notify()

    def reader(self, fd: int) -> None:
        while not self.stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    continue
                msg = os.read(fd, 1 << 21)
            except OSError as e:
                if e.errno in (errno.EINTR, errno.EAGAIN):
                    continue
                return          # ENODEV: the connection is gone
            if not msg:
                return
            try:
                self.dispatch(msg)
            except Exception as e:  # a bug of the fuzzer, not of the kernel
                self.bad.append(f"fuzzer error on opcode {IN_HDR.unpack_from(msg)[1]}: {e!r}")
                raise

    # ----- requests
    def dispatch(self, msg: bytes) -> None:
        if len(msg) < IN_HDR.size:
            self.bad.append(f"request of {len(msg)} bytes, shorter than its header")
            return
        length, opcode, unique, nodeid = IN_HDR.unpack_from(msg)[:4]
        if length != len(msg):
            self.bad.append(f"opcode {opcode}: header says {length} bytes, read {len(msg)}")
        self.stats[f"op {opcode}"] += 1
        body = msg[IN_HDR.size:]
        if opcode in (FORGET, BATCH_FORGET):
            return
        if opcode == INTERRUPT:
            self.interrupt(unique, body)
            return
        with self.lock:
            error, payload, shape = self.answer(opcode, nodeid, body)
        self.reply(opcode, unique, error, payload, shape)

    def interrupt(self, unique: int, body: bytes) -> None:
        target = struct.unpack_from("<Q", body)[0] if len(body) >= 8 else 0
        choice = self.rng.random()
        if choice < 0.3:
            self.write(OUT_HDR.pack(OUT_HDR.size, -errno.EINTR, target))
            self.stats["interrupt: EINTR"] += 1
        elif choice < 0.5:
            self.write(OUT_HDR.pack(OUT_HDR.size, -errno.EAGAIN, unique))
            self.stats["interrupt: EAGAIN"] += 1
        else:
            self.stats["interrupt: ignored"] += 1

    def answer(self, op: int, nid: int, body: bytes) -> tuple[int, bytes, str]:
        """The correct reply: (error, payload, shape for struct mutations)."""
        m = self.model
        node = m.nodes.get(nid)
        if op == INIT:
            return 0, self.init_reply(body), "init"
        if op == DESTROY:
            return 0, b"", ""
        if node is None and op not in (STATFS, SYNCFS):
            return -errno.ENOENT, b"", ""
        if op == LOOKUP:
            name, _ = cstr(body)
            child = m.nodes.get(node.children.get(name, 0))
            if child is None:
                if self.rng.random() < 0.3:       # negative entry, cached a second
                    return 0, ENTRY_HEAD.pack(0, 0, 1, 0, 0, 0) + bytes(ATTR.size), "entry"
                return -errno.ENOENT, b"", ""
            return 0, m.entry(child), "entry"
        if op in (GETATTR, STATX):
            if op == STATX:
                return -errno.ENOSYS, b"", ""
            return 0, ATTR_HEAD.pack(0, 0, 0) + m.attr(node), "attr"
        if op == SETATTR:
            f = SETATTR_IN.unpack_from(body.ljust(SETATTR_IN.size, b"\0"))
            valid, size, mode = f[0], f[3], f[11]
            if valid & FATTR_SIZE and size < (1 << 24):
                node.data = node.data[:size].ljust(size, b"\0")
            if valid & FATTR_MODE:
                node.mode = (node.mode & ~0o7777) | (mode & 0o7777)
            return 0, ATTR_HEAD.pack(0, 0, 0) + m.attr(node), "attr"
        if op == READLINK:
            return (0, node.target, "") if stat.S_ISLNK(node.mode) else (-errno.EINVAL, b"", "")
        if op in (MKNOD, MKDIR, SYMLINK, CREATE, TMPFILE):
            return self.make(op, node, body)
        if op in (UNLINK, RMDIR):
            name, _ = cstr(body)
            child = m.nodes.get(node.children.get(name, 0))
            if child is None:
                return -errno.ENOENT, b"", ""
            if op == RMDIR and child.children:
                return -errno.ENOTEMPTY, b"", ""
            del node.children[name]
            child.nlink = max(0, child.nlink - (2 if op == RMDIR else 1))
            return 0, b"", ""
        if op in (RENAME, RENAME2):
            return self.rename(op, node, body)
        if op == LINK:
            old = m.nodes.get(struct.unpack_from("<Q", body)[0])
            name, _ = cstr(body, 8)
            if old is None or name in node.children:
                return -errno.EEXIST, b"", ""
            node.children[name] = old.nid
            old.nlink += 1
            return 0, m.entry(old), "entry"
        if op in (OPEN, OPENDIR):
            return 0, OPEN_OUT.pack(self.rng.randrange(1 << 16), 0, 0), ""
        if op == READ:
            _fh, off, size = READ_IN.unpack_from(body)[:3]
            return 0, bytes(node.data[off:off + size]), ""
        if op == WRITE:
            _fh, off, size = WRITE_IN.unpack_from(body)[:3]
            data = body[WRITE_IN.size:WRITE_IN.size + size]
            if off + len(data) < (1 << 24):
                if len(node.data) < off:
                    node.data.extend(bytes(off - len(node.data)))
                node.data[off:off + len(data)] = data
            return 0, struct.pack("<II", len(data), 0), ""
        if op == STATFS:
            return 0, struct.pack("<QQQQQIII28x", 1 << 20, 1 << 19, 1 << 19, 1 << 16,
                                  1 << 15, 4096, 255, 4096), ""
        if op in (RELEASE, RELEASEDIR, FLUSH, FSYNC, FSYNCDIR, SYNCFS, ACCESS, SETLK,
                  SETLKW, FALLOCATE):
            return 0, b"", ""
        if op == GETLK:
            return 0, LK_OUT.pack(0, 0, 2, 0), ""      # F_UNLCK
        if op == LSEEK:
            off, whence = struct.unpack_from("<QI", body, 8)
            if off >= len(node.data):
                return -errno.ENXIO, b"", ""
            return 0, struct.pack("<Q", off if whence == 3 else len(node.data)), ""
        if op in (SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR):
            return self.xattr(op, node, body)
        if op in (READDIR, READDIRPLUS):
            return self.readdir(op, node, body)
        return -errno.ENOSYS, b"", ""

    def init_reply(self, body: bytes) -> bytes:
        flags = 0
        for f in (ATOMIC_O_TRUNC, POSIX_LOCKS, FLOCK_LOCKS, DO_READDIRPLUS,
                  READDIRPLUS_AUTO, MAX_PAGES):
            if self.rng.random() < 0.5:
                flags |= f
        self.plus = bool(flags & (DO_READDIRPLUS | READDIRPLUS_AUTO))
        self.minor = self.rng.choice((12, 16, 23, 31, 31, 31, 41, 99))
        max_write = self.rng.choice((0, 4096, 65536, 131072, 1 << 20, (1 << 32) - 1))
        max_pages = self.rng.choice((0, 1, 32, 256, 65535))
        gran = self.rng.choice((0, 1, 1000, 1_000_000_000, 1_000_000_001))
        return INIT_OUT.pack(7, self.minor, 65536, flags, 12, 9, max_write, gran,
                             max_pages, 0, 0, 0, 0)

    def make(self, op: int, dir_node: Node, body: bytes) -> tuple[int, bytes, str]:
        m = self.model
        if not stat.S_ISDIR(dir_node.mode):
            return -errno.ENOTDIR, b"", ""
        if op == SYMLINK:
            name, nxt = cstr(body)
            target, _ = cstr(body, nxt)
            mode = stat.S_IFLNK | 0o777
        elif op == MKDIR:
            mode = stat.S_IFDIR | (struct.unpack_from("<I", body)[0] & 0o7777)
            name, _ = cstr(body, 8)
            target = b""
        else:   # MKNOD, CREATE, TMPFILE: 16 bytes of arguments first
            mode = struct.unpack_from("<I", body, 0 if op == MKNOD else 4)[0]
            if not stat.S_IFMT(mode):
                mode |= stat.S_IFREG
            name, _ = cstr(body, 16)
            target = b""
        if op != TMPFILE and name in dir_node.children:
            return -errno.EEXIST, b"", ""
        n = m.new(mode, target)
        if op == TMPFILE:
            n.nlink = 0
        else:
            dir_node.children[name] = n.nid
        out = m.entry(n)
        if op in (CREATE, TMPFILE):
            return 0, out + OPEN_OUT.pack(self.rng.randrange(1 << 16), 0, 0), "entry"
        return 0, out, "entry"

    def rename(self, op: int, old_dir: Node, body: bytes) -> tuple[int, bytes, str]:
        m = self.model
        newdir, flags = struct.unpack_from("<Q", body)[0], 0
        off = 8
        if op == RENAME2:
            flags = struct.unpack_from("<I", body, 8)[0]
            off = 16
        old, nxt = cstr(body, off)
        new, _ = cstr(body, nxt)
        nd = m.nodes.get(newdir)
        if nd is None or old not in old_dir.children:
            return -errno.ENOENT, b"", ""
        if flags & RENAME_NOREPLACE and new in nd.children:
            return -errno.EEXIST, b"", ""
        if flags & RENAME_EXCHANGE:
            if new not in nd.children:
                return -errno.ENOENT, b"", ""
            old_dir.children[old], nd.children[new] = nd.children[new], old_dir.children[old]
            return 0, b"", ""
        nd.children[new] = old_dir.children.pop(old)
        return 0, b"", ""

    def xattr(self, op: int, node: Node, body: bytes) -> tuple[int, bytes, str]:
        if op == SETXATTR:
            size = struct.unpack_from("<I", body)[0]
            name, nxt = cstr(body, 8)
            node.xattrs[name] = body[nxt:nxt + size]
            return 0, b"", ""
        if op == REMOVEXATTR:
            name, _ = cstr(body)
            return (0, b"", "") if node.xattrs.pop(name, None) is not None else \
                (-errno.ENODATA, b"", "")
        size = struct.unpack_from("<I", body)[0]
        if op == GETXATTR:
            name, _ = cstr(body, 8)
            if name not in node.xattrs:
                return -errno.ENODATA, b"", ""
            value = node.xattrs[name]
        else:
            value = b"".join(n + b"\0" for n in node.xattrs)
        if size == 0:
            return 0, struct.pack("<II", len(value), 0), ""
        if len(value) > size:
            return -errno.ERANGE, b"", ""
        return 0, value, ""

    def readdir(self, op: int, node: Node, body: bytes) -> tuple[int, bytes, str]:
        m = self.model
        _fh, offset, size = READ_IN.unpack_from(body)[:3]
        names = [(b".", node.nid), (b"..", 1)] + list(node.children.items())
        out = b""
        for i, (name, nid) in enumerate(names[offset:], start=offset + 1):
            child = m.nodes.get(nid)
            if child is None:
                continue
            rec = DIRENT.pack(nid, i, len(name), (child.mode >> 12) & 15) + name
            rec += b"\0" * (-len(rec) % 8)
            if op == READDIRPLUS:
                head = m.entry(child) if name not in (b".", b"..") else \
                    ENTRY_HEAD.pack(0, 0, 0, 0, 0, 0) + bytes(ATTR.size)
                rec = head + rec
            if len(out) + len(rec) > size:
                break
            out += rec
        return 0, out, "plus" if op == READDIRPLUS else "dirents"

    # ----- replies and their mutations
    def reply(self, op: int, unique: int, error: int, payload: bytes, shape: str) -> None:
        self.stats["replies"] += 1
        if error:
            payload = b""
        mutate = self.rng.random() < (MUTATE / 4 if op == INIT else MUTATE)
        if op == DESTROY:
            mutate = False          # a lost DESTROY only delays umount
        correct = OUT_HDR.pack(OUT_HDR.size + len(payload), error, unique) + payload
        if not mutate:
            self.write(correct)
            return
        kind = self.rng.choices(KINDS, KIND_WEIGHTS)[0]
        if kind == "struct" and not (shape and payload):
            kind = "errno"
        self.stats[f"mutation {kind}"] += 1
        length = None
        if kind == "errno":
            error = self.rng.choice(ERRNOS)
            if self.rng.random() > 0.2:
                payload = b""
        elif kind == "truncate" and payload:
            payload = payload[:self.rng.randrange(len(payload))]
        elif kind == "extend":
            payload += self.rng.randbytes(self.rng.choice((1, 7, 8, 64, 4096)))
        elif kind == "hdrlen":
            length = self.rng.choice((0, 8, OUT_HDR.size - 1, OUT_HDR.size + len(payload) + 1,
                                      (1 << 32) - 1, OUT_HDR.size + len(payload) // 2))
        elif kind == "unique":
            unique = self.rng.choice((unique + 2, unique ^ 1, unique + 2 * 1000, 0,
                                      self.rng.randrange(1 << 64)))
        elif kind == "struct":
            payload = self.mutate_struct(bytearray(payload), shape)
        elif kind == "notify":
            # From another thread: the kernel may hold the lock the
            # notification needs until this very reply arrives.
            threading.Thread(target=self.notify, daemon=True).start()
        msg_len = OUT_HDR.size + len(payload) if length is None else length
        msg = OUT_HDR.pack(msg_len, error, unique) + payload
        if kind == "late":
            self.hold(msg, self.rng.uniform(0.01, 1.5))
        elif kind == "drop":
            self.hold(msg, 3600.0)           # sent by flush_held() at the end
        elif kind == "dup":
            self.write(msg)
            self.write(msg if self.rng.random() < 0.5 else
                       OUT_HDR.pack(OUT_HDR.size, -errno.EIO, unique))
        else:
            self.write(msg)
            # A reply the kernel could not match to its request (a lying
            # length, another id) leaves the request waiting: the correct
            # reply follows, soon, so that the workload goes on.  If the
            # mutated one was taken, this one is refused (ENOENT).
            self.hold(correct, self.rng.uniform(0.0, 0.3))

    def mutate_attr(self, buf: bytearray, off: int) -> None:
        if off + ATTR.size > len(buf):
            return
        field = self.rng.randrange(16)
        if field < 6:              # ino, size, blocks, times: u64
            struct.pack_into("<Q", buf, off + 8 * field, self.rng.choice(EDGE64))
        elif field == 9:           # mode: another type, no type, odd bits
            mode = self.rng.choice((0, 0o644, stat.S_IFDIR | 0o755, stat.S_IFREG | 0o644,
                                    stat.S_IFLNK | 0o777, stat.S_IFCHR | 0o600,
                                    stat.S_IFIFO | 0o600, stat.S_IFSOCK | 0o600,
                                    0o170000 | 0o777, 0xFFFFFFFF))
            struct.pack_into("<I", buf, off + 60, mode)
        else:
            struct.pack_into("<I", buf, off + 48 + 4 * (field - 6), self.rng.choice(EDGE32))

    def mutate_entry(self, buf: bytearray, off: int) -> None:
        if off + ENTRY_HEAD.size > len(buf):
            return
        what = self.rng.randrange(4)
        if what == 0:              # node id
            with_ids = list(self.model.nodes)
            struct.pack_into("<Q", buf, off, self.rng.choice(
                [0, 1, (1 << 64) - 1, self.rng.randrange(1 << 64)] + with_ids[-8:]))
        elif what == 1:            # generation
            struct.pack_into("<Q", buf, off + 8, self.rng.choice(EDGE64))
        elif what == 2:            # validity times
            struct.pack_into("<QQII", buf, off + 16, self.rng.choice(EDGE64),
                             self.rng.choice(EDGE64), self.rng.choice(EDGE32),
                             self.rng.choice(EDGE32))
        else:
            self.mutate_attr(buf, off + ENTRY_HEAD.size)

    def mutate_dirent(self, buf: bytearray, off: int) -> None:
        if off + DIRENT.size > len(buf):
            return
        what = self.rng.randrange(5)
        if what == 0:              # name length past the record or zero
            struct.pack_into("<I", buf, off + 16, self.rng.choice((0, 255, 256, 4096,
                                                                   (1 << 32) - 1)))
        elif what == 1:            # offsets going back or huge
            struct.pack_into("<Q", buf, off + 8, self.rng.choice(EDGE64))
        elif what == 2:            # type
            struct.pack_into("<I", buf, off + 20, self.rng.choice((0, 3, 15, 16, 1 << 31)))
        elif what == 3:            # name bytes: '/', NUL, '.', '..'
            namelen = struct.unpack_from("<I", buf, off + 16)[0]
            name = self.rng.choice((b"/", b"\0", b".", b"..", b"a/b", b"a\0"))
            if namelen >= len(name) and off + DIRENT.size + len(name) <= len(buf):
                buf[off + DIRENT.size:off + DIRENT.size + len(name)] = name
                if name in (b".", b".."):
                    struct.pack_into("<I", buf, off + 16, len(name))
        else:                      # inode number
            struct.pack_into("<Q", buf, off, self.rng.choice(EDGE64))

    def mutate_struct(self, buf: bytearray, shape: str) -> bytes:
        if shape == "init":
            field = self.rng.randrange(6)
            if field == 0:
                struct.pack_into("<I", buf, 0, self.rng.choice((0, 6, 8)))    # major
            elif field == 1:
                struct.pack_into("<I", buf, 4, self.rng.choice((0, 11, 1 << 31)))
            else:
                struct.pack_into("<I", buf, 4 * field + 4, self.rng.choice(EDGE32))
        elif shape == "attr":
            if self.rng.random() < 0.3:
                struct.pack_into("<QI", buf, 0, self.rng.choice(EDGE64), self.rng.choice(EDGE32))
            else:
                self.mutate_attr(buf, ATTR_HEAD.size)
        elif shape == "entry":
            self.mutate_entry(buf, 0)
        elif shape in ("dirents", "plus"):
            head = ENTRY_HEAD.size + ATTR.size if shape == "plus" else 0
            recs = []
            off = 0
            while off + head + DIRENT.size <= len(buf):
                recs.append(off)
                namelen = struct.unpack_from("<I", buf, off + head + 16)[0]
                off += head + DIRENT.size + ((namelen + 7) & ~7)
            if recs:
                at = self.rng.choice(recs)
                if shape == "plus" and self.rng.random() < 0.5:
                    self.mutate_entry(buf, at)
                elif self.rng.random() < 0.15:
                    return bytes(buf[:at + self.rng.randrange(1, head + DIRENT.size + 8)])
                else:
                    self.mutate_dirent(buf, at + head)
        return bytes(buf)

    def notify(self) -> None:
        """Send one notification, well-formed or not, about a random node."""
        with self.lock:
            m = self.model
            dirs = [n for n in m.nodes.values() if stat.S_ISDIR(n.mode)]
            d = self.rng.choice(dirs)
            names = list(d.children) or [b"a"]
            name = self.rng.choice(names)
            nid = self.rng.choice(list(m.nodes) + [0, 1 << 40])
            child = d.children.get(name, nid)
            kind = self.rng.randrange(8)
            if kind == 0 and name in d.children and self.rng.random() < 0.5:
                del d.children[name]      # a DELETE the model agrees with
        if kind in (0, 1):
            code = N_DELETE
            payload = struct.pack("<QQII", d.nid, child, len(name), 0) + name + b"\0"
        elif kind in (2, 3):
            code = N_INVAL_ENTRY
            payload = struct.pack("<QII", d.nid, len(name), self.rng.choice((0, 0, 1, 2))) \
                + name + b"\0"
        elif kind in (4, 5):
            code = N_INVAL_INODE
            payload = struct.pack("<Qqq", nid, self.rng.choice((-1, 0, 4096, 1 << 62)),
                                  self.rng.choice((0, -1, 4096, 1 << 62)))
        elif kind == 6:            # malformed: cut, padded or lying about the name
            code = self.rng.choice((N_DELETE, N_INVAL_ENTRY, N_INVAL_INODE))
            payload = self.rng.randbytes(self.rng.choice((0, 4, 16, 24, 40)))
        else:                      # unsupported or unknown codes
            code = self.rng.choice((N_POLL, N_STORE, N_RETRIEVE, 7, 99, 100, 101, 1 << 20))
            payload = self.rng.randbytes(self.rng.choice((0, 8, 40)))
        self.stats["notifications"] += 1
        self.write(OUT_HDR.pack(OUT_HDR.size + len(payload), code, 0) + payload)


# ----- the workload (a child process)

NAMES = ("a", "b", "c", "d", "e", "f", "d0", "d1", "d2", "l")


def workload(mnt: str, seed: int, threads: int, duration: float) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    end = time.monotonic() + duration
    counts = Counter()

    def path(rng: random.Random) -> str:
        depth = rng.choice((0, 0, 1, 1, 2))
        parts = [rng.choice(("d0", "d1", "d2")) for _ in range(depth)]
        return os.path.join(mnt, *parts, rng.choice(NAMES))

    def one(rng: random.Random) -> None:
        p, q = path(rng), path(rng)
        op = rng.randrange(26)
        if op == 0:
            os.stat(p)
        elif op == 1:
            os.listdir(os.path.dirname(p))
        elif op == 2:
            for e in os.scandir(os.path.dirname(p)):
                e.stat(follow_symlinks=False)
        elif op == 3:
            fd = os.open(p, os.O_RDONLY)
            try:
                os.pread(fd, rng.choice((1, 4096, 65536, 1 << 20)), rng.choice((0, 100, 8192)))
            finally:
                os.close(fd)
        elif op == 4:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | rng.choice((0, os.O_TRUNC, os.O_APPEND)),
                         0o644)
            try:
                os.pwrite(fd, rng.randbytes(rng.choice((1, 100, 4096, 70000))),
                          rng.choice((0, 1, 4095, 1 << 20)))
                if rng.random() < 0.3:
                    (os.fdatasync if rng.random() < 0.5 else os.fsync)(fd)
            finally:
                os.close(fd)
        elif op == 5:
            os.mkdir(p, 0o755)
        elif op == 6:
            os.rmdir(p)
        elif op == 7:
            os.unlink(p)
        elif op == 8:
            os.rename(p, q)
        elif op == 9:
            flags = rng.choice((RENAME_NOREPLACE, RENAME_EXCHANGE))
            if libc.renameat2(-100, p.encode(), -100, q.encode(), flags) != 0:
                raise OSError(ctypes.get_errno(), "renameat2")
        elif op == 10:
            os.link(p, q)
        elif op == 11:
            os.symlink(rng.choice(("a", "../b", "x" * 300)), p)
        elif op == 12:
            os.readlink(p)
        elif op == 13:
            os.truncate(p, rng.choice((0, 1, 4096, 1 << 20)))
        elif op == 14:
            os.chmod(p, rng.choice((0o644, 0o755, 0o000, 0o4755)))
        elif op == 15:
            os.utime(p, (rng.randrange(1 << 31), rng.randrange(1 << 31)))
        elif op == 16:
            os.setxattr(p, "user.k" + rng.choice("ab"), rng.randbytes(rng.choice((0, 10, 300))))
        elif op == 17:
            os.getxattr(p, "user.k" + rng.choice("ab"))
            os.listxattr(p)
        elif op == 18:
            os.removexattr(p, "user.ka")
        elif op == 19:
            os.statvfs(mnt)
        elif op == 20:
            fd = os.open(p, os.O_RDWR)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            finally:
                os.close(fd)
        elif op == 21:
            fd = os.open(os.path.dirname(p), os.O_TMPFILE | os.O_RDWR, 0o600)
            try:
                os.write(fd, b"tmp" * 100)
            finally:
                os.close(fd)
        elif op == 22:
            os.mkfifo(p)
        elif op == 23:
            os.access(p, rng.choice((os.R_OK, os.W_OK, os.X_OK)))
        elif op == 24:
            fd = os.open(p, os.O_RDWR)
            try:
                os.posix_fallocate(fd, 0, 8192)
                os.lseek(fd, 0, rng.choice((os.SEEK_DATA, os.SEEK_HOLE, os.SEEK_END)))
            finally:
                os.close(fd)
        else:
            fd = os.open(os.path.dirname(p), os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def run(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        while time.monotonic() < end:
            counts["attempted"] += 1
            try:
                one(rng)
                counts["succeeded"] += 1
            except (OSError, ValueError):
                pass
            if rng.random() < 0.02:
                try:
                    with open("/proc/sys/vm/drop_caches", "w") as f:
                        f.write("2")
                except OSError:
                    pass

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps(counts), flush=True)
    return 0


# ----- the driver

class Kmsg:
    """New kernel log records since the last call, as "[ts] text" lines."""

    def __init__(self) -> None:
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def read(self) -> str:
        lines = []
        while True:
            try:
                rec = os.read(self.fd, 8192).decode(errors="replace")
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.EPIPE:      # overwritten; carry on
                    continue
                raise
            head, _, text = rec.partition(";")
            fields = head.split(",")
            usec = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
            text = text.split("\n")[0]
            lines.append(f"[{usec // 1_000_000:5d}.{usec % 1_000_000:06d}] {text}")
        return "\n".join(lines)


def kmsg_write(text: str) -> None:
    with open("/dev/kmsg", "w") as f:
        f.write(text + "\n")


def mount(fd: int, mnt: str, extra: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0" + extra
    if libc.mount(b"fuzz", mnt.encode(), b"fuse_iomap", 0, opts.encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount -o {opts}")


def umount(mnt: str, timeout: float) -> str:
    """umount2(@mnt, 0) in a child (it may hang); "" or what went wrong."""
    code = ("import ctypes, os, sys\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "sys.exit(0 if libc.umount2(sys.argv[1].encode(), 0) == 0 "
            "else ctypes.get_errno())\n")
    deadline = time.monotonic() + timeout
    while True:
        p = subprocess.Popen([sys.executable, "-c", code, mnt])
        try:
            rc = p.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            return f"umount did not finish in {timeout:.0f} s"
        if rc == 0:
            return ""
        if rc != errno.EBUSY or time.monotonic() > deadline:
            return f"umount failed: {errno.errorcode.get(rc, rc)}"
        time.sleep(0.2)


def mount_dev(mnt: str) -> str:
    """major:minor of the mount on @mnt, without a request to its server."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == mnt:
                return fields[2]
    return ""


def abort(dev: str) -> None:
    """Abort the connection through the module's debugfs control file."""
    try:
        with open(f"/sys/kernel/debug/fuse_iomap/{dev}/abort", "w") as f:
            f.write("1")
    except OSError as e:
        print(f"fuzz: cannot abort {dev} through debugfs: {e}", flush=True)


def stacks(pid: int) -> str:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stack") as f:
                out.append(f"task {tid}:\n{f.read()}")
    except OSError:
        pass
    return "\n".join(out)


class Watchdog:
    """Fail the run if the fuzzer itself stops making progress.

    Every wait of an iteration has a timeout; a system call of the fuzzer
    that never returns (a server write or close that the kernel blocks) is
    a hang too.  Then the kernel stacks of every task of the fuzzer and of
    its workload, the blocked tasks (sysrq w) and the Python stacks are
    printed, and the run ends.
    """

    def __init__(self) -> None:
        self.deadline = float("inf")
        self.seed = -1
        self.work_pid = 0
        threading.Thread(target=self.watch, daemon=True).start()

    def arm(self, seed: int, seconds: float) -> None:
        self.seed, self.deadline = seed, time.monotonic() + seconds

    def watch(self) -> None:
        while True:
            time.sleep(1)
            if time.monotonic() < self.deadline:
                continue
            print(f"fuzz: FAIL seed {self.seed} (reproduce: --seed {self.seed} --iterations 1):"
                  f" hang: the iteration did not end; kernel stacks:", flush=True)
            print(stacks(os.getpid()), flush=True)
            if self.work_pid:
                print(stacks(self.work_pid), flush=True)
            try:
                with open("/proc/sysrq-trigger", "w") as f:
                    f.write("w")
            except OSError:
                pass
            faulthandler.dump_traceback(all_threads=True)
            sys.stdout.flush()
            os._exit(1)


WATCHDOG: Watchdog | None = None


def iteration(seed: int, args: argparse.Namespace, stats: Counter, kmsg: Kmsg) -> str:
    """One mount, one workload; "" if the kernel survived, else why not."""
    rng = random.Random(seed)
    kmsg_write(f"fuzz: seed {seed} begin")
    mnt = tempfile.mkdtemp(prefix=f"fuzz{seed}-")
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    extra = "".join(o for o in (",default_permissions", ",allow_other",
                                f",max_read={rng.choice((4096, 65536, 1 << 20))}")
                    if rng.random() < 0.4)
    fds = [fd]
    problems = []
    try:
        mount(fd, mnt, extra)
    except OSError as e:
        os.close(fd)
        os.rmdir(mnt)
        return f"mount failed: {e}"
    if rng.random() < 0.5:
        clone = os.open("/dev/fuse_iomap", os.O_RDWR)
        fcntl.ioctl(clone, FUSE_DEV_IOC_CLONE, struct.pack("<I", fd))
        fds.append(clone)
    # Two readers of one queue both wake for one request: the loser must
    # not sleep in read(), where it would keep the channel open.
    for f in fds:
        fcntl.fcntl(f, fcntl.F_SETFL, fcntl.fcntl(f, fcntl.F_GETFL) | os.O_NONBLOCK)
    dev = mount_dev(mnt)
    srv = FuzzServer(fds, seed, stats)
    srv.start()
    work = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--workload", mnt,
                             "--seed", str(seed), "--threads", str(args.threads),
                             "--duration", str(args.duration)],
                            stdout=subprocess.PIPE, text=True)
    if WATCHDOG:
        WATCHDOG.work_pid = work.pid
    aborted = False
    try:
        out, _ = work.communicate(timeout=args.duration + 20)
    except subprocess.TimeoutExpired:
        # Dropped replies legitimately block workers: send them all, then
        # cut the connection; every waiter must then return.
        srv.flush_held()
        try:
            out, _ = work.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            aborted = True
            stats["aborted connections"] += 1
            print(f"fuzz: seed {seed}: workload still blocked 15 s after every reply was "
                  f"sent; aborting the connection; its kernel stacks:\n{stacks(work.pid)}",
                  flush=True)
            abort(dev)
            srv.stop.set()
            for f in fds:
                os.close(f)
            fds = []
            try:
                out, _ = work.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                where = stacks(work.pid)
                work.kill()
                try:
                    out, _ = work.communicate(timeout=20)
                except subprocess.TimeoutExpired:
                    out = ""
                    problems.append("workload hangs after the connection was aborted and "
                                    f"SIGKILL:\n{where}")
    for line in (out or "").splitlines():
        if line.startswith("{"):
            done = json.loads(line)
            stats["workload ops"] += done.get("attempted", 0)
            stats["workload ops that succeeded"] += done.get("succeeded", 0)
    if not aborted:
        srv.flush_held()
    why = umount(mnt, 30)
    if why:
        problems.append(why)
    srv.stop.set()
    for t in srv.threads:
        t.join(5)
    for f in fds:
        os.close(f)
    if why:
        # leave nothing mounted for the next iteration
        ctypes.CDLL(None, use_errno=True).umount2(mnt.encode(), 2)
    else:
        os.rmdir(mnt)
    problems += srv.bad
    kmsg_write(f"fuzz: seed {seed} end")
    time.sleep(0.1)
    for p in console.scan(kmsg.read()):
        problems.append(f"kernel problem ({p.kind}): {p.line}")
    return "\n".join(problems)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--seed", type=int, default=None,
                    help="seed of the first iteration (default: from the clock)")
    ap.add_argument("--duration", type=float, default=3.0,
                    help="seconds of workload per iteration (default: 3)")
    ap.add_argument("--threads", type=int, default=4, help="workload threads (default: 4)")
    ap.add_argument("--keep-going", action="store_true",
                    help="continue after a failed iteration")
    ap.add_argument("--workload", metavar="MNT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.workload:
        return workload(args.workload, args.seed, args.threads, args.duration)
    first = args.seed if args.seed is not None else int(time.time()) % 1_000_000 * 1000
    subprocess.run(["modprobe", "fuse_iomap"], check=True)
    kmsg = Kmsg()
    global WATCHDOG
    WATCHDOG = Watchdog()
    stats: Counter = Counter()
    failed: list[int] = []
    done = 0
    start = time.monotonic()
    for seed in range(first, first + args.iterations):
        t0 = time.monotonic()
        # the longest legitimate iteration: workload, flush, abort, kill,
        # umount and thread joins, each with its own timeout
        WATCHDOG.arm(seed, args.duration + 180)
        why = iteration(seed, args, stats, kmsg)
        done += 1
        if why:
            failed.append(seed)
            print(f"fuzz: FAIL seed {seed} (reproduce: --seed {seed} --iterations 1):\n{why}",
                  flush=True)
            if not args.keep_going or "kernel problem" in why:
                break
        else:
            print(f"fuzz: seed {seed} ok ({time.monotonic() - t0:.1f} s)", flush=True)
    rc = subprocess.run(["rmmod", "fuse_iomap"], check=False).returncode
    if rc != 0:
        print("fuzz: FAIL: fuse_iomap does not unload after the run "
              f"(seeds {first}..{first + done - 1})", flush=True)
    summary = {"first_seed": first, "iterations": done, "failed_seeds": failed,
               "seconds": round(time.monotonic() - start, 1), "unloaded": rc == 0,
               "stats": dict(sorted(stats.items()))}
    text = json.dumps(summary, indent=1)
    print(f"fuzz: summary\n{text}", flush=True)
    out = os.environ.get("LAB_OUT")
    if out:
        with open(os.path.join(out, "fuzz.json"), "w") as f:
            f.write(text + "\n")
    print(f"fuzz: {done} iterations (seeds {first}..{first + done - 1}), "
          f"{len(failed)} failed", flush=True)
    return 1 if failed or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
