#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse4fs serves an ext4 scratch disk through fuse_iomap.ko on the classic
# data path (data through the server): -o iomap=required makes it open
# /dev/fuse_iomap and mount with root_nodeid=2, so node ids are inode
# numbers.  A namespace and data workload (with fallocate, SEEK_HOLE,
# xattrs, ACLs and RENAME_EXCHANGE), unmount (the server writes
# back and exits 0), e2fsck -fn, then mount -t fuse4fs (iomap=auto picks
# the module) read-only shows the same data.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin=/mnt/lab/build/userspace/fuse4fs
[ -x "$bin/fuse4fs" ] || skip "fuse4fs not built (scripts/lab build --part server)"
disk=$(scratch_disk)

must modprobe fuse_iomap
content=$(mktemp -d)
mkdir -p "$content/dir/sub"
echo "hello from mke2fs -d" > "$content/dir/greeting"
head -c 300000 /dev/urandom > "$content/dir/sub/random"
must mke2fs -q -F -t ext4 -b 4096 -d "$content" "$disk" 512M
mnt=$(mktemp -d)

"$bin/fuse4fs" "$disk" "$mnt" -f -o iomap=required > "$LAB_OUT/fuse4fs-server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q " $mnt " /proc/mounts && break
	kill -0 "$pid" 2>/dev/null || { cat "$LAB_OUT/fuse4fs-server.log"; fail "fuse4fs exited"; }
	sleep 0.1
done
grep " $mnt " /proc/mounts || fail "nothing mounted"
grep -q " $mnt fuse_iomap.fuse4fs " /proc/mounts || fail "not mounted as fuse_iomap.fuse4fs"
[ "$(stat -c %i "$mnt")" = 2 ] || fail "root is inode $(stat -c %i "$mnt"), not 2"

cd "$mnt"
[ "$(cat dir/greeting)" = "hello from mke2fs -d" ] || fail "greeting reads wrong"
must cmp dir/sub/random "$content/dir/sub/random"
must sh -c 'head -c 5000000 /dev/urandom > medium'
must dd if=/dev/urandom of=large bs=1M count=16 status=none
must mkdir -p a/b
must sh -c 'echo one > a/one'
must mv a/one a/b/moved
[ "$(cat a/b/moved)" = one ] || fail "read after rename"
must ln medium medium-link
[ "$(stat -c %h medium)" = 2 ] || fail "link count $(stat -c %h medium)"
must ln -s dir/greeting fastlink
[ "$(readlink fastlink)" = dir/greeting ] || fail "readlink"
must mkfifo fifo
must chmod 0640 medium
must truncate -s 12345 large
[ "$(stat -c %s large)" = 12345 ] || fail "truncate"
must sh -c 'echo gone > victim && rm victim'
must sh -c 'mkdir emptydir && rmdir emptydir'
# fallocate, SEEK_HOLE, xattrs, ACLs and RENAME_EXCHANGE reach the server.
must fallocate -l 1M prealloc
must fallocate -n -o 1M -l 1M prealloc
[ "$(stat -c %s prealloc)" = 1048576 ] || fail "fallocate size $(stat -c %s prealloc)"
must dd if=/dev/urandom of=holey bs=4k count=1 seek=256 status=none
python3 - holey <<'PY' || fail "SEEK_DATA/SEEK_HOLE"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_HOLE) == 0, "no hole at 0"
assert os.lseek(fd, 0, os.SEEK_DATA) == 1 << 20, "data not at 1 MiB"
PY
must fallocate -p -o 1M -l 4096 holey
must setfattr -n user.note -v kept medium
[ "$(getfattr --only-values -n user.note medium)" = kept ] || fail "xattr"
must setfacl -m u:4321:rw medium
getfacl -n medium | grep -q '^user:4321:rw-' || fail "ACL"
must sh -c 'echo left > left && echo right > right'
must mv --exchange left right
[ "$(cat left)" = right ] || fail "RENAME_EXCHANGE: left"
[ "$(cat right)" = left ] || fail "RENAME_EXCHANGE: right"
# O_DIRECT is accepted (the classic data path is uncached anyway), on
# create (CREATE) and on open (OPEN), and moves the right bytes.
must dd if=/dev/urandom of=/tmp/direct.want bs=64k count=40 status=none
must dd if=/tmp/direct.want of=direct bs=64k oflag=direct status=none
must dd if=direct of=/tmp/direct.got bs=64k iflag=direct status=none
must cmp /tmp/direct.want /tmp/direct.got
must dd if=/tmp/direct.want of=direct bs=4k count=3 seek=5 oflag=direct conv=notrunc status=none
must stat -f .
must sync
find . -type f ! -name fifo -print0 | sort -z | xargs -0 sha256sum > /tmp/manifest
cd /

