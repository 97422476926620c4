// SPDX-License-Identifier: GPL-2.0
//
// Request: one FUSE request that must be answered exactly once.
//
// A second reply is a bug that would corrupt libfuse's state, a missing
// one hangs the caller: both are caught here, logged once, and turned into
// nothing (second reply) or EIO (missing reply, from the destructor).
#pragma once

#include <fuse_lowlevel.h>

#include <string_view>

#include "util/result.h"
#include "util/strong.h"

namespace f4::fuse {

class Server;

// The exactly-once bookkeeping, separate from libfuse so it can be tested.
class ReplyOnce {
 public:
  explicit ReplyOnce(const char* op) : op_(op) {}
  // True the first time; logs and returns false afterwards.
  bool claim();
  bool replied() const { return replied_; }
  const char* op() const { return op_; }

 private:
  const char* op_;
  bool replied_ = false;
};

class Request {
 public:
  Request(fuse_req_t req, const char* op);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  Server& server() const;
  fuse_req_t raw() const { return req_; }
  const char* op() const { return once_.op(); }

  // Map @e to an errno (one place: ext2::to_errno); a corruption first
  // goes through the errors= policy, blaming @ino.
  void fail(util::Error e, InodeNum ino);
  void reply_err(int err);
  void reply_none();
  // These three hand lookup references to the kernel: false if the reply
  // was not delivered, and the caller must take the references back.
  [[nodiscard]] bool reply_entry(const fuse_entry_param& e);
  [[nodiscard]] bool reply_create(const fuse_entry_param& e, const fuse_file_info* fi);
  [[nodiscard]] bool reply_buf(std::string_view data);
  void reply_attr(const struct stat& st, double timeout);
  void reply_open(const fuse_file_info* fi);
  void reply_write(size_t count);
  void reply_statfs(const struct statvfs& sv);
  void reply_xattr(size_t size);
  void reply_readlink(const char* target);
  void reply_lseek(off_t off);

 private:
  fuse_req_t req_;  // freed by libfuse with the reply, even a failed one
  Server* server_;  // so server() still works after the reply
  ReplyOnce once_;
};

}  // namespace f4::fuse
