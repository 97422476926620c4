#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Entry and attribute timeouts are honoured: with passthrough_ll's
# timeout=0 every change made behind the mount (in the source directory)
# shows at once; with cache=always (a day) a name looked up stays
# resolvable after it was renamed away behind the mount, and its size
# stays cached, until the timeout.  (passthrough_ll answers a missing name
# with ENOENT, which is never cached, so negative entries are not tested
# here.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_example passthrough_ll
must modprobe fuse_iomap

serve() { # MNT SRC OPTS
	FIMMOUNT_LOG="$LAB_OUT/passthrough_ll.log" python3 "$(dirname "$0")/fimmount.py" \
		"$1" -o subtype=pt -- /tmp/passthrough_ll -f -o "source=$2,$3" '{dev}'
}

stop() { # MNT PID
	must umount "$1"
	wait_exit "$2"
}

src=$(mktemp -d)
mnt=$(mktemp -d)
pid=
# Leave no mount behind for the next test, whatever happens here.
cleanup() {
	local rc=$?
	if grep -q " $mnt " /proc/mounts; then
		umount -l "$mnt"
	fi
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	exit "$rc"
}
trap cleanup EXIT
pid=$(serve "$mnt" "$src" timeout=0,cache=never)
[ ! -e "$mnt/late" ] || fail "late exists too early"
echo late > "$src/late"
[ "$(cat "$mnt/late")" = late ] || fail "timeout=0: new file behind the mount not seen"
mv "$src/late" "$src/moved"
[ ! -e "$mnt/late" ] || fail "timeout=0: renamed-away name still there"
echo longer > "$src/moved"
[ "$(stat -c %s "$mnt/moved")" = 7 ] || fail "timeout=0: stale size"
stop "$mnt" "$pid"

pid=$(serve "$mnt" "$src" cache=always)
size1=$(stat -c %s "$mnt/moved")	# looked up and cached now
must cp -a "$src/moved" "$src/kept"
must mv "$src/kept" "$src/elsewhere"
[ -e "$mnt/elsewhere" ] || fail "elsewhere not visible"
mv "$src/elsewhere" "$src/gone"
[ -e "$mnt/elsewhere" ] || fail "cache=always: entry not cached"
echo "much longer now" > "$src/moved"
[ "$(stat -c %s "$mnt/moved")" = "$size1" ] || fail "cache=always: size not cached"
stop "$mnt" "$pid"
pid=
must rmmod fuse_iomap
echo "ok: entry and attribute timeouts honoured"
