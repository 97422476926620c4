#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload the module repeatedly; the slab usage must not grow
# (Debian's kernels have no kmemleak, so compare /proc/meminfo's Slab
# after warming up against the end).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cycles=${LOAD_CYCLES:-20}
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

must modprobe fuse_iomap
must rmmod fuse_iomap
sync
echo 3 > /proc/sys/vm/drop_caches
before=$(slab_kb)
for _ in $(seq "$cycles"); do
	modprobe fuse_iomap || fail "modprobe failed"
	exec {fd}<>/dev/fuse_iomap || fail "cannot open /dev/fuse_iomap"
	exec {fd}>&-
	rmmod fuse_iomap || fail "rmmod failed"
done
sync
echo 3 > /proc/sys/vm/drop_caches
after=$(slab_kb)
echo "slab: ${before} kB before, ${after} kB after $cycles cycles"
# Allow noise from unrelated caches, not a per-cycle leak.
[ $((after - before)) -lt 512 ] || fail "slab grew by $((after - before)) kB"