must umount "$mnt"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$LAB_OUT/fuse4fs-server.log"; fail "fuse4fs exited with $rc"; }
must e2fsck -fn "$disk"

# mount(8) finds the helper in /sbin (the guest root is a snapshot).
must ln -sf "$bin/mount.fuse4fs" /sbin/mount.fuse4fs
must mount -t fuse4fs -o ro,nofail "$disk" "$mnt"
grep -q " $mnt fuse_iomap.fuse4fs ro," /proc/mounts || fail "auto did not pick fuse_iomap"
(cd "$mnt" && sha256sum --quiet -c /tmp/manifest) || fail "data differs after remount"
[ -p "$mnt/fifo" ] || fail "fifo missing"
[ "$(getfattr --only-values -n user.note "$mnt/medium")" = kept ] || fail "xattr lost"
getfacl -n "$mnt/medium" | grep -q '^user:4321:rw-' || fail "ACL lost"
must umount "$mnt"
for _ in $(seq 100); do
	pgrep -x fuse4fs > /dev/null || break
	sleep 0.1
done
must e2fsck -fn "$disk"

# A corruption found while mounted, errors=panic: the server ends the
# session in the middle of a request.  The reader gets an error, not a
# hang; the mount goes away; the error is in the superblock.
must mke2fs -q -F -t ext4 -b 4096 -d "$content" "$disk" 64M
must debugfs -w -R 'set_inode_field /dir/sub/random block[0] 0' "$disk"
"$bin/fuse4fs" "$disk" "$mnt" -f -o iomap=required,errors=panic \
	> "$LAB_OUT/fuse4fs-panic.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q " $mnt " /proc/mounts && break
	sleep 0.1
done
[ "$(cat "$mnt/dir/greeting")" = "hello from mke2fs -d" ] || fail "greeting before the panic"
if cat "$mnt/dir/sub/random" > /dev/null 2>&1; then
	fail "a corrupt extent tree read without error"
fi
rc=0
wait "$pid" || rc=$?
[ "$rc" = 10 ] || { cat "$LAB_OUT/fuse4fs-panic.log"; fail "errors=panic exit status $rc, not 10"; }
# Nobody unmounts here: the server's unmount helper must.
wait_unmounted() {
	for _ in $(seq 100); do
		grep -q " $mnt " /proc/mounts || return 0
		sleep 0.1
	done
	return 1
}
wait_unmounted || fail "still mounted after errors=panic"
dumpe2fs -h "$disk" 2> /dev/null | grep -q '^FS Error count:' || fail "error not recorded"

# SIGTERM: the unprivileged server closes the image, exits 0, and its
# unmount helper removes the mount.
must mke2fs -q -F -t ext4 -b 4096 -d "$content" "$disk" 64M
"$bin/fuse4fs" "$disk" "$mnt" -f -o iomap=required > "$LAB_OUT/fuse4fs-term.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q " $mnt " /proc/mounts && break
	sleep 0.1
done
must sh -c "echo before-term > '$mnt/before-term'"
must kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$LAB_OUT/fuse4fs-term.log"; fail "exit status $rc after SIGTERM, not 0"; }
wait_unmounted || fail "still mounted after SIGTERM"
must e2fsck -fn "$disk"
debugfs -R 'cat /before-term' "$disk" 2> /dev/null | grep -qx before-term ||
	fail "data written before SIGTERM lost"
must rmmod fuse_iomap
echo "ok: fuse4fs served ext4 through fuse_iomap"
