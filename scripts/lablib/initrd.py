# SPDX-License-Identifier: GPL-2.0
"""The tiny initrd: static busybox, the few modules a virtio root needs.

Debian's kernels build virtio_blk, ext4 and 9p as modules, so booting the
dev-box disk needs an initrd.  Debian's own (initramfs-tools) costs about
4 s more per boot under TCG than this one, which only loads the modules,
mounts the root disk and the 9p shares and switches to the guest init that
lives in the checkout (scripts/guest/lab-init).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import subprocess
from pathlib import Path

from . import config
from .util import LabError, run

INIT = config.REPO / "scripts/guest/initrd-init"


class CpioWriter:
    """Write a cpio archive in the kernel's "newc" format to a byte stream."""

    def __init__(self, out: io.BufferedIOBase) -> None:
        self.out = out
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"") -> None:
        namez = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(namez), 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.ino += 1
        self.out.write(header + namez)
        self.out.write(b"\0" * (-(len(header) + len(namez)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name: str) -> None:
        self._entry(name, 0o040755)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self._entry(name, 0o100000 | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, 0o120777, target.encode())

    def close(self) -> None:
        self._entry("TRAILER!!!", 0)


def decompress_module(path: Path) -> bytes:
    """Return the ELF bytes of a (possibly compressed) kernel module."""
    data = path.read_bytes()
    if path.name.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.name.endswith(".ko.gz"):
        return gzip.decompress(data)
    if path.name.endswith(".ko.zst"):
        return subprocess.run(["zstd", "-dc", str(path)], check=True,
                              capture_output=True).stdout
    return data


def module_load_order(root: Path, kver: str, names: tuple[str, ...]) -> list[Path]:
    """The module files to insmod, dependencies first, for @names.

    Resolved by the root's own modprobe (it knows softdeps and builtins).
    """
    argv = ["chroot", str(root), "modprobe", "-a", "-S", kver, "--show-depends", *names]
    out = run(argv, capture=True).stdout
    paths: list[Path] = []
    for line in out.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "insmod":
            p = Path(words[1])
            if p not in paths:
                paths.append(p)
    if not paths:
        raise LabError(f"modprobe --show-depends found no modules for {names} in {root}")
    return paths


def initrd_path(kver: str, dest_dir: Path,
                modules: tuple[str, ...] = config.INITRD_MODULES) -> Path:
    """Where the initrd for @kver and the current init script lives."""
    key = hashlib.sha256(INIT.read_bytes() + kver.encode() + repr(modules).encode())
    return dest_dir / f"initrd-{key.hexdigest()[:12]}.gz"


def build_initrd(modules_root: Path, busybox_root: Path, kver: str, dest_dir: Path,
                 modules: tuple[str, ...] = config.INITRD_MODULES) -> Path:
    """Build (or reuse) the initrd for @kver; returns its path.

    Keyed by the init script and the kernel version, so editing
    scripts/guest/initrd-init takes effect on the next run.  @modules are
    the modules to load (none for a kernel that has them built in).
    """
    init = INIT.read_bytes()
    dest = initrd_path(kver, dest_dir, modules)
    if dest.exists():
        return dest
    order = module_load_order(modules_root, kver, modules) if modules else []
    buf = io.BytesIO()
    cpio = CpioWriter(buf)
    for d in ("bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules"):
        cpio.dir(d)
    cpio.file("bin/busybox", (busybox_root / "usr/bin/busybox").read_bytes(), 0o755)
    cpio.symlink("bin/sh", "busybox")
    cpio.file("init", init, 0o755)
    names = []
    for p in order:
        host = modules_root / str(p).lstrip("/")
        name = p.name.split(".ko")[0] + ".ko"
        cpio.file(f"lib/modules/{name}", decompress_module(host))
        names.append(name)
    cpio.file("modules.order", "".join(n + "\n" for n in names).encode())
    cpio.close()
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(buf.getvalue(), compresslevel=1))
    tmp.rename(dest)
    for old in dest_dir.glob("initrd-*.gz"):
        if old != dest:
            old.unlink()
    return dest
