// SPDX-License-Identifier: GPL-2.0
//
// The FUSE lowlevel session: trampolines from libfuse's C callbacks into
// ops/, and the mount/serve/unmount sequence.
//
// Threads: libfuse's multi-threaded loop runs the callbacks; each takes
// the filesystem Guard for its ops/ call only (see ext2/filesystem.h).
#pragma once

#include <fuse_lowlevel.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ext2/filesystem.h"
#include "fuse/nodeid.h"

namespace f4::fuse {

struct SessionOptions {
  std::string mountpoint;
  std::vector<std::string> fuse_args;  // for fuse_session_new: argv[0], -o ..., -d
  bool foreground = true;
  double attr_timeout_s = 1.0;
  double entry_timeout_s = 1.0;
  unsigned max_threads = 4;
  // kInodeNodeIds when fuse_args carry root_nodeid=2 (fuse_iomap only).
  NodeIds node_ids = kClassicNodeIds;
  // Run once the fuse device and the image are open, before serving:
  // the privilege drop.  A failure stops the server before any request.
  std::function<bool()> after_mount;
  // Fork the unmount helper (util/unmount_helper.h) before after_mount:
  // set when after_mount drops the privileges unmounting needs.
  bool unmount_helper = false;
};

class Server {
 public:
  Server(std::unique_ptr<ext2::Filesystem> fs, SessionOptions opts)
      : fs_(std::move(fs)), opts_(std::move(opts)) {}
  ext2::Filesystem& fs() { return *fs_; }
  const SessionOptions& opts() const { return opts_; }
  // Set when destroy's close() failed: the exit status reports it.
  bool close_failed = false;

 private:
  std::unique_ptr<ext2::Filesystem> fs_;
  SessionOptions opts_;
};

// Exit statuses of run(), beyond 0.
constexpr int kExitFuse = 7;       // cannot create the session or mount
constexpr int kExitPrivilege = 8;  // the privilege drop failed
constexpr int kExitClose = 9;      // writing back or closing the image failed
constexpr int kExitPanic = 10;     // errors=panic ended the session

// Mount, serve until unmounted or signalled, close the image.
int run(Server& server);

const fuse_lowlevel_ops& lowlevel_ops();

}  // namespace f4::fuse
