#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host mount test of fuse4fs on the classic FUSE data path (stock
# /dev/fuse): mount an ext4 image, run a file-ops and data-verification
# workload, unmount, e2fsck -fn, remount and check the same data; then the
# refusals of bad images and options.  Needs root (mount) and a /dev/fuse.
#
# usage: mount-test.sh FUSE4FS RESULTS
# Writes one "pass|fail|skip NAME" line per step to RESULTS.
set -euo pipefail
shopt -s inherit_errexit

usage() {
	echo "usage: $0 FUSE4FS RESULTS" >&2
	exit 2
}
[[ $# -eq 2 ]] || usage
fuse4fs=$1
results=$2
helper=$(dirname "$fuse4fs")/mount.fuse4fs
# mount(8) looks for helpers in /sbin only; the test links ours there
# unless one is installed, and removes the link again.
readonly sbin_helper=/sbin/mount.fuse4fs
linked_helper=false
: >"$results"

work=$(mktemp -d)
mnt=$work/mnt
img=$work/ext4.img
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt" || umount -l "$mnt" || true
	fi
	if [[ -e $work/server.pid && ! -e $work/server.rc ]]; then
		kill "$(cat "$work/server.pid")" 2>/dev/null || true
		sleep 1
	fi
	if $linked_helper; then
		rm -f "$sbin_helper"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

step_prefix=mount-test
# shellcheck source-path=SCRIPTDIR source=step.sh
source "$(dirname "$0")/step.sh"

# mount_fs [OPTS...]: start fuse4fs in the foreground, wait for the mount.
# Steps run in subshells, so the server's pid and exit status go through
# files: server.pid, and server.rc once it has exited.
mount_fs() {
	rm -f "$work/server.rc"
	(
		rc=0
		# iomap=auto (the default) without the module: the classic client,
		# whatever the library's FUSE_IOMAP_MOUNT default says.
		FUSE_IOMAP_MOUNT=required \
			"$fuse4fs" "$img" "$mnt" -f "$@" >"$work/server.log" 2>&1 &
		echo $! >"$work/server.pid"
		wait $! || rc=$?
		echo "$rc" >"$work/server.rc"
	) &
	local i
	for i in $(seq 100); do
		mountpoint -q "$mnt" && return 0
		[[ -e $work/server.rc ]] && break
		sleep 0.1
	done
	cat "$work/server.log" >&2
	return 1
}

# umount_fs: unmount and wait until the server has closed the image.
umount_fs() {
	umount "$mnt"
	local i
	for i in $(seq 300); do
		[[ -e $work/server.rc ]] && break
		sleep 0.1
	done
	local rc
	rc=$(cat "$work/server.rc")
	if [[ $rc -ne 0 ]]; then
		echo "fuse4fs exited with status $rc" >&2
		cat "$work/server.log" >&2
		return 1
	fi
}

# wait_exited: until the server has exited (server.rc is written).
wait_exited() {
	local i
	for i in $(seq 300); do
		[[ -e $work/server.rc ]] && return 0
		sleep 0.1
	done
	echo "the server did not exit" >&2
	return 1
}

# wait_unmounted: until the mount is gone (the unmount helper detaches it
# after the unprivileged server exited).
wait_unmounted() {
	local i
	for i in $(seq 100); do
		mountpoint -q "$mnt" || return 0
		sleep 0.1
	done
	echo "$mnt is still mounted after the server exited" >&2
	grep " $mnt " /proc/mounts >&2 || true
	return 1
}

# helper_of PID: the pid of the unmount helper forked by server PID (it
# names itself just after the fork: wait for that).
helper_of() {
	local st i
	for i in $(seq 50); do
		for st in /proc/[0-9]*/status; do
			if grep -q '^Name:[[:space:]]*fuse4fs-unmount$' "$st" 2>/dev/null &&
				grep -q "^PPid:[[:space:]]*$1\$" "$st" 2>/dev/null; then
				basename "$(dirname "$st")"
				return 0
			fi
		done
		sleep 0.1
	done
	echo "no unmount helper under server $1" >&2
	return 1
}

# SIGTERM: the unprivileged server closes the image and exits 0; its
# helper (CAP_SYS_ADMIN only, holding neither /dev/fuse nor the image)
# then removes the mount.
sigterm_unmounts() {
	mount_fs
	echo before-term >"$mnt/before-term"
	local server helper helper_ok=true
	server=$(cat "$work/server.pid")
	helper=$(helper_of "$server") || helper_ok=false
	if $helper_ok; then
		check_helper "$helper" || helper_ok=false
	fi
	kill -TERM "$server"
	wait_exited
	[[ $(cat "$work/server.rc") -eq 0 ]]
	wait_unmounted
	$helper_ok
	e2fsck -fn "$img"
	debugfs -R 'cat /before-term' "$img" 2>/dev/null | grep -qx before-term
	# the helper has exited too (a zombie until its new parent reaps it)
	local i
	for i in $(seq 50); do
		[[ -e /proc/$helper ]] || return 0
		grep -q '^State:[[:space:]]*Z' "/proc/$helper/status" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "the unmount helper is still running" >&2
	return 1
}

# check_helper PID: CAP_SYS_ADMIN only, neither /dev/fuse nor the image open.
check_helper() {
	grep '^Cap\|^Uid' "/proc/$1/status"
	grep -q '^CapEff:[[:space:]]*0000000000200000$' "/proc/$1/status"
	grep -q '^CapPrm:[[:space:]]*0000000000200000$' "/proc/$1/status"
	grep -q '^CapBnd:[[:space:]]*0000000000200000$' "/proc/$1/status"
	local fd
	for fd in "/proc/$1"/fd/*; do
		case $(readlink "$fd") in
		/dev/fuse* | "$img")
			echo "the helper holds $(readlink "$fd")" >&2
			return 1
			;;
		esac
	done
}

# A write that runs out of space part-way returns the bytes it wrote, and
# the file's size is exactly what the writer was told.
short_write_on_enospc() {
	local saved=$img
	img=$work/small.img
	mke2fs -q -F -t ext4 -b 4096 "$img" 16M
	mount_fs
	python3 - "$mnt/fill" "$work/total" <<'PY'
import errno
import os
import sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
total = 0
chunk = b"z" * 100003  # not block-aligned: the last write straddles the end
while True:
    try:
        n = os.write(fd, chunk)
    except OSError as e:
        assert e.errno == errno.ENOSPC, e
        break
    total += n
os.close(fd)
size = os.stat(sys.argv[1]).st_size
print(f"wrote {total} bytes, size {size}")
assert total > 0 and size == total, (total, size)
with open(sys.argv[1], "rb") as f:
    assert f.read() == b"z" * total
with open(sys.argv[2], "w") as f:
    f.write(str(total))
PY
	umount_fs
	e2fsck -fn "$img"
	# the size on disk, not the kernel's cached one
	local size
	size=$(debugfs -R 'stat /fill' "$img" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "Size:") { print $(i + 1); exit } }')
	echo "size on disk: $size, reported written: $(cat "$work/total")"
	[[ $size -eq $(cat "$work/total") ]]
	img=$saved
}

# POSIX ACLs checked by the kernel for an unprivileged user (nobody) on
# an allow_other mount: a deny entry wins over the "other" bits, a named
# entry grants what the mode does not, and a directory's default ACL is
# inherited by what is created in it.
acls_enforced() {
	chmod 0755 "$work" # mktemp -d made it 0700: nobody could not reach the mount
	mount_fs -o allow_other
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	mkdir "$mnt/acl"
	echo secret >"$mnt/acl/denied"
	echo public >"$mnt/acl/allowed"
	chmod 0644 "$mnt/acl/denied" "$mnt/acl/allowed"
	setfacl -m u:65534:--- "$mnt/acl/denied"
	getfacl -n "$mnt/acl/denied"
	[[ $("${nobody[@]}" cat "$mnt/acl/allowed") == public ]]
	if "${nobody[@]}" cat "$mnt/acl/denied"; then
		echo "nobody read a file its ACL denies it" >&2
		return 1
	fi
	mkdir -m 0755 "$mnt/acl/shared"
	setfacl -m u:65534:rwx -d -m u:65534:rwx "$mnt/acl/shared"
	"${nobody[@]}" sh -c "echo mine >'$mnt/acl/shared/by-nobody'"
	touch "$mnt/acl/shared/file"
	mkdir "$mnt/acl/shared/sub"
	getfacl -n "$mnt/acl/shared/file" "$mnt/acl/shared/sub"
	getfacl -n "$mnt/acl/shared/file" | grep -q '^user:65534:rwx'
	getfacl -n "$mnt/acl/shared/sub" | grep -q '^default:user:65534:rwx'
	"${nobody[@]}" sh -c "echo deeper >'$mnt/acl/shared/sub/deeper'"
	# chmod reaches the ACL: a mask of --- takes the named entry's rights
	chmod 0700 "$mnt/acl/shared/sub"
	getfacl -n "$mnt/acl/shared/sub" | grep -q '^mask::---'
	if "${nobody[@]}" ls "$mnt/acl/shared/sub" >/dev/null; then
		echo "nobody listed a directory after chmod 0700" >&2
		return 1
	fi
	umount_fs
	e2fsck -fn "$img"
}

check_privileges() {
	local status
	status=/proc/$(cat "$work/server.pid")/status
	cat "$status"
	grep -q '^CapEff:[[:space:]]*0000000000000000$' "$status"
	grep -q '^CapPrm:[[:space:]]*0000000000000000$' "$status"
	grep -q '^CapBnd:[[:space:]]*0000000000000000$' "$status"
	if grep -qE '^(Uid|Gid):[[:space:]]+0[[:space:]]' "$status"; then
		return 1
	fi
}

make_image() {
	mkdir -p "$work/content/dir/sub"
	echo "hello from mke2fs -d" >"$work/content/dir/greeting"
	head -c 300000 /dev/urandom >"$work/content/dir/sub/random"
	mke2fs -q -F -t ext4 -b 4096 -d "$work/content" "$img" 512M
	mkdir -p "$mnt"
}

workload() {
	cd "$mnt"
	[[ $(cat dir/greeting) == "hello from mke2fs -d" ]]
	# creates, a large write, a sparse file, truncates
	head -c 5000000 /dev/urandom >medium
	dd if=/dev/urandom of=large bs=1M count=64 status=none
	truncate -s 1G sparse
	dd if=/dev/urandom of=sparse bs=64K count=4 seek=8192 conv=notrunc status=none
	[[ $(stat -c %s sparse) -eq $((1 << 30)) ]]
	[[ $(stat -c %b sparse) -lt 4096 ]]
	cp medium shrink && truncate -s 12345 shrink
	cp medium grow && truncate -s 9000000 grow
	# directories and renames
	mkdir -p a/b/c && mkdir emptydir && rmdir emptydir
	echo one >a/one && echo two >a/b/two
	mv a/one a/b/c/moved
	mv a/b/c a/c-renamed
	mv --exchange a/b/two a/c-renamed/moved
	[[ $(cat a/b/two) == one && $(cat a/c-renamed/moved) == two ]]
	echo keep >noclobber-dst && echo new >noclobber-src
	mv --no-clobber noclobber-src noclobber-dst || true
	[[ $(cat noclobber-dst) == keep ]]
	# links
	ln medium medium-hardlink
	[[ $(stat -c %h medium) -eq 2 ]]
	ln -s dir/greeting fastlink
	ln -s "$(printf 'x%.0s' $(seq 200))/target" slowlink
	mkfifo fifo
	# xattrs, including a POSIX ACL
	python3 - <<'PY'
import os
os.setxattr("medium", "user.checksum", b"abc123")
os.setxattr("medium", "user.big", b"v" * 3000)
os.setxattr("medium", "trusted.t", b"t")
acl = bytes([2, 0, 0, 0, 1, 0, 6, 0, 255, 255, 255, 255, 2, 0, 4, 0, 0xe8, 3, 0, 0,
             4, 0, 4, 0, 255, 255, 255, 255, 0x10, 0, 4, 0, 255, 255, 255, 255,
             0x20, 0, 0, 0, 255, 255, 255, 255])
os.setxattr("medium", "system.posix_acl_access", acl)
os.removexattr("medium", "user.big")
assert os.getxattr("medium", "user.checksum") == b"abc123"
assert "user.big" not in os.listxattr("medium")
PY
	# times with nanoseconds, modes, owners
	touch -d '2001-02-03 04:05:06.123456789' medium
	[[ $(stat -c %y medium) == "2001-02-03 04:05:06.123456789"* ]]
	chmod 0640 medium && chown 1234:5678 grow
	# an open file survives its unlink
	exec 3<shrink
	rm shrink
	[[ $(head -c 10 <&3 | wc -c) -eq 10 ]]
	exec 3<&-
	# many entries in one directory
	mkdir many
	for i in $(seq 300); do : >"many/file-with-a-long-name-$i"; done
	[[ $(find many -type f | wc -l) -eq 300 ]]
	df "$mnt" >/dev/null
	sync
	find . -type f ! -name fifo -print0 | sort -z | xargs -0 sha256sum >"$work/manifest"
	cd /
}

# fallocate(1) in every supported mode, and SEEK_DATA/SEEK_HOLE, on the
# mounted filesystem; the files join the manifest checked after remount.
space() {
	cd "$mnt"
	# allocate: the size grows, the blocks are there, the data reads zero
	fallocate -l 8M prealloc
	[[ $(stat -c %s prealloc) -eq $((8 << 20)) ]]
	[[ $(stat -c %b prealloc) -ge $((8 << 20 >> 9)) ]]
	cmp prealloc <(head -c $((8 << 20)) /dev/zero)
	# keep-size: blocks beyond EOF, the size does not move
	printf abc >keepsize
	fallocate --keep-size -l 1M keepsize
	[[ $(stat -c %s keepsize) -eq 3 && $(stat -c %b keepsize) -ge 2048 ]]
	# punch-hole: zeroes in the middle, fewer blocks, same size
	head -c 1M /dev/urandom >punched
	cp punched "$work/punched.want"
	local before
	before=$(stat -c %b punched)
	fallocate --punch-hole --offset 5000 --length 200000 punched
	dd if=/dev/zero of="$work/punched.want" bs=1 seek=5000 count=200000 conv=notrunc \
		status=none
	cmp punched "$work/punched.want"
	[[ $(stat -c %s punched) -eq $((1 << 20)) && $(stat -c %b punched) -lt $before ]]
	# zero-range, inside the file and growing it
	head -c 100000 /dev/urandom >zeroed
	cp zeroed "$work/zeroed.want"
	fallocate --zero-range --offset 3000 --length 10000 zeroed
	fallocate --zero-range --offset 90000 --length 30000 zeroed
	dd if=/dev/zero of="$work/zeroed.want" bs=1 seek=3000 count=10000 conv=notrunc \
		status=none
	dd if=/dev/zero of="$work/zeroed.want" bs=1 seek=90000 count=30000 conv=notrunc \
		status=none
	cmp zeroed "$work/zeroed.want"
	# SEEK_DATA / SEEK_HOLE see the server's holes, also in the sparse file
	python3 - <<'PY'
import errno
import os
fd = os.open("punched", os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_HOLE) == 8192, os.lseek(fd, 0, os.SEEK_HOLE)
assert os.lseek(fd, 8192, os.SEEK_DATA) == 204800, os.lseek(fd, 8192, os.SEEK_DATA)
os.close(fd)
fd = os.open("sparse", os.O_RDONLY)
data = os.lseek(fd, 0, os.SEEK_DATA)
assert data == 8192 * 65536, data
assert os.lseek(fd, data, os.SEEK_HOLE) == data + 4 * 65536
try:
    os.lseek(fd, data + 4 * 65536, os.SEEK_DATA)
    raise AssertionError("data after the last extent")
except OSError as e:
    assert e.errno == errno.ENXIO, e
os.close(fd)
fd = os.open("prealloc", os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_HOLE) == 0  # unwritten extents are holes
os.close(fd)
PY
	sync
	find . -type f ! -name fifo -print0 | sort -z | xargs -0 sha256sum >"$work/manifest"
	cd /
}

verify() {
	cd "$mnt"
	sha256sum --quiet -c "$work/manifest"
	[[ $(readlink fastlink) == dir/greeting ]]
	[[ $(readlink slowlink) == x*"/target" ]]
	[[ -p fifo ]]
	[[ $(stat -c %h medium) -eq 2 && $(stat -c %a medium) == 640 ]]
	[[ $(stat -c %u:%g grow) == 1234:5678 ]]
	[[ $(stat -c %y medium) == "2001-02-03 04:05:06.123456789"* ]]
	[[ ! -e shrink ]]
	python3 - <<'PY'
import os
assert os.getxattr("medium", "user.checksum") == b"abc123"
names = os.listxattr("medium")
assert "system.posix_acl_access" in names and "trusted.t" in names, names
PY
	cd /
}

expect_status() {
	local want=$1
	shift
	local rc=0
	"$fuse4fs" "$@" "$mnt" -f >/dev/null 2>"$work/err" || rc=$?
	if [[ $rc -ne $want ]]; then
		echo "status $rc, expected $want" >&2
		cat "$work/err" >&2
		return 1
	fi
	[[ $(wc -l <"$work/err") -ge 1 ]]
	! mountpoint -q "$mnt"
}

# wait_closed: until no process has the image open (a detached server
# writes it back after the unmount).
wait_closed() {
	local i fd
	for i in $(seq 300); do
		for fd in /proc/[0-9]*/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == "$img" ]] && continue 2
		done
		return 0
	done
	echo "the image is still open" >&2
	return 1
}

