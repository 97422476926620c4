// SPDX-License-Identifier: GPL-2.0
//
// The unmount helper: after the privilege drop the server cannot unmount
// its own mount (umount needs CAP_SYS_ADMIN, and no_new_privs disarms a
// setuid fusermount3), so a SIGTERM, errors=panic or a crash would leave a
// dead mount behind.  Before the drop the server forks this helper.  It
// keeps CAP_SYS_ADMIN and nothing else, holds no file descriptor of the
// server's (not the image, not /dev/fuse), reads nothing but the end of a
// pipe, and ignores the terminal's signals.  When the server exits, for
// whatever reason, the pipe's write end closes; if the mount is then
// still there, the helper detaches it (umount2 MNT_DETACH), and exits.
// It identifies the mount by its device number read from mountinfo at
// mount time, so it never unmounts something mounted there later.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace f4::util {

// The major:minor of the topmost mount at @mountpoint in a mountinfo
// text, or "" if nothing is mounted there.
std::string mount_dev_at(std::string_view mountinfo, std::string_view mountpoint);

// Fork the helper for the mount at @mountpoint (absolute and canonical,
// mounted by this process just before).  The pipe's write end stays open
// (close-on-exec) in this process until it exits.
Expected<void, std::string> start_unmount_helper(const std::string& mountpoint);

}  // namespace f4::util
