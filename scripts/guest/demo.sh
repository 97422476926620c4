#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside a lab VM (scripts/lab demo runs it): make an ext4 image
# with some content, load fuse_iomap, mount the image with
# `mount -t fuse4fs`, show it working, unmount, e2fsck -fn, and write a
# short summary to $LAB_OUT/summary.txt.
set -euo pipefail

bin=/mnt/lab/build/userspace/fuse4fs
out=${LAB_OUT:?run me inside a lab VM}
summary=$out/summary.txt
: > "$summary"
note() {
	echo "demo: $*"
	echo "$*" >> "$summary"
}
step() {
	echo
	echo "demo: \$ $*"
	"$@"
}

disk=${LAB_DISKS%% *}
[ -b "$disk" ] || { echo "demo: no scratch disk"; exit 1; }
ln -sf "$bin/mount.fuse4fs" /sbin/mount.fuse4fs

content=$(mktemp -d)
mkdir -p "$content/docs" "$content/data"
cp /usr/share/common-licenses/GPL-2 "$content/docs/"
head -c 3000000 /dev/urandom > "$content/data/random.bin"
ln -s docs/GPL-2 "$content/license"
step mkfs.ext4 -q -F -L demo -d "$content" "$disk" 512M
image_sum=$(sha256sum < "$content/data/random.bin" | cut -d' ' -f1)

step modprobe fuse_iomap
note "kernel $(uname -r): fuse_iomap $(cat /sys/module/fuse_iomap/version) loaded"
mnt=/mnt/demo
mkdir -p "$mnt"
step mount -t fuse4fs "$disk" "$mnt"
note "mounted: $(grep " $mnt " /proc/mounts | cut -d' ' -f1-4)"
step ls -la "$mnt" "$mnt/data"
step df -h "$mnt"
[ "$(sha256sum < "$mnt/data/random.bin" | cut -d' ' -f1)" = "$image_sum" ] ||
	{ note "FAIL: random.bin differs from what mkfs.ext4 -d stored"; exit 1; }
note "read back: data/random.bin sha256 $image_sum matches"

step dd if=/dev/urandom of="$mnt/data/new.bin" bs=1M count=8 status=none
new_sum=$(sha256sum < "$mnt/data/new.bin" | cut -d' ' -f1)
step mkdir "$mnt/notes"
echo "written through fuse4fs on $(date -u)" > "$mnt/notes/hello.txt"
step mv "$mnt/notes/hello.txt" "$mnt/notes/readme.txt"
step stat -f "$mnt"
note "wrote data/new.bin (8 MiB, sha256 $new_sum) and notes/readme.txt"
step umount "$mnt"
for _ in $(seq 100); do
	pgrep -x fuse4fs > /dev/null || break
	sleep 0.1
done

step e2fsck -fn "$disk"
note "e2fsck -fn: clean"
step mount -t fuse4fs -o ro "$disk" "$mnt"
[ "$(sha256sum < "$mnt/data/new.bin" | cut -d' ' -f1)" = "$new_sum" ] ||
	{ note "FAIL: new.bin differs after remount"; exit 1; }
note "remounted read-only: new.bin and notes/readme.txt (\"$(cut -c1-24 "$mnt/notes/readme.txt")...\") read back"
step umount "$mnt"
for _ in $(seq 100); do
	pgrep -x fuse4fs > /dev/null || break
	sleep 0.1
done
step rmmod fuse_iomap
note "module unloaded; the data path was classic FUSE (data through the server); iomap comes next"
