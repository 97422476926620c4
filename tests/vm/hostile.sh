#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A hostile server (tests/vm/hostile_server.py) sends malformed, unknown,
# duplicate and out-of-range replies, never answers one request and dies
# in the middle of another.  Each must fail only the operation concerned;
# afterwards the module must unload.  The lab fails the run if the kernel
# log shows an oops, BUG or WARN.  hostile_review.py then reproduces the
# findings of the module's review (issue 10), one case each.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

must modprobe fuse_iomap
must python3 "$(dirname "$0")/hostile_server.py"
must python3 "$(dirname "$0")/hostile_review.py"
must rmmod fuse_iomap
echo "ok: hostile server contained"
