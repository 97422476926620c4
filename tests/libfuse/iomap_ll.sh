#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# example/iomap_ll of the patched libfuse on the classic /dev/fuse.
#
# Without fuse_iomap.ko, iomap=auto must fall back to the classic client
# (so the example serves READ/WRITE itself) and iomap=required must fail
# with a message naming the module.  Runs as root in the trixie chroot;
# prints one TAP line per case.
#
# usage: iomap_ll.sh BUILD_DIR   (a meson build dir of the patched tree)
set -euo pipefail
shopt -s inherit_errexit

readonly build="${1:?usage: $0 BUILD_DIR}"
readonly example="$build/example/iomap_ll"
n=0
failed=0

tmp="$(mktemp -d)"
cleanup() {
	umount "$tmp/mnt" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	echo "# $2"
}

mkdir "$tmp/mnt"
truncate -s 1M "$tmp/img"
printf 'before' | dd of="$tmp/img" conv=notrunc status=none

if [[ -e /dev/fuse_iomap ]]; then
	echo "ok 1 - iomap=required without the module # SKIP fuse_iomap is loaded"
	n=1
elif out="$("$example" "$tmp/img" "$tmp/mnt" -o iomap=required 2>&1)"; then
	umount "$tmp/mnt" || true
	not_ok "iomap=required without the module fails" "it mounted"
elif [[ "$out" == *"modprobe fuse_iomap"* ]]; then
	ok "iomap=required without the module fails and names the module"
else
	not_ok "iomap=required without the module fails and names the module" "$out"
fi

if "$example" "$tmp/img" "$tmp/mnt" -o iomap=auto 2>"$tmp/err"; then
	type="$(awk -v m="$tmp/mnt" '$2 == m { print $3 }' /proc/mounts)"
	if [[ "$type" == fuse.iomap_ll ]]; then
		ok "iomap=auto falls back to the classic client ($type)"
	else
		not_ok "iomap=auto falls back to the classic client" "mount type '$type'"
	fi
	size="$(stat -c %s "$tmp/mnt/image")"
	if [[ "$size" == 1048576 ]]; then
		ok "the image file has the device's size"
	else
		not_ok "the image file has the device's size" "size $size"
	fi
	if [[ "$(head -c 6 "$tmp/mnt/image")" == before ]]; then
		ok "reads return the device's data"
	else
		not_ok "reads return the device's data" "got other bytes"
	fi
	printf 'after!' | dd of="$tmp/mnt/image" bs=4096 seek=1 conv=notrunc status=none
	sync "$tmp/mnt/image"
	if [[ "$(dd if="$tmp/img" bs=4096 skip=1 count=1 status=none | head -c 6)" == 'after!' ]]; then
		ok "writes reach the device"
	else
		not_ok "writes reach the device" "the image is unchanged"
	fi
	if dd if=/dev/zero of="$tmp/mnt/image" bs=4096 seek=256 count=1 conv=notrunc \
		status=none 2>/dev/null; then
		not_ok "writes past the end fail (the file cannot grow)" "the write succeeded"
	else
		ok "writes past the end fail (the file cannot grow)"
	fi
	umount "$tmp/mnt"
else
	not_ok "iomap=auto falls back to the classic client" "$(cat "$tmp/err")"
fi

# FUSE_IOMAP_MOUNT sets the default when no iomap= is given; the option wins.
if [[ -e /dev/fuse_iomap ]]; then
	ok "FUSE_IOMAP_MOUNT=required without the module # SKIP fuse_iomap is loaded"
elif out="$(FUSE_IOMAP_MOUNT=required "$example" "$tmp/img" "$tmp/mnt" 2>&1)"; then
	umount "$tmp/mnt" || true
	not_ok "FUSE_IOMAP_MOUNT=required without the module fails" "it mounted"
elif [[ "$out" == *"modprobe fuse_iomap"* ]]; then
	ok "FUSE_IOMAP_MOUNT=required without the module fails and names the module"
else
	not_ok "FUSE_IOMAP_MOUNT=required without the module fails and names the module" "$out"
fi
if FUSE_IOMAP_MOUNT=required "$example" "$tmp/img" "$tmp/mnt" -o iomap=auto 2>"$tmp/err"; then
	type="$(awk -v m="$tmp/mnt" '$2 == m { print $3 }' /proc/mounts)"
	if [[ "$type" == fuse.iomap_ll || "$type" == fuse_iomap.iomap_ll ]]; then
		ok "iomap=auto overrides FUSE_IOMAP_MOUNT=required ($type)"
	else
		not_ok "iomap=auto overrides FUSE_IOMAP_MOUNT=required" "mount type '$type'"
	fi
	umount "$tmp/mnt"
else
	not_ok "iomap=auto overrides FUSE_IOMAP_MOUNT=required" "$(cat "$tmp/err")"
fi
if out="$(FUSE_IOMAP_MOUNT=maybe "$example" "$tmp/img" "$tmp/mnt" 2>&1)"; then
	umount "$tmp/mnt" || true
	not_ok "an unknown FUSE_IOMAP_MOUNT value is refused" "it mounted"
elif [[ "$out" == *"FUSE_IOMAP_MOUNT=maybe"* ]]; then
	ok "an unknown FUSE_IOMAP_MOUNT value is refused"
else
	not_ok "an unknown FUSE_IOMAP_MOUNT value is refused" "$out"
fi

# mount.fuse3 style: TYPE#SOURCE MOUNTPOINT -o OPTIONS runs TYPE SOURCE MOUNTPOINT -o ...
if "$build/util/mount.fuse3" "$example#$tmp/img" "$tmp/mnt" -o iomap=auto 2>"$tmp/err"; then
	type="$(awk -v m="$tmp/mnt" '$2 == m { print $3 }' /proc/mounts)"
	if [[ "$type" == fuse.iomap_ll && "$(head -c 6 "$tmp/mnt/image")" == before ]]; then
		ok "mount.fuse3 mounts it with iomap=auto"
	else
		not_ok "mount.fuse3 mounts it with iomap=auto" "type '$type'"
	fi
	umount "$tmp/mnt"
else
	not_ok "mount.fuse3 mounts it with iomap=auto" "$(cat "$tmp/err")"
fi

echo "1..$n"
[[ $failed -eq 0 ]]
