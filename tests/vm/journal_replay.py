#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Journal replay by fuse4fs against kernel ext4's own replay.

For each case (a workload and a seed): make an ext4 image, run the
workload on kernel ext4 committing transactions with fsync only (so the
metadata stays in the journal, not yet written home), stop the filesystem
with EXT4_IOC_SHUTDOWN and the log-flush flag (the journal is committed,
then aborted: a dirty journal, as after a crash), unmount.  Copy the image
twice; mount one copy with kernel ext4 (it replays), the other with
`mount -t fuse4fs` read-write (fuse4fs replays, after its privilege
drop); both trees (names, types, modes, owners, sizes, link counts,
times, symlink targets, xattrs, file checksums) must be identical, and
`e2fsck -fn` clean on both copies.

usage: journal_replay.py WORKDIR RESULTS [WORKLOAD:SEED ...]
Each case appends "pass|fail journal-replay/WORKLOAD-SEED SECONDS" to
RESULTS (run-all's results file, so scripts/check counts each case).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import time

FUSE4FS = "/mnt/lab/build/userspace/fuse4fs"
EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_LOGFLUSH = 0x1
# mkfs.ext4 variants: the kernel journals with checksum v3 on
# metadata_csum filesystems, without checksums otherwise; 64bit decides
# the tag size.
FEATURES = [
    [],
    ["-O", "^metadata_csum,^64bit"],
    ["-O", "^metadata_csum"],
]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(argv, text=True, capture_output=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: status {r.returncode}: {r.stderr.strip()[-500:]}")
    return r


def fsync_path(p: str) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(p: str, data: bytes, sync: bool = False) -> None:
    with open(p, "wb") as f:
        f.write(data)
        if sync:
            f.flush()
            os.fsync(f.fileno())


# Workloads: each commits with fsync along the way; whatever is left in
# the running transaction is committed by the log-flush shutdown.
def wl_creates(root: str, rng: random.Random) -> None:
    for d in range(6):
        os.makedirs(f"{root}/d{d}/sub", exist_ok=True)
        for i in range(rng.randint(10, 40)):
            write_file(f"{root}/d{d}/f{i}", rng.randbytes(rng.choice([0, 100, 5000, 70000])))
        os.symlink(f"d{d}/f0", f"{root}/link{d}")
        os.link(f"{root}/d{d}/f0", f"{root}/d{d}/sub/hard")
        os.mknod(f"{root}/d{d}/fifo", 0o600 | stat.S_IFIFO)
        os.chmod(f"{root}/d{d}/f1", 0o640)
        os.chown(f"{root}/d{d}/f1", 1000 + d, 2000)
        fsync_path(f"{root}/d{d}/f0")
        fsync_path(f"{root}/d{d}")


def wl_renames(root: str, rng: random.Random) -> None:
    os.makedirs(f"{root}/a")
    os.makedirs(f"{root}/b")
    names = []
    for i in range(200):
        n = f"{root}/a/n{i}"
        write_file(n, rng.randbytes(rng.randint(0, 3000)))
        names.append(n)
    fsync_path(f"{root}/a")
    for i in range(400):
        src = rng.choice(names)
        dst = f"{root}/{rng.choice('ab')}/r{rng.randint(0, 150)}"
        if src == dst:
            continue
        os.rename(src, dst)  # may replace an existing name
        names = [x for x in names if x not in (src, dst)] + [dst]
        if i % 50 == 0:
            fsync_path(dst)
    os.rename(f"{root}/b", f"{root}/a/b-moved")


def wl_truncates(root: str, rng: random.Random) -> None:
    for i in range(30):
        p = f"{root}/t{i}"
        write_file(p, rng.randbytes(rng.randint(1, 400000)), sync=True)
        os.truncate(p, rng.randint(0, 600000))
        if i % 3 == 0:
            with open(p, "r+b") as f:
                f.seek(rng.randint(0, 700000))
                f.write(rng.randbytes(5000))
                os.fsync(f.fileno())


def wl_xattrs(root: str, rng: random.Random) -> None:
    for i in range(40):
        p = f"{root}/x{i}"
        write_file(p, b"x")
        for k in range(rng.randint(1, 4)):
            os.setxattr(p, f"user.k{k}", rng.randbytes(rng.choice([4, 60, 700])))
        if i % 4 == 0:
            os.removexattr(p, "user.k0")
        if i % 5 == 0:
            os.setxattr(p, "user.k0", b"replaced", os.XATTR_CREATE if i % 4 == 0 else 0)
        if i % 7 == 0:
            fsync_path(p)
    os.setxattr(root, "user.dir", b"on the root")


def wl_small(root: str, rng: random.Random) -> None:
    # One transaction per fsync: hundreds of small transactions.
    for i in range(300):
        write_file(f"{root}/s{i % 97}", rng.randbytes(rng.randint(0, 200)), sync=True)
        victim = f"{root}/s{rng.randint(0, 96)}"
        if i % 10 == 0 and os.path.exists(victim):
            os.unlink(victim)
            fsync_path(root)


def wl_revokes(root: str, rng: random.Random) -> None:
    # Directory and extent blocks journalled, then freed (revoke records),
    # then reused as file data, written in place before the next commit.
    # Replaying the old metadata over them would destroy that data.
    os.makedirs(f"{root}/big")
    for i in range(3000):
        write_file(f"{root}/big/name-with-some-length-{i:05}", b"")
    fsync_path(f"{root}/big")
    with open(f"{root}/frag", "wb") as f:
        for i in range(400):  # many extents: an extent tree with index blocks
            f.seek(i * 8192)
            f.write(b"e" * 4096)
        os.fsync(f.fileno())
    shutil.rmtree(f"{root}/big")
    os.unlink(f"{root}/frag")
    fsync_path(root)
    for i in range(20):
        write_file(f"{root}/after{i}", rng.randbytes(rng.randint(4096, 200000)), sync=True)


WORKLOADS = {
    "creates": wl_creates,
    "renames": wl_renames,
    "truncates": wl_truncates,
    "xattrs": wl_xattrs,
    "small": wl_small,
    "revokes": wl_revokes,
}


def tree(root: str) -> dict[str, tuple]:
    """Everything a replay decides about the tree, by path."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(p, root)
            if name == "" and rel != ".":
                continue
            st = os.lstat(p)
            entry: list = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid,
                           st.st_gid, st.st_nlink, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                entry += [st.st_size, h.hexdigest()]
            elif stat.S_ISLNK(st.st_mode):
                entry.append(os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                entry.append(sorted(os.listdir(p)))
            if not stat.S_ISLNK(st.st_mode):
                entry.append(sorted((k, os.getxattr(p, k, follow_symlinks=False))
                                    for k in os.listxattr(p, follow_symlinks=False)))
            out[rel] = tuple(repr(x) for x in entry)
    return out


def wait_unused(img: str) -> None:
    for _ in range(300):
        busy = False
        for fd in os.listdir("/proc"):
            if not fd.isdigit():
                continue
            try:
                for f in os.listdir(f"/proc/{fd}/fd"):
                    if os.readlink(f"/proc/{fd}/fd/{f}") == img:
                        busy = True
            except OSError:
                continue
        if not busy:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{img} still open after the unmount")


def needs_recovery(img: str) -> bool:
    return "needs_recovery" in sh("dumpe2fs", "-h", img, check=False).stdout


def run_case(work: str, workload: str, seed: int) -> None:
    rng = random.Random(seed)
    img = f"{work}/base.img"
    mnt = f"{work}/mnt"
    os.makedirs(mnt, exist_ok=True)
    feats = FEATURES[seed % len(FEATURES)]
    sh("mkfs.ext4", "-q", "-F", "-b", "4096", *feats, img, "128M")
    crash = f"{work}/crash.img"
    sh("mount", "-o", "loop", img, mnt)
    try:
        WORKLOADS[workload](mnt, rng)
        fd = os.open(mnt, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, struct.pack("I", EXT4_GOING_FLAGS_LOGFLUSH))
        finally:
            os.close(fd)
        # The image as a power cut would leave it now: the journal is
        # committed, the metadata it holds is still only in the loop
        # device's page cache (writeback is off, see main()).  The
        # unmount would write it home, so copy the backing file first.
        shutil.copyfile(img, crash)
    finally:
        sh("umount", mnt)
    img = crash
    if not needs_recovery(img):
        raise RuntimeError("the shutdown left no journal to recover")
    kimg, fimg = f"{work}/kernel.img", f"{work}/fuse4fs.img"
    shutil.copyfile(img, kimg)
    shutil.copyfile(img, fimg)

    # The case means something only if the journal holds changes: the
    # tree without replaying it (norecovery) must differ.
    sh("mount", "-t", "ext4", "-o", "loop,ro,norecovery", img, mnt)
    try:
        stale = tree(mnt)
    finally:
        sh("umount", mnt)
    sh("mount", "-t", "ext4", "-o", "loop", kimg, mnt)
    try:
        want = tree(mnt)
    finally:
        sh("umount", mnt)
    if stale == want:
        raise RuntimeError("the journal held no changes: the case tests nothing")
    # Every other case through /dev/fuse, the rest through fuse_iomap.ko.
    client = "iomap=off" if seed % 2 == 0 else "iomap=required"
    r = sh("mount", "-t", "fuse4fs", "-o", f"rw,{client}", fimg, mnt, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"mount -t fuse4fs failed ({r.returncode}): {r.stderr.strip()}")
    try:
        got = tree(mnt)
    finally:
        sh("umount", mnt)
        wait_unused(fimg)
    diffs = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    for k in diffs[:10]:
        print(f"  {k}:\n    kernel  {want.get(k)}\n    fuse4fs {got.get(k)}")
    if diffs:
        raise RuntimeError(f"{len(diffs)} of {len(want)} entries differ")
    for name, p in (("kernel", kimg), ("fuse4fs", fimg)):
        r = sh("e2fsck", "-fn", p, check=False)
        if r.returncode != 0:
            print(r.stdout[-3000:])
            raise RuntimeError(f"e2fsck -fn after the {name} replay: status {r.returncode}")
        if needs_recovery(p):
            raise RuntimeError(f"still needs recovery after the {name} replay")
    changed = sum(1 for k in set(want) | set(stale) if want.get(k) != stale.get(k))
    print(f"  {len(want)} entries identical ({changed} changed by the replay), "
          "e2fsck clean on both")


def main() -> int:
    work, results = sys.argv[1], sys.argv[2]
    # By default each workload once, the seeds varying the mkfs features
    # and the client (/dev/fuse or fuse_iomap.ko).
    cases = sys.argv[3:] or [f"{w}:{i + 1}" for i, w in enumerate(WORKLOADS)]
    failed = 0
    # Keep metadata the journal holds out of its home blocks until the
    # crash copy is taken: no periodic writeback.
    vm = {"dirty_writeback_centisecs": "0", "dirty_expire_centisecs": "360000"}
    saved = {k: open(f"/proc/sys/vm/{k}").read() for k in vm}
    for k, v in vm.items():
        with open(f"/proc/sys/vm/{k}", "w") as f:
            f.write(v)
    try:
        failed = run_cases(work, results, cases)
    finally:
        for k, v in saved.items():
            with open(f"/proc/sys/vm/{k}", "w") as f:
                f.write(v)
    return 1 if failed else 0


def run_cases(work: str, results: str, cases: list[str]) -> int:
    failed = 0
    for c in cases:
        workload, _, seed = c.partition(":")
        start = time.monotonic()
        print(f"--- journal-replay {workload} seed {seed}", flush=True)
        try:
            run_case(work, workload, int(seed))
            verdict = "pass"
        except Exception as e:  # noqa: BLE001 - every failure is reported as the case's
            print(f"FAIL: {workload} seed {seed}: {e}", flush=True)
            verdict = "fail"
            failed += 1
        secs = time.monotonic() - start
        with open(results, "a") as f:
            f.write(f"{verdict} journal-replay/{workload}-{seed} {secs:.1f}\n")
        print(f"--- {verdict} ({secs:.1f} s)", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
