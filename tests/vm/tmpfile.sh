#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# O_TMPFILE on fuse4fs, through fuse_iomap.ko and /dev/fuse: the file has
# no link while open, linkat from /proc/self/fd gives it a name and keeps
# its data, an unlinked one is freed at close; e2fsck -fn is clean after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin=/mnt/lab/build/userspace/fuse4fs
[ -x "$bin/fuse4fs" ] || skip "fuse4fs not built (scripts/lab build --part server)"
disk=$(scratch_disk)

must modprobe fuse_iomap
must ln -sf "$bin/mount.fuse4fs" /sbin/mount.fuse4fs
mnt=$(mktemp -d)
for client in ${TMPFILE_CLIENTS:-iomap=required iomap=off}; do
	must mkfs.ext4 -q -F "$disk" 256M
	must mount -t fuse4fs -o "rw,$client" "$disk" "$mnt"
	python3 - "$mnt" <<'PY' || fail "O_TMPFILE with $client"
import ctypes, os, sys
mnt = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)


def linkat(fd, dst):
    # os.link() calls link(2), which does not follow /proc's magic links.
    if libc.linkat(-100, f"/proc/self/fd/{fd}".encode(), -100, dst.encode(), 0x400) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), dst)


before = os.statvfs(mnt).f_bfree
fd = os.open(mnt, os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b"tmp data")
assert os.fstat(fd).st_nlink == 0, "a tmpfile has a link"
assert os.listdir(mnt) == ["lost+found"], os.listdir(mnt)
linkat(fd, f"{mnt}/linked")
assert os.fstat(fd).st_nlink == 1, "linkat did not link"
os.close(fd)
with open(f"{mnt}/linked", "rb") as f:
    assert f.read() == b"tmp data", "data lost by linkat"
fd = os.open(mnt, os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b"x" * 1000000)
assert os.statvfs(mnt).f_bfree < before - 200, "no space used"
os.close(fd)
# An O_EXCL tmpfile can never be linked.
fd = os.open(mnt, os.O_TMPFILE | os.O_RDWR | os.O_EXCL, 0o600)
try:
    linkat(fd, f"{mnt}/never")
    raise SystemExit("linked an O_EXCL tmpfile")
except OSError:
    pass
os.close(fd)
print("O_TMPFILE ok")
PY
	must umount "$mnt"
	for _ in $(seq 100); do
		pgrep -x fuse4fs > /dev/null || break
		sleep 0.1
	done
	must e2fsck -fn "$disk"
	# The unlinked tmpfile's blocks came back: only "linked" remains.
	[ "$(debugfs -R 'ls -p /' "$disk" 2> /dev/null | grep -c linked)" = 1 ] ||
		fail "linked file missing"
done
must rmmod fuse_iomap
echo "ok: O_TMPFILE on fuse4fs"
