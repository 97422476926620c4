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

import shutil
import tempfile
import time
from pathlib import Path

from . import config, image, util
from .util import LabError, bind, chroot_mounts, overlay, progress, run, sync_tree

MODULE_FILES = ("Kbuild", "Makefile", "VERSION", "dkms.conf", "module")
CHROOT_SRC = "lab/src"


def outputs_for(kver: str) -> Path:
    out = config.cache_dir() / "out" / kver
    out.mkdir(parents=True, exist_ok=True)
    return out


def _publish(kos: list[Path], kver: str) -> list[Path]:
    """Replace the modules the VM will load for @kver with @kos."""
    out = outputs_for(kver)
    for old in out.glob("*.ko*"):
        old.unlink()
    done = []
    for ko in kos:
        dest = out / ko.name
        shutil.copy2(ko, dest)
        done.append(dest)
    return done


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
        else:
            progress(f"dkms build and install of fuse_iomap for {kernel_name} ({img.kver})")
            with tempfile.TemporaryDirectory(dir=work) as tmp:
                with overlay([root.path], Path(tmp) / "upper", mnt):
                    chroot_make(mnt, src, "dkms-install", img.kver, make_args or [])
                    dest = mnt / "lib/modules" / img.kver / "updates/dkms"
                    kos = sorted(dest.glob("fuse_iomap.ko*"))
                    if not kos:
                        raise LabError(f"dkms reported success but installed no module in {dest}")
                    kos = [Path(shutil.copy2(k, Path(tmp) / k.name)) for k in kos]
                    kos = _publish(kos, img.kver)
            progress(f"dkms installed {', '.join(k.name for k in kos)} for {img.kver} "
                     f"in {time.monotonic() - start:.1f} s")
            return
        if not kos:
            raise LabError(f"the build produced no .ko in {src}")
        _publish(kos, img.kver)
        progress(f"built {', '.join(k.name for k in kos)} for {img.kver} in "
                 f"{time.monotonic() - start:.1f} s")
