#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile-image fuzzer for fuse4fs.

Small ext2/3/4 images are made with `mke2fs -d` from a generated tree
(extents and block maps, htree directories, fast and slow symlinks, sparse
files with deep extent trees, xattrs in the inode, in a block and in EA
inodes, a journal).  Each case copies one of them and mutates its metadata
blocks only (superblock, group descriptors, bitmaps, the used part of the
inode table, extent and indirect blocks, directory blocks, xattr blocks,
the journal superblock): bit flips, byte and field overwrites with
interesting values, block copies and swaps.  Then the image is mounted
with fuse4fs read-only and read-write on /dev/fuse and walked (stat,
readdir, read, readlink, SEEK_DATA/SEEK_HOLE, xattrs); the read-write
mount also writes, creates, renames, deletes, truncates and fallocates.

Each mount is classified:
  refused   fuse4fs exited before mounting with a status 2..6 and a message
  served    mounted, walked, unmounted, fuse4fs exited by itself
  crashed   a sanitizer report or a signal
  unclear   fuse4fs refused the image without a clear message (no
            message, an unexpected exit status, "Unknown code")
  hung      an operation, the mount or the unmount made no progress
            within the timeout
  ro-write  the image changed across a read-only mount

A case is deterministic in (seed, case number): `--seed S --first N
--cases 1` reruns case N.  Every failure prints that command line and
saves the mutated image and fuse4fs's log under OUT/failures/.

Runs as root in the dev box (mke2fs, debugfs, mount through /dev/fuse).
usage: imgfuzz.py --fuse4fs BIN --out DIR [--seed S] [--first N] [--cases N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

OP_TIMEOUT = 15.0  # seconds without progress before a mount counts as hung
MOUNT_TIMEOUT = 15.0
EXIT_TIMEOUT = 15.0
FAKE_TIME = "1700000000"
UUID = "5a1e5eed-0000-4000-8000-000000000009"

# name, mke2fs arguments, image size, whether the tree gets EA-inode xattrs
TEMPLATES = (
    ("ext4-1k", ["-t", "ext4", "-b", "1024", "-O", "^metadata_csum_seed"], "8M", False),
    ("ext4-nocsum-1k", ["-t", "ext4", "-b", "1024", "-O", "^metadata_csum,^metadata_csum_seed"],
     "8M", False),
    ("ext4-4k", ["-t", "ext4", "-b", "4096", "-O", "^metadata_csum"], "16M", False),
    ("ext4-inline-ea-1k", ["-t", "ext4", "-b", "1024", "-O",
                           "inline_data,ea_inode,^metadata_csum"], "8M", True),
    ("ext3-1k", ["-t", "ext3", "-b", "1024"], "8M", False),
    ("ext2-1k", ["-t", "ext2", "-b", "1024"], "4M", False),
)

INTERESTING8 = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x10, 0x40)
INTERESTING16 = (0x0000, 0x0001, 0x7FFF, 0x8000, 0xFFFF, 0x0400, 0x1000, 0xF30A, 0x0002)
INTERESTING32 = (0x00000000, 0x00000001, 0x00000002, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                 0x0000FFFF, 0x00010000, 0x00000400, 0x00001000, 0xEA020000, 0xC03B3998)

CLASSES = ("refused", "served", "crashed", "hung", "ro-write", "unclear")
FAILING = ("crashed", "hung", "ro-write", "unclear")

# How often each kind of metadata is picked as the target of a mutation.
KIND_WEIGHTS = {"super": 3, "gdt": 3, "bitmap": 1, "itable": 6, "extent": 4, "dir": 6,
                "xattr": 3, "jsb": 2}


@dataclass
class Template:
    name: str
    path: str
    block_size: int
    regions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # kind -> (off, len)


def log(msg: str) -> None:
    print(f"imgfuzz: {msg}", flush=True)


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=FAKE_TIME, SOURCE_DATE_EPOCH=FAKE_TIME)
    return subprocess.run(argv, check=True, capture_output=True, text=True, env=env, **kw)


# ---- templates ------------------------------------------------------------------------------

