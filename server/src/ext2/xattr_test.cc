// SPDX-License-Identifier: GPL-2.0
#include "ext2/xattr.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

TEST(Xattr, NamesAllowed) {
  EXPECT_TRUE(xattr_name_allowed("user.a"));
  EXPECT_TRUE(xattr_name_allowed("trusted.x"));
  EXPECT_TRUE(xattr_name_allowed("security.selinux"));
  EXPECT_TRUE(xattr_name_allowed("system.posix_acl_access"));
  EXPECT_FALSE(xattr_name_allowed("system.data"));
  EXPECT_FALSE(xattr_name_allowed("user."));
  EXPECT_FALSE(xattr_name_allowed("foo.bar"));
}

TEST(Xattr, SetGetListRemoveIncludingAcl) {
  testing::TempDir d, content;
  content.write_file("f", "x");
  std::string img = testing::make_image(d, content.path(), {});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  // A POSIX ACL in the kernel's xattr format: version 2, user::rw-,
  // user:1000:r--, group::r--, mask::r--, other::---.
  const unsigned char acl_bytes[] = {2,    0, 0, 0,                           // header
                                     1,    0, 6, 0, 0xff, 0xff, 0xff, 0xff,   // USER_OBJ rw
                                     2,    0, 4, 0, 0xe8, 3,    0,    0,      // USER 1000 r
                                     4,    0, 4, 0, 0xff, 0xff, 0xff, 0xff,   // GROUP_OBJ r
                                     0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,   // MASK r
                                     0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};  // OTHER
  std::string acl(reinterpret_cast<const char*>(acl_bytes), sizeof(acl_bytes));
  {
    auto g = fs->lock();
    auto x = Xattrs::open(g, InodeNum(12));
    ASSERT_TRUE(x.ok());
    ASSERT_TRUE(x->set("user.small", "v1", XattrSet::kCreate).ok());
    EXPECT_EQ(x->set("user.small", "v2", XattrSet::kCreate).error().raw, EEXIST);
    EXPECT_EQ(x->set("user.none", "v", XattrSet::kReplace).error().raw, ENODATA);
    ASSERT_TRUE(x->set("user.small", "v2", XattrSet::kReplace).ok());
    ASSERT_TRUE(x->set("user.big", std::string(3000, 'b'), XattrSet::kAny).ok());
    ASSERT_TRUE(x->set("system.posix_acl_access", acl, XattrSet::kAny).ok());
    EXPECT_EQ(x->set("system.data", "x", XattrSet::kAny).error().raw, EOPNOTSUPP);
  }
  {
    auto g = fs->lock();
    auto x = Xattrs::open(g, InodeNum(12));
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(*x->get("user.small"), "v2");
    EXPECT_EQ(x->get("user.big")->size(), 3000u);
    // The on-disk format has no id for the *_OBJ, MASK and OTHER entries;
    // they read back as 0, which the kernel ignores for those tags.
    std::string back_acl = acl;
    for (size_t off : {8, 24, 32, 40})
      back_acl.replace(off, 4, std::string(4, '\0'));
    EXPECT_EQ(*x->get("system.posix_acl_access"), back_acl);
    EXPECT_EQ(x->get("user.none").error().raw, EXT2_ET_EA_KEY_NOT_FOUND);
    auto names = x->list();
    ASSERT_TRUE(names.ok());
    std::sort(names->begin(), names->end());
    EXPECT_EQ(*names,
              (std::vector<std::string>{"system.posix_acl_access", "user.big", "user.small"}));
    ASSERT_TRUE(x->remove("user.big").ok());
    EXPECT_FALSE(x->remove("user.big").ok());
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ext2
