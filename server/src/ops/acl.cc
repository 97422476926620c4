// SPDX-License-Identifier: GPL-2.0
#include "ops/acl.h"

#include <sys/xattr.h>

#include <cerrno>
#include <utility>

#include "ext2/acl.h"
#include "ext2/xattr.h"

namespace f4::ops {

namespace {

// The ACL @name of @ino, nullopt if it has none.
Result<std::optional<std::string>> get_acl(const Guard& g, InodeNum ino, std::string_view name) {
  auto x = F4_TRY(ext2::Xattrs::open(g, ino));
  auto v = x.get(name);
  if (!v.ok() && v.error().raw == EXT2_ET_EA_KEY_NOT_FOUND)
    return std::optional<std::string>();
  return std::optional<std::string>(F4_TRY(std::move(v)));
}

}  // namespace

Result<NewInodeAcls> inherit_acls(const Guard& g, InodeNum parent, uint32_t perm, uint32_t umask,
                                  bool is_dir) {
  NewInodeAcls out;
  // No default ACL (or a malformed one, which the kernel ignores too):
  // the umask applies.
  out.perm = perm & 07777 & ~umask;
  auto dflt = F4_TRY(get_acl(g, parent, ext2::kAclDefault));
  if (!dflt)
    return out;
  auto acl = ext2::parse_acl(*dflt);
  if (!acl)
    return out;
  // A default ACL replaces the umask.
  uint32_t mode = perm & 07777;
  if (ext2::acl_create(*acl, &mode))
    out.access = ext2::format_acl(*acl);
  out.perm = mode;
  if (is_dir)
    out.dflt = std::move(dflt);
  return out;
}

Result<void> store_acls(const Guard& g, InodeNum ino, const NewInodeAcls& a) {
  if (!a.access && !a.dflt)
    return {};
  auto x = F4_TRY(ext2::Xattrs::open(g, ino));
  if (a.access)
    F4_TRY_VOID(x.set(ext2::kAclAccess, *a.access, ext2::XattrSet::kAny));
  if (a.dflt)
    F4_TRY_VOID(x.set(ext2::kAclDefault, *a.dflt, ext2::XattrSet::kAny));
  return {};
}

Result<void> chmod_acl(const Guard& g, InodeNum ino, uint32_t mode) {
  auto v = F4_TRY(get_acl(g, ino, ext2::kAclAccess));
  if (!v)
    return {};
  auto acl = ext2::parse_acl(*v);
  if (!acl)
    return {};  // malformed: the kernel ignores it too
  ext2::acl_chmod(*acl, mode);
  auto x = F4_TRY(ext2::Xattrs::open(g, ino));
  return x.set(ext2::kAclAccess, ext2::format_acl(*acl), ext2::XattrSet::kAny);
}

Result<void> set_acl(const Guard& g, InodeNum ino, std::string_view name, std::string_view value,
                     int flags) {
  ext2::Inode inode = F4_TRY(ext2::read_inode(g, ino));
  auto acl = ext2::parse_acl(value);
  if (!acl)
    return util::fail_errno(EINVAL);
  ext2::XattrSet how = ext2::XattrSet::kAny;
  if (flags & XATTR_CREATE)
    how = ext2::XattrSet::kCreate;
  else if (flags & XATTR_REPLACE)
    how = ext2::XattrSet::kReplace;
  if (name == ext2::kAclDefault) {
    if (!inode.is_dir())
      return util::fail_errno(EACCES);
    auto x = F4_TRY(ext2::Xattrs::open(g, ino));
    return x.set(name, value, how);
  }
  uint32_t mode = inode.mode();
  bool keep = ext2::acl_mode(*acl, &mode);
  {
    auto x = F4_TRY(ext2::Xattrs::open(g, ino));
    if (keep) {
      F4_TRY_VOID(x.set(name, value, how));
    } else {
      // The mode says it all: no ACL is stored (as the kernel's ext4).
      auto r = x.remove(name);
      if (!r.ok() && r.error().raw != EXT2_ET_EA_KEY_NOT_FOUND)
        return r;
    }
  }
  inode = F4_TRY(ext2::read_inode(g, ino));  // the xattr write may have changed it
  inode.set_mode(static_cast<uint16_t>((inode.mode() & ~0777u) | (mode & 0777u)));
  return ext2::write_inode(g, ino, inode);
}

}  // namespace f4::ops
