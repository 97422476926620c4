#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# libfuse's own pytest suite (test/ of the patched libfuse build, which
# mounts libfuse's example servers hello, hello_ll, passthrough*, null,
# ...) run twice: on the stock /dev/fuse, then on fuse_iomap.ko with
# FUSE_IOMAP_MOUNT=required, so every server in the suite mounts through
# fuse_iomap without editing the suite.  Writes the junit reports and a
# side-by-side table to $LAB_OUT (libfuse-pytest-{fuse,iomap}.xml,
# libfuse-pytest.txt) and fails if a test that passes on /dev/fuse does
# not pass on fuse_iomap; the differences are listed.
#
# Slow (two full runs under TCG): skipped unless LAB_SLOW=1, which
# run-all sets when tests are named on its command line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "${LAB_SLOW:-0}" = 1 ] || skip "slow; set LAB_SLOW=1 or name it: run-all libfuse-pytest"
here=$(cd "$(dirname "$0")" && pwd)
suite=/mnt/lab/build/userspace/libfuse-tests
[ -f "$suite/test/test_examples.py" ] || skip "libfuse's test suite not published (make libfuse)"
python3 -c 'import pytest' 2>/dev/null || skip "python3-pytest is not installed"

# A writable copy: pytest writes bytecode and its tests' paths are
# relative to the build directory.
work=$(mktemp -d)
must cp -a "$suite" "$work/build"

# Tests dropped with -k, each with the reason (none so far).
deselect=()

# run_suite NAME: one full run; the junit report is the result.
run_suite() {
	local name=$1 start
	start=$(date +%s)
	echo "=== libfuse pytest on $name (FUSE_IOMAP_MOUNT=${FUSE_IOMAP_MOUNT:-unset})"
	(cd "$work/build" && PYTHONPATH="$here" PYTHONDONTWRITEBYTECODE=1 \
		timeout -k 10 "${LAB_PYTEST_TOTAL:-900}" \
		python3 -m pytest test/ -p no:cacheprovider -p pytest_lab_timeout \
		--maxfail=100000 -q -o log_cli=false -o faulthandler_timeout=300 \
		"${deselect[@]}" --junitxml="$LAB_OUT/libfuse-pytest-$name.xml") \
		> "$LAB_OUT/libfuse-pytest-$name.log" 2>&1 || true
	tail -n 40 "$LAB_OUT/libfuse-pytest-$name.log"
	# Leftovers of a test that failed to clean up must not leak into the next run.
	awk '$3 ~ /^fuse/ && $3 != "fusectl" { print $2 }' /proc/mounts | while read -r m; do
		umount -l "$m" || true
	done
	echo "=== $name took $(($(date +%s) - start)) s"
}

modprobe cuse 2>/dev/null || true
unset FUSE_IOMAP_MOUNT
run_suite fuse

must modprobe fuse_iomap
export FUSE_IOMAP_MOUNT=required
# The variable must really move the suite's servers: hello (high-level
# API, daemonizes) has to mount as fuse_iomap.hello.
mnt=$(mktemp -d)
must "$work/build/example/hello" "$mnt"
grep -q " $mnt fuse_iomap.hello " /proc/mounts ||
	fail "FUSE_IOMAP_MOUNT=required did not mount fuse_iomap: $(grep " $mnt " /proc/mounts)"
must umount "$mnt"
run_suite iomap
unset FUSE_IOMAP_MOUNT
grep -q 'fuse_iomap' /proc/modules || fail "fuse_iomap unloaded itself"

python3 "$here/pytest_compare.py" "$LAB_OUT/libfuse-pytest-fuse.xml" \
	"$LAB_OUT/libfuse-pytest-iomap.xml" "$LAB_OUT/libfuse-pytest.txt" \
	"$here/libfuse-pytest.expected"
