// SPDX-License-Identifier: GPL-2.0
//
// Extended attributes of one inode, in every namespace libext2fs knows:
// user., trusted., security. and the POSIX ACLs (system.posix_acl_access
// and system.posix_acl_default, converted to and from the on-disk format
// by libext2fs).  "system.data" (inline data) is internal and hidden.
#pragma once

#include "ext2/libext2fs.h"

#include <string>
#include <string_view>
#include <vector>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

enum class XattrSet { kAny, kCreate, kReplace };

class Xattrs {
 public:
  [[nodiscard]] static Result<Xattrs> open(const Guard& g, InodeNum ino);
  Xattrs(Xattrs&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Xattrs& operator=(Xattrs&&) = delete;
  Xattrs(const Xattrs&) = delete;
  ~Xattrs();

  [[nodiscard]] Result<std::string> get(std::string_view name);
  [[nodiscard]] Result<std::vector<std::string>> list();
  // Written through to disk before returning.
  [[nodiscard]] Result<void> set(std::string_view name, std::string_view value, XattrSet how);
  [[nodiscard]] Result<void> remove(std::string_view name);

 private:
  explicit Xattrs(ext2_xattr_handle* h) : h_(h) {}
  ext2_xattr_handle* h_;
};

// Whether a name may be read or written through the xattr interface.
bool xattr_name_allowed(std::string_view name);

}  // namespace f4::ext2
