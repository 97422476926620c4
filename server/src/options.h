// SPDX-License-Identifier: GPL-2.0
//
// Command line: fuse4fs IMAGE MOUNTPOINT [-f] [-d] [-o opt[,opt...]]
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ext2/filesystem.h"
#include "util/result.h"

namespace f4 {

struct Options {
  std::string image;
  std::string mountpoint;
  ext2::Access access = ext2::Access::kReadWrite;
  ext2::ErrorPolicy errors = ext2::ErrorPolicy::kContinue;
  bool norecovery = false;
  bool foreground = false;
  bool debug = false;
  bool allow_other = false;
  // Mount options passed through to the kernel (suid, dev, noatime, ...).
  std::vector<std::string> mount_opts;
  // Who to become once the image and the fuse device are open; unset:
  // the "nobody" user when started as root, nothing otherwise.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<std::string> user;
  bool help = false;
};

// Parse argv; the error is a one-line message for the user.
util::Expected<Options, std::string> parse_options(const std::vector<std::string>& args);

// The fuse_session_new arguments for @o (argv[0] first).
std::vector<std::string> fuse_args(const Options& o);

extern const char kUsage[];

}  // namespace f4
