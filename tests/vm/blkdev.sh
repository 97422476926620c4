#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse_iomapblk, the block-device filesystem type (like fuseblk): the
# source must be a block device, which the kernel claims exclusively for
# the life of the mount and releases at unmount; blksize= sets the block
# size.  Bad sources and options are refused with the right errno.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_example hello_ll
disk=$(scratch_disk)
must modprobe fuse_iomap
mnt=$(mktemp -d)

# excl_open DEV: 0 if DEV can be opened O_EXCL (nobody claims it), else 1.
excl_open() {
	python3 - "$1" <<'PY'
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))
except OSError as e:
    print(f"open O_EXCL: {e}")
    sys.exit(1 if e.errno == errno.EBUSY else 2)
PY
}

# blkmount SOURCE [OPTS]: mount fuse_iomapblk by hand and start hello_ll.
blkmount() {
	FIMMOUNT_TYPE=fuse_iomapblk FIMMOUNT_SOURCE=$1 FIMMOUNT_LOG="$LAB_OUT/blkdev.log" \
		python3 "$(dirname "$0")/fimmount.py" "$mnt" -o "subtype=hello${2:+,$2}" -- \
		/tmp/hello_ll -f '{dev}'
}

must excl_open "$disk"
pid=$(blkmount "$disk" blksize=4096)
grep -q "^$disk $mnt fuse_iomapblk.hello " /proc/mounts ||
	fail "not shown as $disk on fuse_iomapblk.hello: $(grep " $mnt " /proc/mounts)"
grep " $mnt " /proc/mounts | grep -q ',blksize=4096' || fail "blksize not shown"
[ "$(cat "$mnt/hello")" = "Hello World!" ] || fail "hello reads wrong on fuse_iomapblk"
rc=0
excl_open "$disk" || rc=$?
[ "$rc" = 1 ] || fail "the mounted block device is not claimed (O_EXCL open: $rc)"
must umount "$mnt"
wait_exit "$pid"
must excl_open "$disk"

# The default block size is 512 bytes; blksize= must be a power of two.
pid=$(blkmount "$disk")
grep " $mnt " /proc/mounts | grep -q ',blksize=' && fail "default blksize shown"
must umount "$mnt"
wait_exit "$pid"

# expect_refused ERRNO-TEXT SOURCE [OPTS]: the mount fails with that error.
expect_refused() {
	local want=$1 out
	shift
	if out=$(blkmount "$@" 2>&1); then
		umount "$mnt" 2> /dev/null || true
		fail "fuse_iomapblk mounted with source $1 ${2:-}"
	fi
	echo "refused: $out"
	case $out in
	*"$want"*) ;;
	*) fail "expected '$want' for source $1 ${2:-}, got: $out" ;;
	esac
}
: > /tmp/plainfile
expect_refused "Block device required" /tmp/plainfile
expect_refused "No such file or directory" /dev/no-such-disk
expect_refused "Invalid argument" "$disk" blksize=1000
# blksize= belongs to fuse_iomapblk only.
out=$(FIMMOUNT_LOG="$LAB_OUT/blkdev.log" python3 "$(dirname "$0")/fimmount.py" "$mnt" \
	-o blksize=4096 -- /tmp/hello_ll -f '{dev}' 2>&1) &&
	fail "fuse_iomap accepted blksize="
echo "fuse_iomap with blksize=: $out"
grep -q " $mnt " /proc/mounts && fail "something is still mounted"
dmesg | grep -i 'blksize' | tail -n 3 || true
must rmmod fuse_iomap
echo "ok: fuse_iomapblk claims its block device and refuses bad sources"
