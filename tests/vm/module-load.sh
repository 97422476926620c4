#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse_iomap.ko loads on this kernel, registers its own device and
# filesystem types next to the built-in fuse, reports its version and
# parameters, and unloads leaving nothing behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version=$(cat "$LAB_REPO/VERSION")

must modprobe fuse_iomap
grep -qw '^fuse_iomap' /proc/modules || fail "fuse_iomap not in /proc/modules"
grep -qP '^nodev\tfuse_iomap$' /proc/filesystems || fail "no fuse_iomap filesystem type"
grep -qP '^\tfuse_iomapblk$' /proc/filesystems || fail "no fuse_iomapblk filesystem type"
[ -c /dev/fuse_iomap ] || fail "/dev/fuse_iomap is not a character device"
grep -qw fuse_iomap /proc/misc || fail "fuse_iomap not in /proc/misc"

# The distribution's fuse stays usable: its device and types are untouched.
[ -c /dev/fuse ] || fail "/dev/fuse disappeared"
grep -qP '^nodev\tfuse$' /proc/filesystems || fail "built-in fuse type missing"

[ "$(cat /sys/module/fuse_iomap/version)" = "$version" ] ||
	fail "sysfs version $(cat /sys/module/fuse_iomap/version) != VERSION $version"
modinfo fuse_iomap | tee /dev/stderr | grep -q "^version: *$version$" ||
	fail "modinfo does not show version $version"
modinfo -F parm fuse_iomap | grep -q '^enable_iomap:' || fail "no enable_iomap parameter"
[ -r /sys/module/fuse_iomap/parameters/enable_iomap ] || fail "enable_iomap not in sysfs"
modinfo -F license fuse_iomap | grep -qx GPL || fail "license is not GPL"

# The device refuses I/O until a mount binds a connection
# (EPERM, as fuse does), reports no iomap support, and rejects unknown ioctls.
python3 - <<'EOF' || fail "/dev/fuse_iomap does not behave as documented"
import errno, fcntl, os, struct

fd = os.open("/dev/fuse_iomap", os.O_RDWR)
for op in (lambda: os.read(fd, 8192), lambda: os.write(fd, bytes(40))):
    try:
        op()
    except OSError as e:
        assert e.errno == errno.EPERM, f"unbound device I/O: {e}"
    else:
        raise SystemExit("unbound device I/O succeeded")
support = bytearray(16)
fcntl.ioctl(fd, 0x8010E563, support)  # FUSE_DEV_IOC_IOMAP_SUPPORT
assert struct.unpack("<QQ", support) == (0, 0), f"support flags {support.hex()}"
try:
    fcntl.ioctl(fd, 0xE5FF)
except OSError as e:
    assert e.errno == errno.ENOTTY, f"unknown ioctl: {e}"
else:
    raise SystemExit("unknown ioctl succeeded")
os.close(fd)
print("ok: /dev/fuse_iomap: EPERM before mount, no iomap support yet, ENOTTY")
EOF

# A mount must name an open, unused /dev/fuse_iomap channel: fd 0 is not
# one.  It is refused with a log line and leaves no mount behind.
mnt=$(mktemp -d)
must_fail mount -t fuse_iomap -o fd=0,rootmode=40000,user_id=0,group_id=0 none "$mnt"
dmesg | grep -q 'fd 0 is not an unused /dev/fuse_iomap channel' ||
	fail "no log line for the refused mount"
! grep -q " $mnt " /proc/mounts || fail "refused mount left a mount behind"
must_fail mount -t fuse_iomap -o rootmode=40000,user_id=0,group_id=0 none "$mnt"

must rmmod fuse_iomap
if grep -qw fuse_iomap /proc/modules /proc/filesystems; then
	fail "fuse_iomap still registered after rmmod"
fi
[ ! -e /dev/fuse_iomap ] || fail "/dev/fuse_iomap left behind after rmmod"
echo "ok: fuse_iomap $version loads and unloads"
