#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Mount fuse_iomap by hand and start a libfuse server on the channel.

usage: fimmount.py MOUNTPOINT [-o OPTS] -- SERVER [ARGS...]

Opens /dev/fuse_iomap, mounts a fuse_iomap filesystem on MOUNTPOINT bound
to that channel (fd=), then starts SERVER with every "{dev}" in ARGS
replaced by /dev/fd/N, which libfuse servers accept as "already mounted,
serve this fd".  Prints the server's pid and exits, leaving it running.
This stands in for fusermount until the libfuse patches select the device.
FIMMOUNT_TYPE (default fuse_iomap) and FIMMOUNT_SOURCE (default "none")
choose the filesystem type and source, e.g. fuse_iomapblk and a block
device.
"""

import ctypes
import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") < 1:
        print(__doc__, file=sys.stderr)
        return 2
    sep = argv.index("--")
    head, server = argv[:sep], argv[sep + 1:]
    mnt = head[0]
    extra = head[2] if len(head) >= 3 and head[1] == "-o" else ""
    fd = os.open("/dev/fuse_iomap", os.O_RDWR)
    opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0"
    if extra:
        opts += "," + extra
    # mount(2) itself, not mount(8): the server is not running yet, and
    # anything that touches the new mount before it is would wait for INIT.
    libc = ctypes.CDLL(None, use_errno=True)
    fstype = os.environ.get("FIMMOUNT_TYPE", "fuse_iomap")
    source = os.environ.get("FIMMOUNT_SOURCE", "none")
    if libc.mount(source.encode(), mnt.encode(), fstype.encode(), 0, opts.encode()) != 0:
        err = ctypes.get_errno()
        print(f"fimmount: mount: {os.strerror(err)}", file=sys.stderr)
        return 1
    args = [a.replace("{dev}", f"/dev/fd/{fd}") for a in server]
    log = open(os.environ.get("FIMMOUNT_LOG", "/dev/null"), "ab")
    proc = subprocess.Popen(args, pass_fds=(fd,), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, start_new_session=True)
    os.close(fd)
    print(proc.pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
