#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The connection layer through a raw-protocol server
# (tests/vm/conn_server.py): FUSE_INTERRUPT with its id convention, EAGAIN
# and ENOSYS answers and SIGKILL of an ignored request; FORGET and
# BATCH_FORGET balancing every lookup; FUSE_DEV_IOC_CLONE channels.  The
# module must unload afterwards; the lab fails the run if the kernel log
# shows an oops, BUG or WARN.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

must modprobe fuse_iomap
must python3 "$(dirname "$0")/conn_server.py"
must rmmod fuse_iomap
echo "ok: connection layer"
