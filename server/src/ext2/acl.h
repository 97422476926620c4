// SPDX-License-Identifier: GPL-2.0
//
// POSIX ACLs in their xattr form (system.posix_acl_access/_default, the
// format of <linux/posix_acl_xattr.h>; libext2fs converts it to and from
// ext4's on-disk form), and the rules that tie an ACL to the file mode:
// what a new file inherits from its directory's default ACL, what a new
// access ACL does to the mode, what chmod does to the ACL.  The kernel
// enforces ACLs (FUSE_POSIX_ACL); these rules are the server's part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace f4::ext2 {

inline constexpr std::string_view kAclAccess = "system.posix_acl_access";
inline constexpr std::string_view kAclDefault = "system.posix_acl_default";

struct AclEntry {
  uint16_t tag;   // ACL_USER_OBJ ... ACL_OTHER (<linux/posix_acl.h> values)
  uint16_t perm;  // rwx bits
  uint32_t id;    // uid or gid for ACL_USER / ACL_GROUP
};

using Acl = std::vector<AclEntry>;

// nullopt for a malformed value (bad version, size, tag or missing base
// entry).
std::optional<Acl> parse_acl(std::string_view value);
std::string format_acl(const Acl& acl);

// A new file's access ACL from its directory's default ACL and the mode
// asked for (umask not applied): the ACL is restricted by @mode and
// *mode by the ACL.  True if the ACL says more than the mode (it must be
// stored); false if the mode alone says it all.
bool acl_create(Acl& acl, uint32_t* mode);

// The mode bits an access ACL implies; true if the ACL says more than
// the mode (named entries or a mask), so it must be kept.
bool acl_mode(const Acl& acl, uint32_t* mode);

// chmod on a file with an access ACL: the owner, mask (or group) and
// other entries take the new permission bits.
void acl_chmod(Acl& acl, uint32_t mode);

}  // namespace f4::ext2
