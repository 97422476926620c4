// SPDX-License-Identifier: GPL-2.0
//
// The server's part of POSIX ACLs (ext2/acl.h): inheritance of a
// directory's default ACL by new inodes, the mode kept in step with the
// access ACL, and chmod applied to the access ACL.  Internal to ops/.
#pragma once

#include <optional>
#include <string>

#include "ops/ops.h"

namespace f4::ops {

// What a new inode in a directory gets: its permission bits (after the
// umask, or restricted by the default ACL instead) and the ACLs to store
// once it exists.
struct NewInodeAcls {
  uint32_t perm = 0;
  std::optional<std::string> access, dflt;
};

[[nodiscard]] Result<NewInodeAcls> inherit_acls(const Guard& g, InodeNum parent, uint32_t perm,
                                                uint32_t umask, bool is_dir);
[[nodiscard]] Result<void> store_acls(const Guard& g, InodeNum ino, const NewInodeAcls& a);

// After chmod: the access ACL, if any, takes the new bits.
[[nodiscard]] Result<void> chmod_acl(const Guard& g, InodeNum ino, uint32_t mode);

// setxattr of an ACL: validated; an access ACL sets the mode, and is not
// stored when the mode says it all.
[[nodiscard]] Result<void> set_acl(const Guard& g, InodeNum ino, std::string_view name,
                                   std::string_view value, int flags);

}  // namespace f4::ops
