#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Operations beyond the basic set, through libfuse's passthrough_ll (which
# negotiates READDIRPLUS and FLOCK_LOCKS and implements CREATE and
# TMPFILE, but not POSIX locks or ACCESS) and passthrough_fh (which
# implements ACCESS): listings of a large directory come from READDIRPLUS
# and hard links keep one inode; O_CREAT|O_EXCL creates once; an O_TMPFILE
# file gets its name with linkat; flock(2) locks conflict through the
# server and fcntl(2) locks locally, between two processes; access(2) and
# chdir(2) get the server's answer (tests/vm/ops_checks.py).  The kernel
# log must stay free of refusals.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_example passthrough_ll
build_example passthrough_fh
checks=$(dirname "$0")/ops_checks.py

must modprobe fuse_iomap
src=$(mktemp -d)
mnt=$(mktemp -d)
log=$LAB_OUT/ops-passthrough_ll.log
mark="ops.sh start $$"
echo "$mark" > /dev/kmsg

# 300 files, every tenth with a second name.
mkdir "$src/many"
for i in $(seq 300); do
	echo "$i" > "$src/many/f$i"
	if (( i % 10 == 0 )); then
		ln "$src/many/f$i" "$src/many/h$i"
	fi
done
pid=$(FIMMOUNT_LOG="$log" python3 "$(dirname "$0")/fimmount.py" \
	"$mnt" -o subtype=passthrough -- /tmp/passthrough_ll -d -o "source=$src" '{dev}')
echo "server pid $pid"

# READDIRPLUS: ls -l lists everything with the right link counts.
listing=$(ls -l "$mnt/many")
[ "$(grep -c ' f[0-9]*$' <<< "$listing")" = 300 ] || fail "ls -l lists $(grep -c ' f' <<< "$listing") f* names"
[ "$(grep -c ' h[0-9]*$' <<< "$listing")" = 30 ] || fail "ls -l lists $(grep -c ' h' <<< "$listing") h* names"
[ "$(awk '$NF ~ /^[fh](10|300)$/ { print $2 }' <<< "$listing" | sort -u)" = 2 ] ||
	fail "hard links do not show two links"
grep -q 'opcode: READDIRPLUS' "$log" || fail "the server saw no READDIRPLUS"
# Hard links listed through READDIRPLUS are one inode.
for i in 10 150 300; do
	[ "$(stat -c %i "$mnt/many/f$i")" = "$(stat -c %i "$mnt/many/h$i")" ] ||
		fail "f$i and h$i are different inodes"
done
# shellcheck disable=SC2012 # ls -i is what is being tested
[ "$(ls -i "$mnt/many" | awk '$2 == "f20" || $2 == "h20" { print $1 }' | sort -u | wc -l)" = 1 ] ||
	fail "ls -i shows two inode numbers for f20 and h20"
[ "$(cat "$mnt/many/h300")" = 300 ] || fail "read through a hard link"
# A second listing after the source changed shows the change.
rm "$src/many/f1"
echo new > "$src/many/new"
sleep 1.1	# passthrough_ll's entry timeout
ls -l "$mnt/many" > /dev/null
[ -e "$mnt/many/new" ] || fail "new name not listed"
[ ! -e "$mnt/many/f1" ] || fail "removed name still there"
[ "$(find "$mnt/many" -mindepth 1 | wc -l)" = 330 ] || fail "find counts $(find "$mnt/many" -mindepth 1 | wc -l)"

# CREATE: O_CREAT|O_EXCL makes the file once, open, with the mode asked.
must python3 "$checks" excl "$mnt"
[ "$(cat "$src/excl")" = created ] || fail "created file's data not in the source"
[ "$(stat -c %a "$src/excl")" = 640 ] || fail "created file has mode $(stat -c %a "$src/excl")"
grep -q 'opcode: CREATE' "$log" || fail "the server saw no CREATE"

# TMPFILE: an unnamed file that linkat(2) names.
must python3 "$checks" tmpfile "$mnt"
[ "$(cat "$src/named")" = anonymous ] || fail "linked tmpfile not in the source"
grep -q 'opcode: TMPFILE' "$log" || fail "the server saw no TMPFILE"

# flock(2) through the server (FLOCK_LOCKS): a second open file conflicts.
touch "$mnt/lockme"
held=$(mktemp -u)
flock -x "$mnt/lockme" -c "touch $held; sleep 3" &
holder=$!
for _ in $(seq 50); do [ -e "$held" ] && break; sleep 0.1; done
[ -e "$held" ] || fail "flock holder did not start"
must_fail flock -n -x "$mnt/lockme" true
must_fail flock -n -s "$mnt/lockme" true
wait "$holder"
must flock -n -x "$mnt/lockme" true
grep -q 'opcode: SETLK' "$log" || fail "flock did not reach the server"

# fcntl(2) record locks: passthrough_ll has no POSIX locks, so they are
# local, and still conflict between two processes.
must python3 "$checks" fcntl "$mnt"
if grep -q 'opcode: GETLK' "$log"; then
	fail "GETLK sent to a server without POSIX locks"
fi

must umount "$mnt"
wait_exit "$pid"

# ACCESS, through passthrough_fh (libfuse's high-level API: paths from /).
log=$LAB_OUT/ops-passthrough_fh.log
mkdir "$src/acc" "$src/noexec"
chmod 644 "$src/noexec"
echo data > "$src/acc/plain"
chmod 644 "$src/acc/plain"
pid=$(FIMMOUNT_LOG="$log" python3 "$(dirname "$0")/fimmount.py" \
	"$mnt" -o subtype=passthrough_fh -- /tmp/passthrough_fh -d '{dev}')
echo "server pid $pid"
must python3 "$checks" access "$mnt$src"
grep -q 'opcode: ACCESS' "$log" || fail "the server saw no ACCESS"
must umount "$mnt"
wait_exit "$pid"
must rmmod fuse_iomap
if dmesg | sed -n "/$mark/,\$p" | grep -E 'fuse_iomap: '; then
	fail "the kernel log has fuse_iomap complaints"
fi
echo "ok: operations through passthrough_ll"
