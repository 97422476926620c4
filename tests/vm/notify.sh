#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libfuse's notification examples (Debian's libfuse3-dev) through
# fuse_iomap.  notify_inval_entry renames its only file every second and
# invalidates the old name (or, with --only-expire, expires it) although
# the entry timeout is long: the old name must stop resolving.  It
# asserts that every notification was accepted, so a refusal kills it.
# notify_inval_inode changes its file's contents every second and sends
# INVAL_INODE; it aborts if the kernel refuses one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_example notify_inval_entry
build_example notify_inval_inode

must modprobe fuse_iomap
mnt=$(mktemp -d)

# Mount notify_inval_entry with ARGS, check that a name goes stale.
check_entry() {
	local pid old _
	pid=$(FIMMOUNT_LOG="$LAB_OUT/notify_inval_entry.log" python3 "$(dirname "$0")/fimmount.py" \
		"$mnt" -o subtype=notify -- /tmp/notify_inval_entry -f "$@" '{dev}')
	echo "server pid $pid"
	old=$(ls "$mnt")
	[ -n "$old" ] || fail "no file in the root"
	must stat "$mnt/$old"
	sleep 2.5
	[ "$(ls "$mnt")" != "$old" ] || fail "file name did not change"
	# The entry is valid for 30 s: only the notification makes it go.
	must_fail stat "$mnt/$old"
	# The current name resolves (it may change between ls and stat).
	for _ in 1 2 3 4 5; do
		stat "$mnt/$(ls "$mnt")" > /dev/null && break
		sleep 0.2
	done || fail "the current name does not resolve"
	kill -0 "$pid" || fail "notify_inval_entry died (a notification was refused)"
	must umount "$mnt"
	wait_exit "$pid"
}
check_entry --update-interval=1 --timeout=30
check_entry --update-interval=1 --timeout=30 --only-expire

pid=$(FIMMOUNT_LOG="$LAB_OUT/notify_inval_inode.log" python3 "$(dirname "$0")/fimmount.py" \
	"$mnt" -o subtype=notify -- /tmp/notify_inval_inode -f --update-interval=1 '{dev}')
echo "server pid $pid"
first=$(cat "$mnt/current_time")
echo "$first"
sleep 2.5
second=$(cat "$mnt/current_time")
echo "$second"
[ "$first" != "$second" ] || fail "contents did not change"
kill -0 "$pid" || fail "notify_inval_inode died (a notification was refused)"
must umount "$mnt"
wait_exit "$pid"

must rmmod fuse_iomap
echo "ok: libfuse's notification examples"
