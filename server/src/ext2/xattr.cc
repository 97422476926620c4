// SPDX-License-Identifier: GPL-2.0
#include "ext2/xattr.h"

#include <cerrno>
#include <cstdlib>

#include "ext2/callback.h"
#include "ext2/error.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {

constexpr std::string_view kPrefixes[] = {"user.", "trusted.", "security."};
constexpr std::string_view kSystemNames[] = {"system.posix_acl_access", "system.posix_acl_default"};
constexpr size_t kXattrNameMax = 255;
constexpr size_t kXattrSizeMax = 65536;

}  // namespace

bool xattr_name_allowed(std::string_view name) {
  for (auto n : kSystemNames)
    if (name == n)
      return true;
  for (auto p : kPrefixes)
    if (name.size() > p.size() && name.starts_with(p))
      return true;
  return false;
}

Result<Xattrs> Xattrs::open(const Guard& g, InodeNum ino) {
  ext2_xattr_handle* h = nullptr;
  F4_CHECK(ext2fs_xattrs_open(g.fs(), ino.get(), &h));
  Xattrs x(h);
  F4_CHECK(ext2fs_xattrs_read(h));
  return x;
}

Xattrs::~Xattrs() {
  if (h_)
    ext2fs_xattrs_close(&h_);
}

Result<std::string> Xattrs::get(std::string_view name) {
  if (!xattr_name_allowed(name))
    return util::fail_errno(name.starts_with("system.") ? EOPNOTSUPP : ENODATA);
  std::string key(name);
  void* value = nullptr;
  size_t len = 0;
  F4_CHECK(ext2fs_xattr_get(h_, key.c_str(), &value, &len));
  std::string out(static_cast<const char*>(value), len);
  ext2fs_free_mem(static_cast<void*>(&value));
  return out;
}

namespace {

struct ListState {
  std::vector<std::string> names;
  int error = 0;  // errno of an exception (iteration aborted)
};

int list_cb(char* name, char* /*value*/, size_t /*value_len*/, void* data) noexcept {
  auto* st = static_cast<ListState*>(data);
  st->error = catch_to_errno("xattr listing", [&] {
    if (xattr_name_allowed(name))
      st->names.emplace_back(name);
  });
  return st->error ? XATTR_ABORT : 0;
}

}  // namespace

Result<std::vector<std::string>> Xattrs::list() {
  ListState st;
  F4_CHECK(ext2fs_xattrs_iterate(h_, list_cb, &st));
  if (st.error)
    return util::fail_errno(st.error);
  return std::move(st.names);
}

Result<void> Xattrs::set(std::string_view name, std::string_view value, XattrSet how) {
  if (!xattr_name_allowed(name))
    return util::fail_errno(EOPNOTSUPP);
  if (name.size() > kXattrNameMax)
    return util::fail_errno(ERANGE);
  if (value.size() > kXattrSizeMax)
    return util::fail_errno(E2BIG);
  std::string key(name);
  if (how != XattrSet::kAny) {
    void* old = nullptr;
    size_t len = 0;
    long err = ext2fs_xattr_get(h_, key.c_str(), &old, &len);
    if (!err)
      ext2fs_free_mem(static_cast<void*>(&old));
    else if (err != EXT2_ET_EA_KEY_NOT_FOUND)
      return util::fail(util::Error{err});
    bool exists = !err;
    if (how == XattrSet::kCreate && exists)
      return util::fail_errno(EEXIST);
    if (how == XattrSet::kReplace && !exists)
      return util::fail_errno(ENODATA);
  }
  F4_CHECK(ext2fs_xattr_set(h_, key.c_str(), value.data(), value.size()));
  return {};
}

Result<void> Xattrs::remove(std::string_view name) {
  if (!xattr_name_allowed(name))
    return util::fail_errno(name.starts_with("system.") ? EOPNOTSUPP : ENODATA);
  std::string key(name);
  void* old = nullptr;
  size_t len = 0;
  F4_CHECK(ext2fs_xattr_get(h_, key.c_str(), &old, &len));
  ext2fs_free_mem(static_cast<void*>(&old));
  F4_CHECK(ext2fs_xattr_remove(h_, key.c_str()));
  return {};
}

}  // namespace f4::ext2
