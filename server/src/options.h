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

// Which kernel FUSE client to mount through (-o iomap=, named and parsed
// as the patched libfuse's own iomap= option).
enum class IomapMount {
  kOff,       // the classic fuse module and /dev/fuse
  kAuto,      // fuse_iomap.ko if /dev/fuse_iomap exists, else classic
  kRequired,  // fuse_iomap.ko, or refuse to mount
};

// The client a mount will use, once IomapMount is resolved.
enum class Client { kFuse, kIomap };

// fuse_iomap.ko's device; its presence means the module is loaded.
inline constexpr const char kIomapDevice[] = "/dev/fuse_iomap";

struct Options {
  std::string image;
  std::string mountpoint;
  ext2::Access access = ext2::Access::kReadWrite;
  ext2::ErrorPolicy errors = ext2::ErrorPolicy::kContinue;
  bool norecovery = false;
  bool foreground = false;
  bool debug = false;
  bool allow_other = false;
  IomapMount iomap = IomapMount::kAuto;
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

// Resolve @mode.  @library_has_iomap: libfuse can mount fuse_iomap (the
// patched libfuse); @device_present: kIomapDevice exists.
util::Expected<Client, std::string> choose_client(IomapMount mode, bool library_has_iomap,
                                                  bool device_present);

// The fuse_session_new arguments for @o mounted through @client (argv[0]
// first).  fuse_iomap gets iomap=required and root_nodeid=2, so node ids
// are ext4 inode numbers.  The classic client gets iomap=off when
// @library_has_iomap, so that FUSE_IOMAP_MOUNT in the environment cannot
// move it to fuse_iomap without root_nodeid=; a stock libfuse knows no
// iomap= (and the classic kernel module rejects root_nodeid=).
std::vector<std::string> fuse_args(const Options& o, Client client = Client::kFuse,
                                   bool library_has_iomap = false);

extern const char kUsage[];

// mount.fuse4fs, as mount(8) runs it: SPEC DIR [-sfnv] [-N NS] [-o OPTS]
// [-t TYPE].  The fuse4fs arguments after argv[0] (SPEC DIR [-o OPTS]),
// without the options that only mount(8) and fstab use (defaults, auto,
// noauto, user, users, nouser, owner, group, nofail, _netdev, x-*,
// comment=); @fake is set for -f (mount(8)'s "do everything but mount").
util::Expected<std::vector<std::string>, std::string> mount_helper_args(
    const std::vector<std::string>& args, bool* fake);

extern const char kMountUsage[];

}  // namespace f4
