#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# With fuse_iomap loaded, the kernel's own fuse keeps working: fuse2fs
# mounts an ext4 disk through /dev/fuse, data written through it reads
# back through kernel ext4, and e2fsck finds the filesystem clean.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

disk=$(scratch_disk)
mnt=$(mktemp -d)
must modprobe fuse_iomap
must mkfs.ext4 -q -F "$disk"
must fuse2fs -o fakeroot "$disk" "$mnt"
grep -q " $mnt fuse" /proc/mounts || fail "fuse2fs mount not in /proc/mounts"
must dd if=/dev/urandom of="$mnt/data" bs=1M count=8 status=none
sum=$(sha256sum < "$mnt/data")
must umount "$mnt"
must e2fsck -fn "$disk"
must mount -t ext4 -o ro "$disk" "$mnt"
[ "$(sha256sum < "$mnt/data")" = "$sum" ] || fail "data differs after remount"
must umount "$mnt"
must rmmod fuse_iomap
echo "ok: built-in fuse works next to fuse_iomap"
