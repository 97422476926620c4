# SPDX-License-Identifier: GPL-2.0
"""`lab build`: build this checkout inside the dev box.

The module is never built against the host kernel.  For each target kernel
the sources are copied (by content, so make stays incremental) into
<cache>/build/<kernel>/src and built in a chroot of that kernel's suite,
through an overlay so the cached root stays pristine:

- default: the Makefile's `module` target (compat probes + Kbuild), the
  fast edit loop;
- --dkms: `make dkms-install` in a throwaway overlay, i.e. dkms add, build
  and install as on a user's machine; the module dkms installed is the one
  the VM then loads.

Results land in <cache>/out/<kver>/, the guest's /mnt/lab/build/<kver>.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import tempfile
import time
from pathlib import Path

from . import config, image, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run, sync_tree

MODULE_FILES = ("Kbuild", "Makefile", "VERSION", "dkms.conf", "module")
CHROOT_SRC = "lab/src"


def elf_sections(data: bytes) -> dict[str, bytes]:
    """Contents of the sections of a little-endian ELF64 file, by name."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise LabError("not a little-endian ELF64 object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx]
    strtab = data[names[4]:names[4] + names[5]]
    out = {}
    for name_off, kind, _flags, _addr, off, size in headers:
        name = strtab[name_off:strtab.index(b"\0", name_off)].decode()
        out[name] = data[off:off + size] if kind != 8 else b""  # 8: SHT_NOBITS
    return out


def depmod_fingerprint(kos: list[Path]) -> str:
    """What depmod's indexes depend on: names, modinfo, exported symbols.

    srcversion (a hash of the sources) is left out: it changes on every
    edit but depmod does not index it, so a code-only change needs no new
    depmod run.
    """
    h = hashlib.sha256()
    for ko in sorted(kos):
        sections = elf_sections(ko.read_bytes())
        info = [f for f in sections.get(".modinfo", b"").split(b"\0")
                if f and not f.startswith(b"srcversion=")]
        h.update(ko.name.encode() + b"\0" + b"\0".join(sorted(info)))
        h.update(sections.get("__ksymtab_strings", b""))
    return h.hexdigest()


def publish(mnt: Path, kver: str, kos: list[Path] | None) -> list[Path]:
    """Publish the built modules for the VM, with ready module indexes.

    The guest copies <cache>/out/<kver>/ over its root, so the output is a
    small tree: the modules under /usr/lib/modules/<kver>/updates/ plus
    the modules.* indexes that depmod made for them in the chroot (depmod
    of a whole distro module tree takes ~30 s under TCG, ~1 s natively).
    With @kos (a plain Kbuild build) they are installed into updates/lab
    and depmod is run here; otherwise dkms installed them and ran depmod.
    """
    moddir = mnt / "usr/lib/modules" / kver
    if kos is not None:
        lab = moddir / "updates/lab"
        stamp = moddir / "updates/.lab-depmod"
        fingerprint = depmod_fingerprint(kos)
        shutil.rmtree(lab, ignore_errors=True)
        lab.mkdir(parents=True)
        for ko in kos:
            shutil.copy2(ko, lab / ko.name)
        if not stamp.exists() or stamp.read_text() != fingerprint:
            run(["chroot", str(mnt), "depmod", "-a", kver])
            stamp.write_text(fingerprint)
    out = config.cache_dir() / "out" / kver
    shutil.rmtree(out, ignore_errors=True)
    dest = out / "usr/lib/modules" / kver
    dest.mkdir(parents=True)
    published = []
    for ko in sorted((moddir / "updates").rglob("fuse_iomap*.ko*")):
        target = dest / ko.relative_to(moddir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ko, target)
        published.append(target)
    for index in moddir.glob("modules.*"):
        shutil.copy2(index, dest / index.name)
    if not published:
        raise LabError(f"no fuse_iomap module found under {moddir}/updates")
    return published


def chroot_make(mnt: Path, src: Path, target: str, kver: str,
                make_args: list[str]) -> None:
    """Run `make TARGET` of the checkout's Makefile inside the chroot @mnt."""
    with chroot_mounts(mnt), bind(src, mnt / CHROOT_SRC):
        run(["chroot", str(mnt), "make", "-C", f"/{CHROOT_SRC}", target,
             f"KDIR=/lib/modules/{kver}/build", f"KVER={kver}", *make_args])


def build(kernel_name: str, dkms: bool = False, make_args: list[str] | None = None) -> None:
    kernel = config.KERNELS[kernel_name]
    img = image.ensure_image(kernel_name)
    root = image.find_root(kernel.suite)
    if root is None:
        raise LabError(f"the {kernel.suite} root is missing; run `lab image`")
    if not (config.REPO / "Makefile").exists():
        raise LabError("no top-level Makefile in the checkout: nothing to build")
    cache = config.cache_dir()
    work = cache / "build" / kernel_name
    src = work / "src"
    with util.cache_lock(cache, exclusive=True):
        copied = sync_tree(config.REPO, src, MODULE_FILES)
        start = time.monotonic()
        mnt = cache / "mnt" / f"build-{kernel_name}"
        if not dkms:
            progress(f"building fuse_iomap for {kernel_name} ({img.kver}), "
                     f"{copied} file(s) changed")
            upper = work / f"upper-{root.suite.key()}"
            with overlay([root.path], upper, mnt):
                chroot_make(mnt, src, "module", img.kver, make_args or [])
                kos = sorted(src.glob("*.ko"))
                if not kos:
                    raise LabError(f"the build produced no .ko in {src}")
                kos = publish(mnt, img.kver, kos)
        else:
            progress(f"dkms build and install of fuse_iomap for {kernel_name} ({img.kver})")
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                with overlay([root.path], Path(tmp) / "upper", mnt):
                    chroot_make(mnt, src, "dkms-install", img.kver, make_args or [])
                    dest = mnt / "usr/lib/modules" / img.kver / "updates/dkms"
                    if not list(dest.glob("fuse_iomap.ko*")):
                        raise LabError(f"dkms reported success but installed no module in {dest}")
                    kos = publish(mnt, img.kver, None)
            progress(f"dkms installed {', '.join(k.name for k in kos)} for {img.kver} "
                     f"in {time.monotonic() - start:.1f} s")
            return
        progress(f"built {', '.join(k.name for k in kos)} for {img.kver} in "
                 f"{time.monotonic() - start:.1f} s")
