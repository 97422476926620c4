#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fio write-and-verify jobs (tests/fio/verify.fio) on fuse4fs on the
# classic FUSE data path (stock /dev/fuse): for each section, a fresh
# 1 GiB ext4 image, mount, fio writes and verifies (crc32c), unmount,
# e2fsck -fn, remount read-only and verify again (verify_only), unmount.
# Needs root (mount) and a /dev/fuse.
#
# usage: fio-verify.sh FUSE4FS RESULTS [SECTION...]
# Writes one "pass|fail NAME" line per step to RESULTS; without SECTIONs,
# every section of the job file.
set -euo pipefail
shopt -s inherit_errexit

usage() {
	echo "usage: $0 FUSE4FS RESULTS [SECTION...]" >&2
	exit 2
}
[[ $# -ge 2 ]] || usage
fuse4fs=$1
results=$2
shift 2
jobs=$(cd "$(dirname "$0")/../fio" && pwd)/verify.fio
sections=("$@")
if [[ ${#sections[@]} -eq 0 ]]; then
	mapfile -t sections < <(sed -n 's/^\[\(.*\)\]$/\1/p' "$jobs" | grep -vx global)
fi
: >"$results"

work=$(mktemp -d)
mnt=$work/mnt
img=$work/ext4.img
mkdir -p "$mnt"
cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt" || umount -l "$mnt" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

export FIO_DIR=$mnt FIO_SMALL_MB=24 FIO_MEDIUM_MB=32 FIO_LARGE_MB=48

step_prefix=fio-verify
# shellcheck source-path=SCRIPTDIR source=step.sh
source "$(dirname "$0")/step.sh"

# mount_fs [OPTS...]: fuse4fs in the background (not -f: it detaches once
# mounted); unmounting makes it write back and exit.
mount_fs() {
	FUSE_IOMAP_MOUNT=required "$fuse4fs" "$img" "$mnt" "$@" >"$work/server.log" 2>&1
	mountpoint -q "$mnt"
}

# umount_fs: unmount and wait until no process has the image open.
umount_fs() {
	umount "$mnt"
	local _ fd
	for _ in $(seq 300); do
		for fd in /proc/[0-9]*/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == "$img" ]] && continue 2
		done
		return 0
	done
	echo "the image is still open" >&2
	return 1
}

# run_section NAME: write and verify on a fresh image.
run_section() {
	mke2fs -q -F -t ext4 -b 4096 "$img" 1G
	mount_fs
	fio --section="$1" "$jobs"
	umount_fs
}

# verify_again NAME: the data is still there after a remount.
verify_again() {
	mount_fs -o ro
	fio --section="$1" --verify_only=1 "$jobs"
	umount_fs
}

for s in "${sections[@]}"; do
	step "fio $s: write and verify" run_section "$s"
	step "fio $s: e2fsck -fn is clean" e2fsck -fn "$img"
	step "fio $s: verify again after a read-only remount" verify_again "$s"
done

echo "fio-verify: $failures failure(s)"
[[ $failures -eq 0 ]]
