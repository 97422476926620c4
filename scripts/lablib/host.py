# SPDX-License-Identifier: GPL-2.0
"""Install the host tools the lab needs, from Debian's archive via apt."""

from __future__ import annotations

import os
import shutil

from . import util
from .util import LabError, progress, run

# program -> Debian package providing it on the host
HOST_TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "debootstrap": "debootstrap",
    "mke2fs": "e2fsprogs",
    "zstd": "zstd",
    "dpkg-deb": "dpkg",
    "bc": "bc",
}
# Needed by `make check` only (lint stage).
CHECK_TOOLS = {"shellcheck": "shellcheck", "clang-format": "clang-format"}

_updated = False


def ensure_tools(tools: dict[str, str] | None = None) -> None:
    """apt-get install whatever of @tools (default: HOST_TOOLS) is missing."""
    global _updated
    missing = sorted({pkg for prog, pkg in (tools or HOST_TOOLS).items()
                      if shutil.which(prog) is None})
    if not missing or util.DRY_RUN:
        return
    if os.geteuid() != 0:
        raise LabError(f"missing host packages {' '.join(missing)}; the lab needs root "
                       "(debootstrap, chroot, mounts) and installs them itself")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    progress(f"installing host packages: {' '.join(missing)}")
    if not _updated:
        run(["apt-get", "update", "-q"], env=env, capture=True)
        _updated = True
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        env=env, capture=True)
