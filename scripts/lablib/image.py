# SPDX-License-Identifier: GPL-2.0
"""`lab image`: build or reuse the dev-box root filesystems and VM images.

A *root* is a directory made by debootstrap plus the suite's packages; it
serves as the build chroot (always through an overlay, never written to
after it is complete).  An *image* is what a VM boots: a raw ext4 disk made
from the trixie root with `mke2fs -d` (opened with snapshot=on, so runs
never change it), the target kernel, and a tiny initrd made per run.

Both are keyed by their inputs (see config.Suite.key) and marked complete
by a stamp file written last, so an interrupted build is redone, not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import config, host, util
from .util import (
    LabError,
    bind,
    cache_lock,
    chroot_mounts,
    mounts_under,
    overlay,
    progress,
    run,
    timed,
)

STAMP = ".complete"
IMAGE_SIZE = "6G"

# Users and group fstests expects on the machine under test.
FSTESTS_USERS = ("fsgqa", "fsgqa2", "123456-fsgqa")


@dataclass(frozen=True)
class Root:
    suite: config.Suite
    path: Path

    @property
    def kver(self) -> str:
        return kernel_version(self.path)


@dataclass(frozen=True)
class Image:
    kernel: config.Kernel
    path: Path
    kver: str
    modules_root: Path  # root whose /lib/modules/kver the initrd takes

    @property
    def disk(self) -> Path:
        return self.path / "root.img"

    @property
    def vmlinuz(self) -> Path:
        return self.path / "vmlinuz"


def kernel_version(root: Path) -> str:
    """The version of the one kernel installed in @root (from /boot)."""
    found = sorted(p.name[len("vmlinuz-"):] for p in (root / "boot").glob("vmlinuz-*"))
    if len(found) != 1:
        raise LabError(f"expected one kernel in {root}/boot, found {found or 'none'}")
    return found[0]


def root_path(suite: config.Suite) -> Path:
    return config.cache_dir() / "roots" / f"{suite.name}-{suite.key()}"


def find_root(suite_name: str) -> Root | None:
    suite = config.SUITES[suite_name]
    path = root_path(suite)
    if (path / STAMP).exists():
        return Root(suite, path)
    return None


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    if util.DRY_RUN:
        print(f"# write {path}: {text!r}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _configure_apt(root: Path, suite: config.Suite, mirror: str) -> None:
    types = "deb deb-src" if suite.deb_src else "deb"
    _write(
        root / "etc/apt/sources.list.d/debian.sources",
        f"Types: {types}\nURIs: {mirror}\nSuites: {suite.name}\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
    )
    sources_list = root / "etc/apt/sources.list"
    if sources_list.exists() and not util.DRY_RUN:
        sources_list.unlink()
    conf = 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
    if suite.ignore_valid_until:
        conf += 'Acquire::Check-Valid-Until "false";\n'
    _write(root / "etc/apt/apt.conf.d/90fuse-iomap-lab", conf)
    # No service may start inside the chroot.
    _write(root / "usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755)
    # apt needs name resolution while the image is built; the VM has no network.
    _write(root / "etc/resolv.conf", Path("/etc/resolv.conf").read_text())


def build_root(suite: config.Suite, mirror: str) -> Root:
    """debootstrap @suite and install its packages into a fresh root."""
    cache = config.cache_dir()
    path = root_path(suite)
    logdir = cache / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    debs = cache / "debs" / suite.name
    debs.mkdir(parents=True, exist_ok=True)
    if path.exists() and not util.DRY_RUN:
        if mounts_under(path):
            raise LabError(f"{path} has mounts under it; unmount them first")
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(logdir / f"root-{suite.name}.log", "w") as log:
        with timed(f"debootstrap {suite.name} (log: {log.name})"):
            run(
                ["debootstrap", "--variant=minbase", f"--cache-dir={debs}",
                 suite.name, str(path), mirror],
                log=log,
            )
        _configure_apt(path, suite, mirror)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C.UTF-8")
        with chroot_mounts(path), bind(debs, path / "var/cache/apt/archives"):
            with timed(f"apt-get install {len(suite.packages)} packages into {suite.name}"):
                run(["chroot", str(path), "apt-get", "update", "-q"], log=log, env=env)
                run(["chroot", str(path), "apt-get", "install", "-y", "-q",
                     *suite.packages], log=log, env=env)
            if suite.name == "trixie":
                _add_test_users(path, log)
    if util.DRY_RUN:
        return Root(suite, path)
    info = {"suite": suite.name, "key": suite.key(), "kver": kernel_version(path),
            "packages": list(suite.packages)}
    (path / STAMP).write_text(json.dumps(info, indent=1) + "\n")
    _prune(path.parent, f"{suite.name}-", keep=path)
    return Root(suite, path)


def _add_test_users(root: Path, log) -> None:
    run(["chroot", str(root), "groupadd", "-f", "fsgqa"], log=log)
    for user in FSTESTS_USERS:
        passwd = "" if util.DRY_RUN else (root / "etc/passwd").read_text()
        if f"\n{user}:" not in "\n" + passwd:
            run(["chroot", str(root), "useradd", "-m", "-g", "fsgqa", user], log=log)


def _prune(parent: Path, prefix: str, keep: Path) -> None:
    """Delete older cache entries with @prefix next to @keep."""
    for old in parent.glob(prefix + "*"):
        if old == keep or not old.is_dir() or mounts_under(old):
            continue
        progress(f"removing stale {old}")
        shutil.rmtree(old, ignore_errors=True)


def ensure_root(suite_name: str, refresh: bool = False) -> Root:
    suite = config.SUITES[suite_name]
    found = find_root(suite_name)
    if found and not refresh:
        return found
    return build_root(suite, config.detect_mirror())


def image_key(kernel: config.Kernel) -> str:
    h = hashlib.sha256(f"image={config.IMAGE_RECIPE} size={IMAGE_SIZE}\n".encode())
    for s in ("trixie", kernel.suite):
        h.update(f"{s}={config.SUITES[s].key()}\n".encode())
    return h.hexdigest()[:12]


def image_path(kernel: config.Kernel) -> Path:
    return config.cache_dir() / "images" / f"{kernel.name}-{image_key(kernel)}"


def find_image(kernel_name: str) -> Image | None:
    kernel = config.KERNELS[kernel_name]
    path = image_path(kernel)
    stamp = path / STAMP
    if not stamp.exists():
        return None
    info = json.loads(stamp.read_text())
    modules_root = root_path(config.SUITES[kernel.suite])
    return Image(kernel, path, info["kver"], modules_root)


def _mke2fs_argv(src: Path, disk: Path) -> list[str]:
    return ["mke2fs", "-q", "-t", "ext4", "-F", "-L", "labroot", "-E", "root_owner=0:0",
            "-d", str(src), str(disk), IMAGE_SIZE]


def build_image(kernel: config.Kernel, trixie: Root, kroot: Root) -> Image:
    """Pack the trixie root (plus @kroot's modules) into a bootable disk."""
    path = image_path(kernel)
    if util.DRY_RUN:
        kver = "KVER"
        extra, merged = path / "extra", path / "merged"
        with overlay([extra, trixie.path], None, merged):
            run(_mke2fs_argv(merged, path / "root.img"))
        return Image(kernel, path, kver, kroot.path)
    kver = kroot.kver
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    # An extra overlay layer adds the 9p mount points and, for a foreign
    # kernel, its modules; /lib is a symlink in trixie, so use usr/lib.
    extra = path / "extra"
    for d in ("mnt/lab/repo", "mnt/lab/build", "mnt/lab/run"):
        (extra / d).mkdir(parents=True)
    if kroot.path != trixie.path:
        mods = extra / "usr/lib/modules"
        mods.mkdir(parents=True)
        run(["cp", "-a", str(kroot.path / "usr/lib/modules" / kver), str(mods)])
    if mounts_under(trixie.path):
        raise LabError(f"{trixie.path} has mounts under it; refusing to pack it")
    merged = path / "merged"
    with timed(f"mke2fs -d {kernel.name} image ({IMAGE_SIZE})"):
        with overlay([extra, trixie.path], None, merged):
            run(_mke2fs_argv(merged, path / "root.img"))
    merged.rmdir()
    shutil.rmtree(extra)
    shutil.copyfile(kroot.path / "boot" / f"vmlinuz-{kver}", path / "vmlinuz")
    info = {"kernel": kernel.name, "kver": kver, "trixie": trixie.suite.key(),
            "kroot": kroot.suite.key()}
    (path / STAMP).write_text(json.dumps(info, indent=1) + "\n")
    _prune(path.parent, f"{kernel.name}-", keep=path)
    return Image(kernel, path, kver, kroot.path)


def ensure_image(kernel_name: str, refresh: bool = False) -> Image:
    """Return the image for @kernel_name, building what is missing."""
    kernel = config.KERNELS[kernel_name]
    if os.geteuid() != 0 and not util.DRY_RUN:
        raise LabError("the lab needs root (debootstrap, chroot, loop-free mounts, 9p)")
    host.ensure_tools()
    # A complete image never changes, so finding one needs no lock: VM runs
    # must not wait for a build that holds the lock.
    found = find_image(kernel_name)
    if found and not refresh:
        progress(f"{kernel_name} image is cached: {found.path.name} ({found.kver})")
        return found
    with cache_lock(config.cache_dir(), exclusive=True):
        found = find_image(kernel_name)
        if found and not refresh:
            progress(f"{kernel_name} image is cached: {found.path.name} ({found.kver})")
            return found
        trixie = ensure_root("trixie", refresh)
        kroot = trixie if kernel.suite == "trixie" else ensure_root(kernel.suite, refresh)
        return build_image(kernel, trixie, kroot)