# mount -t fuse4fs: mount(8) runs mount.fuse4fs, which drops mount-only
# options and starts a detached fuse4fs.
mount_type() {
	mount -t fuse4fs -o ro,noauto,nofail,x-test=1 "$img" "$mnt"
	grep -q " $mnt fuse.fuse4fs ro," /proc/mounts
	verify
	umount "$mnt"
	wait_closed
}

# An fstab line, read-write; the data written survives e2fsck.
mount_fstab() {
	echo "$img $mnt fuse4fs rw,noauto,nofail,_netdev,errors=remount-ro 0 0" >"$work/fstab"
	mount -T "$work/fstab" "$mnt"
	echo fstab >"$mnt/from-fstab"
	umount "$mnt"
	wait_closed
	e2fsck -fn "$img"
	debugfs -R 'cat /from-fstab' "$img" 2>/dev/null | grep -qx fstab
}

bad_inputs() {
	local bad=$work/bad.img
	step "refuses a missing image (2)" expect_status 2 "$work/none.img"
	head -c 4M /dev/zero >"$bad"
	step "refuses a wrong magic (3)" expect_status 3 "$bad"
	mke2fs -q -F -t ext4 -b 4096 "$bad" 64M
	truncate -s 16M "$bad"
	step "refuses a truncated image (3)" expect_status 3 "$bad"
	mke2fs -q -F -t ext4 -b 4096 "$bad" 64M
	debugfs -w -R 'feature needs_recovery' "$bad" >/dev/null 2>&1
	step "refuses ro of an image needing journal recovery (5)" expect_status 5 "$bad" -o ro
	mke2fs -q -F -t ext4 -b 4096 -O casefold "$bad" 64M
	step "refuses rw with a read-only feature (4)" expect_status 4 "$bad"
	step "refuses a bad option (1)" expect_status 1 "$bad" -o errors=sometimes
	if [[ -e /dev/fuse_iomap ]]; then
		echo "skip iomap=required refuses without fuse_iomap.ko (7)" >>"$results"
	else
		step "iomap=required refuses without fuse_iomap.ko (7)" \
			expect_status 7 "$bad" -o iomap=required
	fi
	local sum
	sum=$(sha256sum "$img")
	mke2fs -q -F -t ext4 -b 4096 "$bad" 64M
	debugfs -w -R 'feature needs_recovery' "$bad" >/dev/null 2>&1
	sum=$(sha256sum <"$bad")
	expect_status 5 "$bad" -o ro >/dev/null 2>&1 || true
	step "a refused image is not written" test "$sum" == "$(sha256sum <"$bad")"
	# A journal with a broken superblock: rw is refused after the mount
	# (the replay runs unprivileged), the image is not written.
	mke2fs -q -F -t ext4 -b 4096 "$bad" 64M
	debugfs -w -R 'feature needs_recovery' "$bad" >/dev/null 2>&1
	local jblk
	jblk=$(debugfs -R 'bmap <8> 0' "$bad" 2>/dev/null)
	printf 'XXXX' | dd of="$bad" bs=1 seek=$((jblk * 4096)) conv=notrunc status=none
	sum=$(sha256sum <"$bad")
	step "refuses rw with a corrupt journal (5)" expect_status 5 "$bad"
	step "a corrupt journal is not written" test "$sum" == "$(sha256sum <"$bad")"
}

