#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fio write-and-verify jobs (tests/fio/verify.fio) on fuse4fs served
# through fuse_iomap.ko: for each section, a fresh 1 GiB ext4 image on the
# scratch disk, mount with -o iomap=required, fio writes and verifies
# (crc32c), unmount (the server writes back and exits 0), e2fsck -fn,
# remount read-only and verify again (verify_only).  Sizes are smaller
# than on the host (qemu emulates the CPU); the 128 MiB command of
# issue 9 runs only with LAB_SLOW=1 (the default when the test is named:
# run-all fio-verify), as it takes minutes here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin=/mnt/lab/build/userspace/fuse4fs
[ -x "$bin/fuse4fs" ] || skip "fuse4fs not built (scripts/lab build --part server)"
command -v fio > /dev/null || skip "no fio"
disk=$(scratch_disk)
jobs=$(cd "$(dirname "$0")/../fio" && pwd)/verify.fio
mnt=$(mktemp -d)
export FIO_DIR=$mnt FIO_SMALL_MB=8 FIO_MEDIUM_MB=12 FIO_LARGE_MB=16

must modprobe fuse_iomap

sections=()
while read -r s; do
	if [ "$s" = issue9 ] && [ "${LAB_SLOW:-0}" != 1 ]; then
		echo "skipping section issue9 (128 MiB; LAB_SLOW=1 runs it)"
		continue
	fi
	sections+=("$s")
done < <(sed -n 's/^\[\(.*\)\]$/\1/p' "$jobs" | grep -vx global)

pid=
# serve OPTS: fuse4fs in the foreground, in the background; wait for the mount.
serve() {
	"$bin/fuse4fs" "$disk" "$mnt" -f -o "iomap=required,$1" >> "$LAB_OUT/fio-verify-server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q " $mnt fuse_iomap.fuse4fs " /proc/mounts && return 0
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	tail "$LAB_OUT/fio-verify-server.log"
	fail "fuse4fs did not mount through fuse_iomap"
}

# unserve: unmount; the server must write back and exit 0.
unserve() {
	must umount "$mnt"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "fuse4fs exited with $rc"
}

for s in "${sections[@]}"; do
	start=$(date +%s)
	must mke2fs -q -F -t ext4 -b 4096 "$disk" 1G
	serve rw
	fio --section="$s" "$jobs" > "$LAB_OUT/fio-verify-$s.log" 2>&1 ||
		{ tail -n 30 "$LAB_OUT/fio-verify-$s.log"; fail "fio $s: write and verify"; }
	unserve
	must e2fsck -fn "$disk"
	serve ro
	fio --section="$s" --verify_only=1 "$jobs" >> "$LAB_OUT/fio-verify-$s.log" 2>&1 ||
		{ tail -n 30 "$LAB_OUT/fio-verify-$s.log"; fail "fio $s: verify after remount"; }
	unserve
	echo "ok: fio $s written, verified, e2fsck clean, verified again ($(($(date +%s) - start)) s)"
done
must rmmod fuse_iomap
echo "ok: ${#sections[@]} fio sections through fuse_iomap"
