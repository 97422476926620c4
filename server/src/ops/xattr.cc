// SPDX-License-Identifier: GPL-2.0
#include "ext2/xattr.h"

#include <sys/xattr.h>

#include <cerrno>

#include "ext2/acl.h"
#include "ext2/inode.h"
#include "ops/acl.h"
#include "ops/ops.h"

namespace f4::ops {

Result<std::string> getxattr(const Guard& g, InodeNum ino, std::string_view name) {
  auto x = F4_TRY(ext2::Xattrs::open(g, ino));
  auto v = x.get(name);
  if (!v.ok() && v.error().raw == EXT2_ET_EA_KEY_NOT_FOUND)
    return util::fail_errno(ENODATA);
  return v;
}

Result<std::string> listxattr(const Guard& g, InodeNum ino) {
  auto x = F4_TRY(ext2::Xattrs::open(g, ino));
  auto names = F4_TRY(x.list());
  std::string out;
  for (const auto& n : names) {
    out += n;
    out += '\0';
  }
  return out;
}

Result<void> setxattr(const Guard& g, InodeNum ino, std::string_view name, std::string_view value,
                      int flags) {
  F4_TRY_VOID(g.require_writable());
  ext2::XattrSet how = ext2::XattrSet::kAny;
  if (flags & XATTR_CREATE)
    how = ext2::XattrSet::kCreate;
  else if (flags & XATTR_REPLACE)
    how = ext2::XattrSet::kReplace;
  if (name == ext2::kAclAccess || name == ext2::kAclDefault) {
    F4_TRY_VOID(set_acl(g, ino, name, value, flags));
  } else {
    auto x = F4_TRY(ext2::Xattrs::open(g, ino));
    F4_TRY_VOID(x.set(name, value, how));
  }
  ext2::Inode inode = F4_TRY(ext2::read_inode(g, ino));
  inode.set_time(ext2::TimeField::kCtime, ext2::now());
  return ext2::write_inode(g, ino, inode);
}

Result<void> removexattr(const Guard& g, InodeNum ino, std::string_view name) {
  F4_TRY_VOID(g.require_writable());
  {
    auto x = F4_TRY(ext2::Xattrs::open(g, ino));
    auto r = x.remove(name);
    if (!r.ok() && r.error().raw == EXT2_ET_EA_KEY_NOT_FOUND)
      return util::fail_errno(ENODATA);
    F4_TRY_VOID(r);
  }
  ext2::Inode inode = F4_TRY(ext2::read_inode(g, ino));
  inode.set_time(ext2::TimeField::kCtime, ext2::now());
  return ext2::write_inode(g, ino, inode);
}

}  // namespace f4::ops