# corrupt_image IMG: an image whose file "victim" has a broken extent
# header (found only when it is read) next to an intact file "good".
corrupt_image() {
	local cimg=$1
	rm -rf "$work/ccontent"
	mkdir -p "$work/ccontent"
	head -c 100000 /dev/urandom >"$work/ccontent/victim"
	echo intact >"$work/ccontent/good"
	mke2fs -q -F -t ext4 -b 4096 -d "$work/ccontent" "$cimg" 64M
	# i_block[0] starts with the extent header's magic, 0xf30a.
	debugfs -w -R 'set_inode_field /victim block[0] 0' "$cimg" >/dev/null 2>&1
}

# corrupt_while_mounted POLICY: reading "victim" fails with EUCLEAN, the
# server survives, the error lands in the superblock, and then:
# continue keeps writing, remount-ro refuses writes, panic ends the mount.
corrupt_while_mounted() {
	local policy=$1 saved=$img
	img=$work/corrupt.img
	corrupt_image "$img"
	mount_fs -o "errors=$policy"
	local err
	err=$(cat "$mnt/victim" 2>&1 >/dev/null) && return 1
	echo "read of the corrupt file: $err"
	if [[ $policy == panic ]]; then
		# the server ends the session before it answers
		[[ $err == *"connection abort"* || $err == *"not connected"* ]]
	else
		[[ $err == *"Structure needs cleaning"* ]]
	fi
	case $policy in
	continue)
		[[ $(cat "$mnt/good") == intact ]]
		echo written >"$mnt/after"
		;;
	remount-ro)
		[[ $(cat "$mnt/good") == intact ]]
		err=$(touch "$mnt/after" 2>&1) && return 1
		[[ $err == *"Read-only file system"* ]]
		;;
	panic)
		# the server shuts the mount down: no crash, no more answers,
		# and its unmount helper removes the mount
		! cat "$mnt/good" >/dev/null 2>&1
		wait_exited
		wait_unmounted
		;;
	esac
	if [[ $policy != panic ]]; then
		umount_fs
	fi
	grep -q 'corrupt' "$work/server.log" || grep -qi 'structure needs' "$work/server.log"
	if [[ $policy == panic ]]; then
		local rc
		rc=$(cat "$work/server.rc")
		echo "server exit status after errors=panic: $rc"
		# an exit, not a signal (128+N) and not success
		[[ $rc -ne 0 && $rc -lt 128 ]]
	fi
	dumpe2fs -h "$img" 2>/dev/null | grep -q '^FS Error count:'
	if [[ $policy == continue ]]; then
		debugfs -R 'cat /after' "$img" 2>/dev/null | grep -qx written
	fi
	img=$saved
}

