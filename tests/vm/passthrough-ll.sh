#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libfuse's passthrough_ll example (Debian's libfuse3-dev) mirrors a
# directory through fuse_iomap: the namespace operations (mknod/create,
# mkdir, symlink, link, unlink, rmdir, rename; RENAME2 flags are refused
# by this server), setattr (chmod, truncate, utimes), fallocate,
# SEEK_DATA/SEEK_HOLE, syncfs, the umask, xattrs and POSIX ACLs, and data
# written through
# the mount must appear in the source directory, and the other way round.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The example only calls fallocate(2) when told it exists.
build_example passthrough_ll -DHAVE_FALLOCATE

must modprobe fuse_iomap
src=$(mktemp -d)
mnt=$(mktemp -d)
echo before > "$src/existing"
pid=$(FIMMOUNT_LOG="$LAB_OUT/passthrough_ll.log" python3 "$(dirname "$0")/fimmount.py" \
	"$mnt" -o subtype=passthrough -- /tmp/passthrough_ll -f -o "source=$src,xattr" '{dev}')
echo "server pid $pid"

[ "$(cat "$mnt/existing")" = before ] || fail "existing file not visible"
must mkdir "$mnt/d"
must sh -c "echo hello > '$mnt/d/f'"
[ "$(cat "$src/d/f")" = hello ] || fail "write did not reach the source"
must dd if=/dev/urandom of="$mnt/big" bs=64k count=40 status=none
[ "$(sha256sum < "$mnt/big")" = "$(sha256sum < "$src/big")" ] || fail "big file differs"
must ln -s d/f "$mnt/sym"
[ "$(readlink "$mnt/sym")" = d/f ] || fail "readlink"
[ "$(cat "$mnt/sym")" = hello ] || fail "read through symlink"
must ln "$mnt/d/f" "$mnt/hard"
[ "$(stat -c %h "$mnt/hard")" = 2 ] || fail "link count is $(stat -c %h "$mnt/hard")"
[ "$(stat -c %i "$mnt/hard")" = "$(stat -c %i "$mnt/d/f")" ] || fail "hard link is another inode"
must mv "$mnt/hard" "$mnt/renamed"
[ -e "$src/renamed" ] || fail "rename target not in source"
[ ! -e "$src/hard" ] || fail "rename source still in source"
# RENAME_NOREPLACE onto an existing name fails with EEXIST.
python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 1)
sys.exit(0 if rc == -1 and ctypes.get_errno() == 17 else 1)
' "$mnt/renamed" "$mnt/existing" || fail "RENAME_NOREPLACE did not fail with EEXIST"
# passthrough_ll refuses RENAME2 flags (EINVAL); the refusal must come
# back cleanly and change nothing.  fuse4fs's test covers EXCHANGE.
must_fail mv --exchange "$mnt/renamed" "$mnt/existing"
[ "$(cat "$src/existing")" = before ] || fail "refused exchange changed existing"
must chmod 640 "$mnt/renamed"
[ "$(stat -c %a "$src/renamed")" = 640 ] || fail "chmod not in source"
must truncate -s 3 "$mnt/big"
[ "$(stat -c %s "$src/big")" = 3 ] || fail "truncate not in source"
[ "$(stat -c %s "$mnt/big")" = 3 ] || fail "truncate not in mount"
must touch -d @1000000000.5 "$mnt/big"
[ "$(stat -c %Y "$src/big")" = 1000000000 ] || fail "utimes not in source"
# fallocate and SEEK_DATA/SEEK_HOLE are passed to the server.
must fallocate -l 1M "$mnt/alloc"
[ "$(stat -c %s "$src/alloc")" = 1048576 ] || fail "fallocate size not in source"
must fallocate -n -o 1M -l 1M "$mnt/alloc"
[ "$(stat -c %s "$mnt/alloc")" = 1048576 ] || fail "fallocate --keep-size changed the size"
must truncate -s 8M "$mnt/sparse"
must dd if=/dev/urandom of="$mnt/sparse" bs=4k count=1 seek=1024 conv=notrunc status=none
python3 - "$mnt/sparse" <<'PY' || fail "SEEK_DATA/SEEK_HOLE through the mount"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
data = os.lseek(fd, 0, os.SEEK_DATA)
hole = os.lseek(fd, data, os.SEEK_HOLE)
print("data at", data, "hole at", hole)
assert data == 4 << 20 and hole > data, (data, hole)
PY
must rm "$mnt/alloc" "$mnt/sparse"
must sync -f "$mnt"
# The umask applies to new files (SB_POSIXACL keeps the VFS from doing it).
(umask 027 && touch "$mnt/masked")
[ "$(stat -c %a "$src/masked")" = 640 ] || fail "umask not applied: $(stat -c %a "$src/masked")"
# Extended attributes and POSIX ACLs go to the server.
must setfattr -n user.colour -v blue "$mnt/masked"
[ "$(getfattr --only-values -n user.colour "$src/masked")" = blue ] || fail "setxattr not in source"
[ "$(getfattr --only-values -n user.colour "$mnt/masked")" = blue ] || fail "getxattr"
getfattr -d "$mnt/masked" | grep -q '^user.colour="blue"' || fail "listxattr"
must setfattr -x user.colour "$mnt/masked"
must_fail getfattr -n user.colour "$src/masked"
must setfacl -m u:1234:r "$mnt/masked"
getfacl -n "$src/masked" | grep -q '^user:1234:r--' || fail "ACL not in source"
getfacl -n "$mnt/masked" | grep -q '^user:1234:r--' || fail "ACL not read back"
must setfacl -b "$mnt/masked"
! getfacl -n "$src/masked" | grep -q '^user:1234' || fail "ACL not removed"
must rm "$mnt/masked"
must mkfifo "$mnt/fifo"
[ -p "$src/fifo" ] || fail "mkfifo"
must rm "$mnt/fifo" "$mnt/sym" "$mnt/existing"
must rm "$mnt/d/f"
must rmdir "$mnt/d"
[ ! -e "$src/d" ] || fail "rmdir not in source"
ls -la "$mnt"
listing=$(find "$mnt" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
[ "$listing" = "big renamed " ] || fail "final listing: $listing"

must umount "$mnt"
wait_exit "$pid"
must rmmod fuse_iomap
echo "ok: passthrough_ll served fuse_iomap"
