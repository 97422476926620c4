# SPDX-License-Identifier: GPL-2.0
"""Lab configuration: where the cache lives, what each dev box contains.

The cache holds everything heavy (root filesystems, disk images, kernel
builds, run logs) outside the checkout.  Its location is, in order:
$FUSE_IOMAP_LAB_CACHE, $XDG_CACHE_HOME/fuse-iomap, ~/.cache/fuse-iomap.

Package lists and the debootstrap recipe are inputs of the cache key: change
one and the next `lab image` builds a fresh root next to the old one.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Bump when the way roots or images are assembled changes, so that caches
# made by an older recipe are not reused.
ROOT_RECIPE = 1
IMAGE_RECIPE = 1

REPO = Path(__file__).resolve().parents[2]

# Build tools, the module's and the userspace parts' build dependencies, the
# programs the tests run, and what fstests needs at run time (its README's
# Debian list).  --no-install-recommends keeps the image small.
TRIXIE_PACKAGES = (
    # kernel and module build
    "linux-image-amd64 linux-headers-amd64 build-essential dkms kmod "
    "openssl libelf-dev flex bison bc cpio xz-utils zstd busybox-static "
    # userspace build: libfuse (meson), fuse4fs (cmake, C++20, gtest,
    # clang-tidy)
    "meson ninja-build cmake g++ pkg-config dpkg-dev libgtest-dev "
    "libext2fs-dev comerr-dev libfuse3-dev libudev-dev python3 "
    "python3-pytest clang-tidy "
    # filesystems and test programs
    "e2fsprogs fuse3 fuse2fs util-linux xfsprogs fio attr acl psmisc "
    "procps strace file less "
    # fstests run-time (and build) dependencies
    "automake dbench dump gawk git indent libacl1-dev libaio-dev "
    "libcap-dev libgdbm-dev libtool libtool-bin liburing-dev libuuid1 "
    "lvm2 make quota sed uuid-dev uuid-runtime sqlite3 "
    "libgdbm-compat-dev xfslibs-dev xfsdump libssl-dev"
).split()

SID_PACKAGES = (
    "linux-image-amd64 linux-headers-amd64 build-essential dkms kmod "
    "openssl libelf-dev xz-utils zstd"
).split()

# Modules the tiny initrd loads (with their dependencies) to mount the
# virtio root disk and the 9p shares.
INITRD_MODULES = ("virtio_blk", "ext4", "9pnet_virtio", "9p")


@dataclass(frozen=True)
class Suite:
    """A Debian suite whose root filesystem the lab builds."""

    name: str
    packages: tuple[str, ...]
    # sid's Release file is sometimes past its Valid-Until on mirrors.
    ignore_valid_until: bool = False
    deb_src: bool = False

    def key(self) -> str:
        h = hashlib.sha256()
        h.update(f"recipe={ROOT_RECIPE}\nsuite={self.name}\n".encode())
        h.update(" ".join(sorted(set(self.packages))).encode())
        h.update(f"\nvalid={self.ignore_valid_until} src={self.deb_src}".encode())
        return h.hexdigest()[:12]


SUITES = {
    "trixie": Suite("trixie", tuple(TRIXIE_PACKAGES), deb_src=True),
    "sid": Suite("sid", tuple(SID_PACKAGES), ignore_valid_until=True),
}


@dataclass(frozen=True)
class Kernel:
    """A target kernel: which suite provides it, which root the VM boots.

    The VM always boots the trixie userspace; for sid the image adds the
    sid kernel's modules to it.  The module is built in the kernel's own
    suite, so it gets the compiler the kernel was built with.
    """

    name: str
    suite: str
    extra_module_suites: tuple[str, ...] = field(default=())

    def image_suites(self) -> tuple[str, ...]:
        return ("trixie",) + self.extra_module_suites


KERNELS = {
    "trixie": Kernel("trixie", "trixie"),
    "sid": Kernel("sid", "sid", ("sid",)),
}


def cache_dir() -> Path:
    env = os.environ.get("FUSE_IOMAP_LAB_CACHE")
    if env:
        return Path(env).resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return (base / "fuse-iomap").resolve()


def detect_mirror() -> str:
    """Return the Debian archive URL the host's apt already uses.

    The lab downloads only from Debian's archive, through the mirror the
    machine is configured for; $FUSE_IOMAP_LAB_MIRROR overrides it.
    """
    env = os.environ.get("FUSE_IOMAP_LAB_MIRROR")
    if env:
        return env.rstrip("/")
    files = ["/etc/apt/sources.list"]
    files += sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    files += sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        url = mirror_from_sources(text)
        if url:
            return url
    raise SystemExit(
        "lab: no Debian archive found in /etc/apt/sources.list*; "
        "set FUSE_IOMAP_LAB_MIRROR to a Debian mirror URL"
    )


def mirror_from_sources(text: str) -> str | None:
    """Find the main Debian archive URL in one apt sources file's text.

    Both the one-line format (`deb URL suite comp`) and deb822 (`URIs:`)
    are understood; security and third-party archives are skipped.
    """
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
        if not m:
            m = re.match(r"^URIs:\s*(\S+)", line)
        if not m:
            continue
        url = m.group(1).rstrip("/")
        if re.search(r"/debian$", url) and "security" not in url:
            return url
    return None