# reserved_entries: entries planted with debugfs for the root (inode 2),
# the bad-blocks inode (1) and the journal (8) are refused with EUCLEAN,
# not served (on the stock client node 1 is the root: an entry for inode
# 2 must not become a second name for it); readdir still lists them, and
# the journal keeps its blocks after an attempt to remove its entry.
reserved_entries() {
	local saved=$img name err
	img=$work/reserved.img
	rm -rf "$work/rcontent"
	mkdir -p "$work/rcontent/sub"
	echo intact >"$work/rcontent/sub/file"
	mke2fs -q -F -t ext4 -b 4096 -d "$work/rcontent" "$img" 64M
	debugfs -w -R 'ln <2> /sub/rootalias' "$img"
	debugfs -w -R 'ln <1> /sub/badblocks' "$img"
	debugfs -w -R 'ln <8> /sub/journal' "$img"
	mount_fs
	for name in rootalias badblocks journal; do
		err=$(stat "$mnt/sub/$name" 2>&1) && return 1
		[[ $err == *"Structure needs cleaning"* ]]
		err=$(rm -f "$mnt/sub/$name" 2>&1) && return 1
		[[ $err == *"Structure needs cleaning"* ]]
	done
	local listed=("$mnt"/sub/*)
	[[ ${#listed[@]} -eq 4 ]]
	[[ $(cat "$mnt/sub/file") == intact ]]
	umount_fs
	grep -q 'points at a reserved inode (8)' "$work/server.log"
	debugfs -R 'stat <8>' "$img" 2>/dev/null | grep -q 'Links: 1 '
	[[ -n $(debugfs -R 'blocks <8>' "$img" 2>/dev/null) ]]
	img=$saved
}

step "make an ext4 image with mke2fs -d" make_image
step "mount read-write" mount_fs
step "server runs unprivileged without capabilities" check_privileges
step "file-ops and data workload" workload
step "fallocate (allocate, keep-size, punch-hole, zero-range), SEEK_DATA/SEEK_HOLE" space
step "unmount writes back and exits 0" umount_fs
step "e2fsck -fn is clean after unmount" e2fsck -fn "$img"
step "remount read-only" mount_fs -o ro
step "remount shows the same data" verify
step "read-only mount refuses writes" bash -c "! touch '$mnt/new' 2>/dev/null"
step "unmount read-only" umount_fs
step "e2fsck -fn is clean after read-only mount" e2fsck -fn "$img"
# Not in a step: steps run in subshells, and cleanup needs linked_helper.
if [[ ! -e $sbin_helper ]]; then
	ln -s "$helper" "$sbin_helper"
	linked_helper=true
fi
step "mount.fuse4fs is installed for mount(8)" test -x "$sbin_helper"
step "mount -t fuse4fs -o ro,noauto,nofail,x-test=1" mount_type
step "an fstab line mounts read-write (mount -T)" mount_fstab
step "mount.fuse4fs -f (fake) does not mount" \
	bash -c "'$helper' -f '$img' '$mnt' && ! mountpoint -q '$mnt'"
step "POSIX ACLs enforced and inherited for a non-root user (allow_other)" acls_enforced
step "SIGTERM: the unprivileged server exits 0 and its helper unmounts" sigterm_unmounts
step "e2fsck -fn is clean after SIGTERM" e2fsck -fn "$img"
step "ENOSPC part-way through a write: a short write, i_size matches" short_write_on_enospc
bad_inputs
step "entries for reserved inodes and the root are refused (EUCLEAN)" reserved_entries
for policy in continue remount-ro panic; do
	step "corruption found while mounted, errors=$policy" corrupt_while_mounted "$policy"
done

echo "mount-test: $failures failure(s)"
[[ $failures -eq 0 ]]
