#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The patched libfuse (make libfuse) picks fuse_iomap by itself: with
# -o iomap=required or iomap=auto, libfuse's hello_ll and passthrough_ll
# examples, built against it, open /dev/fuse_iomap and mount type
# fuse_iomap (libfuse does the mount(2) as root); without the module,
# iomap=required fails with a clear message and iomap=auto falls back to
# the built-in fuse.  The patched fusermount3 unmounts fuse_iomap mounts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lf=/mnt/lab/build/userspace/libfuse
[ -f "$lf/lib/pkgconfig/fuse3.pc" ] || skip "patched libfuse not built (make libfuse)"
export PKG_CONFIG_PATH=$lf/lib/pkgconfig
for ex in hello_ll passthrough_ll; do
	build_example "$ex" -Wl,-rpath,"$lf/lib"
done

wait_mounted() {
	for _ in $(seq 100); do
		grep -q " $1 " /proc/mounts && return 0
		sleep 0.1
	done
	fail "nothing mounted on $1"
}

must modprobe fuse_iomap
mnt=$(mktemp -d)
/tmp/hello_ll -f -o iomap=required "$mnt" > "$LAB_OUT/hello_ll-iomap.log" 2>&1 &
pid=$!
wait_mounted "$mnt"
grep " $mnt " /proc/mounts
grep -q " $mnt fuse_iomap.hello_ll " /proc/mounts || fail "not mounted as fuse_iomap.hello_ll"
[ "$(cat "$mnt/hello")" = "Hello World!" ] || fail "hello reads wrong"
must umount "$mnt"
wait_exit "$pid"

src=$(mktemp -d)
/tmp/passthrough_ll -f -o iomap=auto -o "source=$src" "$mnt" > "$LAB_OUT/passthrough_ll-iomap.log" 2>&1 &
pid=$!
wait_mounted "$mnt"
grep -q " $mnt fuse_iomap.passthrough_ll " /proc/mounts || fail "auto did not pick fuse_iomap"
must sh -c "echo data > '$mnt/file'"
[ "$(cat "$src/file")" = data ] || fail "write did not reach the source"
must mkdir "$mnt/dir"
must mv "$mnt/file" "$mnt/dir/file"
[ "$(cat "$mnt/dir/file")" = data ] || fail "read after rename"
# The patched fusermount3 knows the fuse_iomap types when unmounting.
must "$lf/bin/fusermount3" -u "$mnt"
wait_exit "$pid"

must rmmod fuse_iomap
if /tmp/hello_ll -f -o iomap=required "$mnt" > "$LAB_OUT/hello_ll-required.log" 2>&1; then
	fail "iomap=required mounted without the module"
fi
grep -q 'iomap=required' "$LAB_OUT/hello_ll-required.log" ||
	fail "no clear message: $(cat "$LAB_OUT/hello_ll-required.log")"
/tmp/hello_ll -f -o iomap=auto "$mnt" > "$LAB_OUT/hello_ll-auto.log" 2>&1 &
pid=$!
wait_mounted "$mnt"
grep -q " $mnt fuse.hello_ll " /proc/mounts || fail "auto without the module is not plain fuse"
[ "$(cat "$mnt/hello")" = "Hello World!" ] || fail "fallback mount reads wrong"
must umount "$mnt"
wait_exit "$pid"
echo "ok: patched libfuse selects fuse_iomap and falls back"
