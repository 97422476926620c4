#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libfuse's passthrough_hp example (from the patched libfuse's build,
# make libfuse) mirrors a directory through fuse_iomap with several
# worker threads, each on its own channel (--clone-fd, which the patched
# libfuse opens on /dev/fuse_iomap and binds with FUSE_DEV_IOC_CLONE).
# Parallel writers and readers must see their data, the server must hold
# more than one channel, the clone must not have failed, and unmount
# must end the server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lf=/mnt/lab/build/userspace/libfuse
hp=/mnt/lab/build/userspace/libfuse-tests/example/passthrough_hp
[ -x "$hp" ] || skip "patched libfuse's passthrough_hp not built (make libfuse)"
export LD_LIBRARY_PATH=$lf/lib

must modprobe fuse_iomap
src=$(mktemp -d)
mnt=$(mktemp -d)
log=$LAB_OUT/passthrough_hp.log
"$hp" --foreground --clone-fd --num-threads=4 --nopassthrough \
	-o iomap=required "$src" "$mnt" > "$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q " $mnt fuse_iomap" /proc/mounts && break
	sleep 0.1
done
grep " $mnt " /proc/mounts || fail "passthrough_hp did not mount fuse_iomap: $(cat "$log")"

# Parallel work, so that libfuse starts several workers.
pids=()
for i in 1 2 3 4 5 6; do
	(
		dd if=/dev/urandom of="$mnt/f$i" bs=64k count=16 status=none
		for _ in 1 2 3; do
			cmp "$mnt/f$i" "$src/f$i"
			ls -l "$mnt" > /dev/null
		done
	) &
	pids+=("$!")
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a parallel worker failed"
done
for i in 1 2 3 4 5 6; do
	[ "$(stat -c %s "$src/f$i")" = 1048576 ] || fail "f$i has the wrong size in the source"
done

channels=0
for fd in /proc/"$pid"/fd/*; do
	[ "$(readlink "$fd")" = /dev/fuse_iomap ] && channels=$((channels + 1))
done
echo "passthrough_hp holds $channels /dev/fuse_iomap channels"
[ "$channels" -ge 2 ] || fail "no cloned channel"
if grep -q "failed to clone" "$log"; then
	fail "libfuse could not clone: $(cat "$log")"
fi

must "$lf/bin/fusermount3" -u "$mnt"
wait_exit "$pid"
must rmmod fuse_iomap
echo "ok: passthrough_hp served fuse_iomap on $channels channels"
