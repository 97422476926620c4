#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuse4fs replays journals left dirty by kernel ext4 (EXT4_IOC_SHUTDOWN
# with the log flush) into the same tree kernel ext4's own replay gives:
# six workloads (creates, renames, truncates, xattrs, small transactions,
# revokes), over three mkfs feature sets, through /dev/fuse and
# fuse_iomap.ko.  About 20 s a case on qemu TCG.  Each case is its own line in the results
# (journal-replay/WORKLOAD-SEED); journal_replay.py says how.
# JOURNAL_REPLAY_CASES="creates:7 revokes:8" picks other cases.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin=/mnt/lab/build/userspace/fuse4fs
[ -x "$bin/fuse4fs" ] || skip "fuse4fs not built (scripts/lab build --part server)"
disk=$(scratch_disk)

must modprobe fuse_iomap
must modprobe loop
# mount(8) finds the helper in /sbin (the guest root is a snapshot).
must ln -sf "$bin/mount.fuse4fs" /sbin/mount.fuse4fs
work=$(mktemp -d)
must mkfs.ext4 -q -F "$disk"
must mount "$disk" "$work"
rc=0
read -r -a cases <<< "${JOURNAL_REPLAY_CASES:-}"
python3 "$(dirname "$0")/journal_replay.py" "$work" "$LAB_OUT/results.txt" "${cases[@]}" || rc=$?
must umount "$work"
must rmmod fuse_iomap
[ "$rc" = 0 ] || fail "journal replay differs from the kernel's"
echo "ok: fuse4fs replays journals as kernel ext4 does"
