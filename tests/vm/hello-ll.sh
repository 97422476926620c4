#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libfuse's hello_ll example (from Debian's libfuse3-dev) serves a mount
# of fuse_iomap: INIT, LOOKUP, GETATTR, OPENDIR/READDIR, OPEN/READ,
# STATFS, RELEASE, FORGET and a synchronous DESTROY at unmount, after
# which the server exits by itself and the module unloads.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_example hello_ll

must modprobe fuse_iomap
mnt=$(mktemp -d)
pid=$(FIMMOUNT_LOG="$LAB_OUT/hello_ll.log" python3 "$(dirname "$0")/fimmount.py" "$mnt" -o subtype=hello -- /tmp/hello_ll -f '{dev}')
echo "server pid $pid"

grep -q " $mnt fuse_iomap.hello " /proc/mounts || fail "mount not shown as fuse_iomap.hello"
[ "$(ls "$mnt")" = hello ] || fail "listing is '$(ls "$mnt")', not 'hello'"
[ "$(cat "$mnt/hello")" = "Hello World!" ] || fail "hello reads '$(cat "$mnt/hello")'"
[ "$(stat -c %s "$mnt/hello")" = 13 ] || fail "hello is $(stat -c %s "$mnt/hello") bytes, not 13"
must_fail stat "$mnt/missing"
must stat -f "$mnt"
# hello_ll refuses writes; the error must come back, not a crash or hang.
must_fail sh -c "echo x > '$mnt/hello'"

must umount "$mnt"
wait_exit "$pid"
must rmmod fuse_iomap
echo "ok: hello_ll served fuse_iomap"
