#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `scripts/lab bench`: run the fio jobs of
# scripts/bench/fuse-iomap.fio against each configuration named on the
# command line, on a fresh ext4 made on the first scratch disk for each:
#
#   ext4           the kernel's ext4 (the baseline)
#   fuse2fs        Debian's fuse2fs on /dev/fuse
#   fuse4fs-fuse   fuse4fs on /dev/fuse (-o iomap=off)
#   fuse4fs-iomap  fuse4fs on fuse_iomap.ko (-o iomap=required)
#
# Results go to $LAB_OUT/bench/CONFIG/: JOB.json (fio's JSON), JOB.err and
# JOB.rc for each job, odirect.txt (whether an O_DIRECT read opens), and
# e2fsck.txt and e2fsck.rc from `e2fsck -fn` after the unmount.
#
# usage: bench.sh --size SIZE --runtime SEC CONFIG...
# Exit status: 0 if every image came out clean (fio failures are reported
# in the files above and judged by the host), else 1.
set -euo pipefail

size=64m
runtime=20
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "bench: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "bench: name at least one configuration" >&2; exit 2; }

out=${LAB_OUT:?run me inside a lab VM}/bench
jobfile=$LAB_REPO/scripts/bench/fuse-iomap.fio
fuse4fs=/mnt/lab/build/userspace/fuse4fs
disk=${LAB_DISKS%% *}
[ -b "$disk" ] || { echo "bench: no scratch disk" >&2; exit 2; }
mnt=/mnt/bench
mkdir -p "$mnt" "$out"
ln -sf "$fuse4fs/mount.fuse4fs" /sbin/mount.fuse4fs
jobs=(seq-write-1m-direct seq-read-1m-direct rand-write-4k-buffered rand-read-4k-buffered)
fio --version > "$out/fio-version.txt"
echo "size=$size runtime=$runtime" > "$out/params.txt"

# Wait for the FUSE server NAME to exit after the unmount: it writes the
# image back on its way out, and e2fsck must see the final state.
wait_server() {
	local _
	for _ in $(seq 600); do
		pgrep -x "$1" > /dev/null || return 0
		sleep 0.1
	done
	echo "bench: $1 still running 60 s after the unmount" >&2
	return 1
}

mount_config() {
	case $1 in
	ext4) mount -t ext4 "$disk" "$mnt" ;;
	fuse2fs) fuse2fs "$disk" "$mnt" -o fakeroot ;;
	fuse4fs-fuse) mount -t fuse4fs -o iomap=off "$disk" "$mnt" ;;
	fuse4fs-iomap)
		modprobe fuse_iomap
		mount -t fuse4fs -o iomap=required "$disk" "$mnt"
		;;
	*) echo "bench: unknown configuration $1" >&2; return 2 ;;
	esac
}

server_of() {
	case $1 in
	fuse2fs) echo fuse2fs ;;
	fuse4fs-*) echo fuse4fs ;;
	esac
}

clean=1
for config in "$@"; do
	dir=$out/$config
	mkdir -p "$dir"
	echo "bench: === $config ==="
	mkfs.ext4 -q -F "$disk"
	mount_config "$config"
	grep " $mnt " /proc/mounts | tee "$dir/mount.txt"
	# Lay the file out once with buffered writes, so that every job finds
	# it even where O_DIRECT cannot open it.
	dd if=/dev/zero of="$mnt/bench.dat" bs=1M count="$(numfmt --from=iec "${size^^}" |
		awk '{ print int(($1 + 1048575) / 1048576) }')" conv=fsync status=none
	if dd if="$mnt/bench.dat" of=/dev/null bs=1M count=1 iflag=direct 2> "$dir/odirect.err"; then
		echo "ok" > "$dir/odirect.txt"
	else
		echo "failed: $(tail -1 "$dir/odirect.err")" > "$dir/odirect.txt"
	fi
	echo "bench: O_DIRECT read: $(cat "$dir/odirect.txt")"
	for job in "${jobs[@]}"; do
		sync
		echo 3 > /proc/sys/vm/drop_caches
		echo "bench: $config $job"
		rc=0
		BENCH_DIR=$mnt BENCH_SIZE=$size BENCH_RUNTIME=$runtime \
			fio --section="$job" --eta=never --output-format=json --output="$dir/$job.json" \
			"$jobfile" 2> "$dir/$job.err" || rc=$?
		echo "$rc" > "$dir/$job.rc"
		[ "$rc" = 0 ] || echo "bench: fio exited $rc: $(tail -1 "$dir/$job.err")"
	done
	umount "$mnt"
	server=$(server_of "$config")
	[ -z "$server" ] || wait_server "$server"
	rc=0
	e2fsck -fn "$disk" > "$dir/e2fsck.txt" 2>&1 || rc=$?
	echo "$rc" > "$dir/e2fsck.rc"
	echo "bench: e2fsck -fn after $config: exit $rc"
	[ "$rc" = 0 ] || { clean=0; cat "$dir/e2fsck.txt"; }
	if [ "$config" = fuse4fs-iomap ]; then
		rmmod fuse_iomap
	fi
done
[ "$clean" = 1 ]