def make_tree(root: str, ea_inode: bool, block_size: int) -> list[str]:
    """Fill @root with a fixed tree; return its paths relative to it."""
    rng = random.Random("imgfuzz-tree")
    paths = []

    def add(rel: str, data: bytes | None = None, xattrs: dict[str, bytes] | None = None) -> None:
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if data is not None:
            with open(p, "wb") as f:
                f.write(data)
        for k, v in (xattrs or {}).items():
            os.setxattr(p, k, v)
        paths.append(rel)

    add("small.txt", b"hello, fuzz\n" * 4, {"user.small": b"v" * 20})
    add("empty", b"")
    add("big.bin", rng.randbytes(300 * 1024), {"user.block": b"b" * (block_size // 2)})
    # Many extents (holes between them): an extent index block or
    # indirect blocks.
    p = os.path.join(root, "sparse.bin")
    with open(p, "wb") as f:
        for i in range(14):
            f.seek(i * 40 * block_size)
            f.write(rng.randbytes(block_size))
    paths.append("sparse.bin")
    os.makedirs(os.path.join(root, "dir_big"))
    paths.append("dir_big")
    for i in range(160):
        add(f"dir_big/entry-with-a-long-name-{i:04d}-{'x' * (i % 40)}", rng.randbytes(i * 3))
    add("a/b/c/deep.txt", b"deep\n" * 100, {"user.one": b"1", "user.two": b"2" * 100})
    paths += ["a", "a/b", "a/b/c"]
    os.symlink("small.txt", os.path.join(root, "fast-link"))
    os.symlink("a/b/c/" + "../" * 3 + "x" * 80, os.path.join(root, "slow-link"))
    paths += ["fast-link", "slow-link"]
    os.link(os.path.join(root, "small.txt"), os.path.join(root, "a/hardlink"))
    paths.append("a/hardlink")
    os.mkfifo(os.path.join(root, "fifo"))
    paths.append("fifo")
    if ea_inode:
        add("ea/huge-xattr", b"data", {"user.huge": rng.randbytes(3 * block_size)})
        add("ea/inline", b"tiny")
    for rel in paths:
        os.utime(os.path.join(root, rel), (1600000000, 1600000000), follow_symlinks=False)
    return paths


def debugfs(img: str, cmds: list[str]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".cmds") as f:
        f.write("\n".join(cmds) + "\n")
        f.flush()
        return run(["debugfs", "-f", f.name, img]).stdout


def block_ranges(text: str) -> list[int]:
    """Block numbers in debugfs `stat` output: (0-3):100-103, (ETB0):50 ..."""
    out = []
    for m in re.finditer(r"\(([^)]*)\):(\d+)(?:-(\d+))?", text):
        lo, hi = int(m.group(2)), int(m.group(3) or m.group(2))
        out += range(lo, min(hi, lo + 64) + 1)
    return out


def map_metadata(img: str, bs: int, paths: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Byte regions of each kind of metadata block in @img."""
    regions: dict[str, list[tuple[int, int]]] = {k: [] for k in KIND_WEIGHTS}
    regions["super"].append((1024, 1024))
    dump = run(["dumpe2fs", img]).stdout
    isize = int(re.search(r"Inode size:\s+(\d+)", dump).group(1))
    used = 0
    for m in re.finditer(r"Group descriptors at (\d+)-(\d+)", dump):
        for b in range(int(m.group(1)), int(m.group(2)) + 1):
            regions["gdt"].append((b * bs, bs))
    for m in re.finditer(r"(Block|Inode) bitmap at (\d+)", dump):
        regions["bitmap"].append((int(m.group(2)) * bs, bs))
    tables = [int(m.group(1)) for m in re.finditer(r"Inode table at (\d+)-\d+", dump)]
    stats = debugfs(img, [f'stat "/{p}"' for p in paths] + ["stat <8>", "bmap <8> 0"])
    sections = re.split(r"^debugfs: ", stats, flags=re.M)
    for sec in sections[1:]:
        head, _, body = sec.partition("\n")
        inum = re.search(r"Inode: (\d+)", body)
        if inum:
            used = max(used, int(inum.group(1)))
        acl = re.search(r"File ACL: (\d+)", body)
        if acl and int(acl.group(1)):
            regions["xattr"].append((int(acl.group(1)) * bs, bs))
        for m in re.finditer(r"\((?:ETB\d+|IND|DIND|TIND)\):(\d+)", body):
            regions["extent"].append((int(m.group(1)) * bs, bs))
        if head.startswith("bmap"):
            jblk = int(body.split()[0]) if body.split() and body.split()[0].isdigit() else 0
            if jblk:
                regions["jsb"].append((jblk * bs, 1024))
        elif "Type: directory" in body:
            for b in block_ranges(body.split("EXTENTS:")[-1].split("BLOCKS:")[-1]):
                regions["dir"].append((b * bs, bs))
    # Directory blocks of the root and lost+found.
    root = debugfs(img, ["stat /", "stat /lost+found"])
    for sec in re.split(r"^debugfs: ", root, flags=re.M)[1:]:
        body = sec.partition("\n")[2]
        for b in block_ranges(body.split("EXTENTS:")[-1].split("BLOCKS:")[-1]):
            regions["dir"].append((b * bs, bs))
    if tables:
        nbytes = max(used, 16) * isize
        regions["itable"].append((tables[0] * bs, nbytes))
    # The extent tree root and inline data live in the inode: covered by itable.
    return {k: sorted(set(v)) for k, v in regions.items() if v}


def build_templates(work: str) -> list[Template]:
    out = []
    for name, args, size, ea in TEMPLATES:
        bs = int(args[args.index("-b") + 1])
        tree = os.path.join(work, f"tree-{name}")
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        paths = make_tree(tree, ea, bs)
        img = os.path.join(work, f"{name}.img")
        if os.path.exists(img):
            os.unlink(img)
        run(["mke2fs", "-q", "-F", *args, "-U", UUID, "-E", f"hash_seed={UUID},root_owner=0:0",
             "-d", tree, img, size])
        # mke2fs -d copies the source's ctime, which cannot be set: fix it
        # so that a (seed, case) pair means the same image on every run.
        fixed = ["/", "/lost+found"] + [f"/{p}" for p in paths]
        subprocess.run(["debugfs", "-w", "-f", "-", img], check=True, capture_output=True,
                       env=dict(os.environ, E2FSPROGS_FAKE_TIME=FAKE_TIME),
                       input="".join(f'sif "{p}" ctime @{FAKE_TIME}\n' for p in fixed).encode())
        # mke2fs 1.47.0 miscounts i_blocks of an EA inode's owner; the
        # templates need not be clean, but say so.
        fsck = subprocess.run(["e2fsck", "-fn", img], check=False, capture_output=True)
        if fsck.returncode:
            log(f"template {name}: e2fsck -fn exits {fsck.returncode} before mutation")
        t = Template(name, img, bs)
        t.regions = map_metadata(img, bs, paths)
        shutil.rmtree(tree)
        out.append(t)
        summary = ", ".join(f"{k} {len(v)}" for k, v in t.regions.items())
        log(f"template {name}: {summary}")
    return out


# ---- mutations ------------------------------------------------------------------------------

def pick_region(rng: random.Random, t: Template) -> tuple[str, int, int]:
    kinds = [k for k in KIND_WEIGHTS if k in t.regions]
    kind = rng.choices(kinds, [KIND_WEIGHTS[k] for k in kinds])[0]
    off, length = rng.choice(t.regions[kind])
    return kind, off, length


def mutate(rng: random.Random, t: Template, img: bytearray) -> list[str]:
    """Apply 1 to 4 mutations to @img; return their descriptions."""
    done = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        kind, off, length = pick_region(rng, t)
        op = rng.choices(("bitflip", "byte", "field16", "field32", "copy", "swap", "zero"),
                         (5, 3, 3, 4, 1, 1, 1))[0]
        if op == "bitflip":
            for _ in range(rng.choice((1, 1, 2, 4))):
                pos = off + rng.randrange(length)
                img[pos] ^= 1 << rng.randrange(8)
                done.append(f"{kind}: flip bit at {pos}")
        elif op == "byte":
            pos = off + rng.randrange(length)
            img[pos] = rng.choice(INTERESTING8)
            done.append(f"{kind}: byte {pos} = {img[pos]:#x}")
        elif op in ("field16", "field32"):
            width = 2 if op == "field16" else 4
            pos = off + rng.randrange(max(1, length // width)) * width
            val = rng.choice(INTERESTING16 if width == 2 else INTERESTING32)
            if rng.random() < 0.3:
                val = rng.getrandbits(8 * width)
            struct.pack_into("<H" if width == 2 else "<I", img, pos, val)
            done.append(f"{kind}: {8 * width}-bit field at {pos} = {val:#x}")
        elif op in ("copy", "swap"):
            kind2, off2, len2 = pick_region(rng, t)
            n = min(length, len2, t.block_size)
            a, b = bytes(img[off:off + n]), bytes(img[off2:off2 + n])
            img[off2:off2 + n] = a
            if op == "swap":
                img[off:off + n] = b
            done.append(f"{op} {n} bytes {kind}@{off} -> {kind2}@{off2}")
        else:
            pos = off + rng.randrange(length)
            n = min(rng.choice((4, 16, 64, 256)), off + length - pos)
            img[pos:pos + n] = bytes(n)
            done.append(f"{kind}: zero {n} bytes at {pos}")
    return done


# ---- the workload (runs in a forked child; one line on @out per operation) ----------------

def workload(mnt: str, rw: bool, rng: random.Random, out: int) -> None:
    def step(name: str, fn, *args):
        os.write(out, (name + "\n").encode())
        try:
            return fn(*args)
        except (OSError, ValueError):
            return None

    files: list[str] = []
    dirs: list[str] = []
    todo, seen = [mnt], 0
    step("statvfs", os.statvfs, mnt)
    while todo and seen < 600:
        d = todo.pop()
        names = step(f"readdir {d}", os.listdir, d)
        for n in sorted(names or []):
            seen += 1
            p = os.path.join(d, n)
            st = step(f"lstat {p}", os.lstat, p)
            step(f"listxattr {p}", xattrs, p)
            if st is None:
                continue
            if (st.st_mode & 0o170000) == 0o040000:
                dirs.append(p)
                if p.count("/") < 24:
                    todo.append(p)
            elif (st.st_mode & 0o170000) == 0o100000:
                files.append(p)
                step(f"read {p}", read_file, p)
                step(f"seek {p}", seek_file, p)
            elif (st.st_mode & 0o170000) == 0o120000:
                step(f"readlink {p}", os.readlink, p)
    if not rw:
        return
    base = os.path.join(mnt, "fuzz-new")
    step("create", write_new, base, rng.randbytes(70000))
    for p in rng.sample(files, min(4, len(files))):
        step(f"pwrite {p}", pwrite, p, rng.randrange(1 << 20), rng.randbytes(9000))
        step(f"truncate {p}", os.truncate, p, rng.choice((0, 1, 4095, 5000, 1 << 20)))
        step(f"fallocate {p}", falloc, p, rng.randrange(1 << 19), rng.randrange(1, 1 << 18))
        step(f"setxattr {p}", os.setxattr, p, "user.fuzz", rng.randbytes(rng.randrange(1, 600)))
    for p in rng.sample(files, min(3, len(files))):
        step(f"rename {p}", os.rename, p, p + ".renamed")
    if len(files) >= 2:
        a, b = rng.sample(files, 2)
        step(f"rename {a} over {b}", os.rename, a, b)
    for p in rng.sample(files, min(3, len(files))):
        step(f"unlink {p}", os.unlink, p)
    for d in rng.sample(dirs, min(2, len(dirs))):
        step(f"mkdir in {d}", os.mkdir, os.path.join(d, "fuzz-dir"))
        step(f"create in {d}", write_new, os.path.join(d, "fuzz-dir", "f"), b"x" * 3000)
        step(f"symlink in {d}", os.symlink, "t" * 100, os.path.join(d, "fuzz-link"))
        step(f"rmdir {d}", os.rmdir, d)
    step("syncfs", syncfs, mnt)


def xattrs(p: str) -> None:
    for k in os.listxattr(p, follow_symlinks=False):
        try:
            os.getxattr(p, k, follow_symlinks=False)
        except OSError:
            pass


def read_file(p: str) -> None:
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        for _ in range(8):
            if not os.read(fd, 65536):
                break
    finally:
        os.close(fd)


def seek_file(p: str) -> None:
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        for whence in (os.SEEK_DATA, os.SEEK_HOLE):
            try:
                os.lseek(fd, 0, whence)
            except OSError:
                pass
    finally:
        os.close(fd)


def write_new(p: str, data: bytes) -> None:
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def pwrite(p: str, off: int, data: bytes) -> None:
    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.pwrite(fd, data, off)
    finally:
        os.close(fd)


def falloc(p: str, off: int, length: int) -> None:
    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.posix_fallocate(fd, off, length)
    finally:
        os.close(fd)


def syncfs(p: str) -> None:
    fd = os.open(p, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- one mount ------------------------------------------------------------------------------

SANITIZER = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|"
                       r"AddressSanitizer:DEADLYSIGNAL|UndefinedBehaviorSanitizer")


SERVER: subprocess.Popen | None = None  # the fuse4fs being fuzzed, for cleanup


def mounted(mnt: str) -> bool:
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == mnt for line in f)


def force_unmount(mnt: str) -> None:
    for _ in range(3):
        if not mounted(mnt):
            return
        subprocess.run(["umount", "-l", mnt], check=False, capture_output=True)


def one_mount(fuse4fs: str, img: str, mnt: str, logpath: str, rw: bool,
              rng: random.Random) -> tuple[str, str]:
    """Mount @img, run the workload, unmount; return (class, detail)."""
    env = dict(os.environ,
               ASAN_OPTIONS="abort_on_error=1:detect_leaks=0:symbolize=1:handle_abort=1",
               UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1",
               FUSE_IOMAP_MOUNT="required")
    global SERVER
    with open(logpath, "wb") as logf:
        SERVER = srv = subprocess.Popen([fuse4fs, img, mnt, "-f", "-o", "rw" if rw else "ro",
                                "-o", "iomap=off"], stdout=logf, stderr=subprocess.STDOUT,
                               env=env, start_new_session=True)
    cls, detail = "served", ""
    deadline = time.monotonic() + MOUNT_TIMEOUT
    while not mounted(mnt):
        if srv.poll() is not None:
            break
        if time.monotonic() > deadline:
            cls, detail = "hung", "mount"
            break
        time.sleep(0.02)
    if cls == "served" and srv.poll() is not None and not mounted(mnt):
        text = open(logpath, errors="replace").read()
        rc = srv.returncode
        if SANITIZER.search(text) or rc < 0:
            return "crashed", f"before mounting (exit {rc})"
        last = text.strip().splitlines()[-1][:200] if text.strip() else ""
        if 2 <= rc <= 6 and last.startswith("fuse4fs: ") and "Unknown code" not in last:
            return "refused", last
        return "unclear", f"exit {rc}: {last}"
    child = None
    if cls == "served":
        cls, detail, child = run_workload(mnt, rw, rng)
    if cls == "hung":
        srv.send_signal(signal.SIGKILL)
        srv.wait()
        force_unmount(mnt)
        if child is not None:
            wait_child(child)
        return cls, detail
    r = subprocess.run(["umount", mnt], check=False, capture_output=True, timeout=EXIT_TIMEOUT)
    if r.returncode != 0:
        force_unmount(mnt)
    try:
        srv.wait(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()
        return "hung", "exit after unmount"
    text = open(logpath, errors="replace").read()
    if SANITIZER.search(text) or srv.returncode < 0:
        return "crashed", f"served, then exit {srv.returncode}"
    return cls, f"{detail}, exit {srv.returncode}"


def run_workload(mnt: str, rw: bool, rng: random.Random) -> tuple[str, str, int | None]:
    rfd, wfd = os.pipe()
    wseed = rng.getrandbits(64)
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            workload(mnt, rw, random.Random(wseed), wfd)
        finally:
            os._exit(0)
    os.close(wfd)
    last, result, buf, nops = "start", ("served", ""), b"", 0
    while True:
        ready, _, _ = select.select([rfd], [], [], OP_TIMEOUT)
        if not ready:
            result = ("hung", last)
            break
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        buf += chunk
        lines = buf.split(b"\n")
        buf = lines[-1]
        if len(lines) > 1:
            last = lines[-2].decode(errors="replace")
            nops += len(lines) - 1
    os.close(rfd)
    if result[0] == "hung":
        # The caller kills the server, which aborts the connection and
        # ends the child's blocked request; then it waits for the child.
        return result[0], result[1], pid
    os.waitpid(pid, 0)
    return result[0], f"{nops} operations", None


def wait_child(pid: int) -> None:
    """Wait for the workload child, which must not outlive its mount."""
    deadline = time.monotonic() + EXIT_TIMEOUT
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# ---- cases ----------------------------------------------------------------------------------

def sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_case(args, templates: list[Template], seed: int, case: int) -> dict:
    rng = random.Random(f"{seed}/{case}")
    t = rng.choice(templates)
    with open(t.path, "rb") as f:
        data = bytearray(f.read())
    muts = mutate(rng, t, data)
    work = os.path.join(args.out, "work")
    img, mnt = os.path.join(work, "case.img"), os.path.join(work, "mnt")
    os.makedirs(mnt, exist_ok=True)
    res = {"case": case, "template": t.name, "mutations": muts}
    for mode in ("ro", "rw"):
        with open(img, "wb") as f:
            f.write(data)
        before = sha(img)
        logpath = os.path.join(work, f"{mode}.log")
        cls, detail = one_mount(args.fuse4fs, img, mnt, logpath, mode == "rw", rng)
        if mode == "ro" and cls in ("served", "refused") and sha(img) != before:
            cls, detail = "ro-write", "image changed across a read-only mount"
        res[mode] = [cls, detail]
        if cls in FAILING:
            save_failure(args, seed, case, mode, data, logpath, res)
    return res


def save_failure(args, seed: int, case: int, mode: str, data: bytes, logpath: str,
                 res: dict) -> None:
    d = os.path.join(args.out, "failures", f"seed{seed}-case{case}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "image"), "wb") as f:
        f.write(data)
    shutil.copy(logpath, os.path.join(d, f"fuse4fs-{mode}.log"))
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(res, f, indent=1)
    cls, detail = res[mode]
    log(f"FAIL {cls} ({mode}): seed {seed} case {case} ({res['template']}): {detail}")
    log(f"  mutations: {'; '.join(res['mutations'])}")
    log(f"  image and log: {d}")
    log(f"  rerun: scripts/lab imgfuzz --seed {seed} --first {case} --cases 1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fuse4fs", required=True)
    ap.add_argument("--out", required=True,
                    help="work directory: results.jsonl (one line per case), failures/")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--summary", help="write the counts as JSON here")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    start = time.monotonic()
    templates = build_templates(work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run_cases(args, templates, start)
    finally:
        # Interrupted: leave no server and no mount behind.
        if SERVER is not None and SERVER.poll() is None:
            SERVER.kill()
            SERVER.wait()
        force_unmount(os.path.join(work, "mnt"))


def run_cases(args, templates: list[Template], start: float) -> int:
    counts = {m: {c: 0 for c in CLASSES} for m in ("ro", "rw")}
    failures = []
    results = open(os.path.join(args.out, "results.jsonl"), "w")
    for case in range(args.first, args.first + args.cases):
        res = run_case(args, templates, args.seed, case)
        results.write(json.dumps(res) + "\n")
        results.flush()
        for m in ("ro", "rw"):
            counts[m][res[m][0]] += 1
        if any(res[m][0] in FAILING for m in ("ro", "rw")):
            failures.append(case)
        done = case - args.first + 1
        if done % 50 == 0:
            log(f"{done} cases, {time.monotonic() - start:.0f} s")
    secs = time.monotonic() - start
    for m in ("ro", "rw"):
        c = counts[m]
        log(f"{m}: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    log(f"seed {args.seed}, cases {args.first}..{args.first + args.cases - 1}: "
        f"{len(failures)} failing cases in {secs:.0f} s")
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump({"seed": args.seed, "first": args.first, "cases": args.cases,
                       "seconds": round(secs), "counts": counts, "failures": failures}, f)
    return 1 if failures else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
