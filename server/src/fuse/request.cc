// SPDX-License-Identifier: GPL-2.0
#include "fuse/request.h"

#include <cerrno>

#include "ext2/error.h"
#include "fuse/session.h"
#include "util/log.h"

namespace f4::fuse {

bool ReplyOnce::claim() {
  if (replied_) {
    F4_ERROR("%s: second reply to one request dropped", op_);
    return false;
  }
  replied_ = true;
  return true;
}

Request::~Request() {
  if (once_.replied())
    return;
  F4_ERROR("%s: no reply sent, answering EIO", once_.op());
  reply_err(EIO);
}

Request::Request(fuse_req_t req, const char* op)
    : req_(req), server_(static_cast<Server*>(fuse_req_userdata(req))), once_(op) {}

Server& Request::server() const {
  return *server_;
}

void Request::fail(util::Error e, InodeNum ino) {
  if (ext2::is_corruption(e))
    server().fs().report_corruption(e, ino, once_.op());
  reply_err(ext2::to_errno(e));
}

// Replies can fail (the caller was interrupted, the connection is gone);
// nothing is left to do about it then, the request is finished either way.
void Request::reply_err(int err) {
  if (once_.claim())
    fuse_reply_err(req_, err);
}

void Request::reply_none() {
  if (once_.claim())
    fuse_reply_none(req_);
}

bool Request::reply_entry(const fuse_entry_param& e) {
  return once_.claim() && fuse_reply_entry(req_, &e) == 0;
}

bool Request::reply_create(const fuse_entry_param& e, const fuse_file_info* fi) {
  return once_.claim() && fuse_reply_create(req_, &e, fi) == 0;
}

void Request::reply_attr(const struct stat& st, double timeout) {
  if (once_.claim())
    fuse_reply_attr(req_, &st, timeout);
}

void Request::reply_open(const fuse_file_info* fi) {
  if (once_.claim())
    fuse_reply_open(req_, fi);
}

bool Request::reply_buf(std::string_view data) {
  return once_.claim() && fuse_reply_buf(req_, data.data(), data.size()) == 0;
}

void Request::reply_write(size_t count) {
  if (once_.claim())
    fuse_reply_write(req_, count);
}

void Request::reply_statfs(const struct statvfs& sv) {
  if (once_.claim())
    fuse_reply_statfs(req_, &sv);
}

void Request::reply_xattr(size_t size) {
  if (once_.claim())
    fuse_reply_xattr(req_, size);
}

void Request::reply_lseek(off_t off) {
  if (once_.claim())
    fuse_reply_lseek(req_, off);
}

void Request::reply_readlink(const char* target) {
  if (once_.claim())
    fuse_reply_readlink(req_, target);
}

}  // namespace f4::fuse
