#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `scripts/lab fstests`: run the user's fstests tree
# (the 9p share "fstests", read-only) with fstests-config/local.config,
# one ./check per section, on /dev/vdb (test) and /dev/vdc (scratch).
#
# The tree is copied to /var/tmp/fstests (the root disk is a snapshot), as
# ./check writes next to itself.  Before each section both disks get a
# fresh mkfs.ext4 (fstests makes no filesystem for FSTYP=fuse); after it
# both are unmounted, the servers are waited for, and e2fsck -fn checks
# each that still holds an ext4 (fstests checks nothing for FSTYP=fuse
# either).  fstests-config/bin goes first in PATH (see local.config).
#
# Results: $LAB_OUT/fstests/SECTION/ (fstests' own files, result.xml),
# $LAB_OUT/fstests/SECTION.log (./check's output), SECTION.rc,
# SECTION.e2fsck-{test,scratch}.{txt,rc}.
#
# usage: fstests.sh --section S [--section S]... [--exclude FILE]
#                   [--timeout SEC] [--] CHECK-ARGS...
set -euo pipefail

sections=()
exclude=
timeout=3600
while [ $# -gt 0 ]; do
	case $1 in
	--section) sections+=("$2"); shift 2 ;;
	--exclude) exclude=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ ${#sections[@]} -gt 0 ] || { echo "fstests: no --section" >&2; exit 2; }

out=${LAB_OUT:?run me inside a lab VM}/fstests
config=$LAB_REPO/fstests-config/local.config
fuse4fs=/mnt/lab/build/userspace/fuse4fs
test_dev=/dev/vdb
scratch_dev=/dev/vdc
mkdir -p "$out" /mnt/fstests-src /mnt/test /mnt/scratch
for d in "$test_dev" "$scratch_dev"; do
	[ -b "$d" ] || { echo "fstests: $d missing (two scratch disks needed)" >&2; exit 2; }
done

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro fstests /mnt/fstests-src
echo "fstests: copying the tree"
cp -a /mnt/fstests-src /var/tmp/fstests
umount /mnt/fstests-src
cd /var/tmp/fstests
[ -x ltp/fsstress ] || { echo "fstests: the tree is not built (no ltp/fsstress)" >&2; exit 2; }

# What fstests expects of the machine (its README): the fsgqa users.
getent group fsgqa > /dev/null || groupadd fsgqa
for u in fsgqa fsgqa2 123456-fsgqa; do
	getent passwd "$u" > /dev/null || useradd -m -g fsgqa "$u"
done
# mount -t fuse.SUBTYPE runs /sbin/mount.fuse.SUBTYPE.
ln -sf "$fuse4fs/mount.fuse4fs" /sbin/mount.fuse.fuse4fs
ln -sf "$(command -v fuse2fs)" /sbin/mount.fuse.ext4
modprobe fuse_iomap
# df and wipefs adapted to FSTYP=fuse (see fstests-config/local.config).
export PATH=$LAB_REPO/fstests-config/bin:$PATH

# Wait until no FUSE server is left: each writes its image back after the
# unmount, and the next mkfs or e2fsck must see the final state.
wait_servers() {
	local _
	for _ in $(seq 600); do
		pgrep -x 'fuse4fs|fuse2fs|mount.fuse.ext4' > /dev/null || return 0
		sleep 0.1
	done
	echo "fstests: a FUSE server is still running 60 s after the unmount" >&2
}

unmount_all() {
	local m
	for m in /mnt/test /mnt/scratch; do
		while mountpoint -q "$m"; do
			umount "$m" || umount -l "$m"
		done
	done
	wait_servers
}

for section in "${sections[@]}"; do
	echo "fstests: === section $section ==="
	unmount_all
	mkfs.ext4 -q -F "$test_dev"
	mkfs.ext4 -q -F "$scratch_dev"
	args=(-s "$section" -R xunit)
	[ -z "$exclude" ] || args+=(-E "$exclude")
	{
		rc=0
		HOST_OPTIONS=$config RESULT_BASE=$out \
			timeout --kill-after=30 "$timeout" ./check "${args[@]}" "$@" || rc=$?
		echo "$rc" > "$out/$section.rc"
	} 2>&1 | tee "$out/$section.log"
	unmount_all
	for which in test scratch; do
		dev=$test_dev
		[ "$which" = test ] || dev=$scratch_dev
		# ./check wipes the scratch device of non-FUSE sections.
		if [ "$(blkid -p -o value -s TYPE "$dev" || true)" != ext4 ]; then
			echo none > "$out/$section.e2fsck-$which.rc"
			echo "fstests: $section: no ext4 left on the $which device ($dev)"
			continue
		fi
		rc=0
		e2fsck -fn "$dev" > "$out/$section.e2fsck-$which.txt" 2>&1 || rc=$?
		echo "$rc" > "$out/$section.e2fsck-$which.rc"
		echo "fstests: $section: e2fsck -fn $which device ($dev): exit $rc"
	done
done
