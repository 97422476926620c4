# SPDX-License-Identifier: GPL-2.0
# Helpers sourced by the guest tests in tests/vm/*.sh.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# Run a command that must succeed, showing it first.
must() {
	echo "+ $*"
	"$@" || fail "'$*' exited with status $?"
}

# Succeed only if the given command fails.
must_fail() {
	echo "+ ! $*"
	if "$@"; then
		fail "'$*' succeeded but should have failed"
	fi
}

# The first scratch disk of the run, or skip.
scratch_disk() {
	local d
	for d in ${LAB_DISKS:-}; do
		echo "$d"
		return 0
	done
	skip "no scratch disk (lab run --disk SIZE)"
}

# Wait up to 5 s for process PID (a server) to exit after its unmount.
wait_exit() {
	local _
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "server $1 still running after unmount"
}

# Compile libfuse's example NAME (Debian's libfuse3-dev) to /tmp/NAME with
# the fuse3 flags of $PKG_CONFIG_PATH; extra compiler arguments follow.
# Skips the test when the examples are not installed.
build_example() {
	local name=$1 src=/usr/share/doc/libfuse3-dev/examples/$1.c
	local -a flags
	shift
	[ -f "$src" ] || skip "no libfuse example $name"
	read -r -a flags <<< "$(pkg-config --cflags --libs fuse3)"
	must gcc -O1 -o "/tmp/$name" "$src" "${flags[@]}" "$@"
}
