// SPDX-License-Identifier: GPL-2.0
#include "ext2/acl.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ext2 {
namespace {

constexpr uint16_t kUserObj = 0x01, kUser = 0x02, kGroupObj = 0x04, kMask = 0x10, kOther = 0x20;

// parse_acl() that fails the test on a malformed value.
Acl parsed(std::string_view v) {
  auto a = parse_acl(v);
  EXPECT_TRUE(a.has_value()) << "malformed ACL";
  return a.value_or(Acl{});
}

Acl base(uint16_t u, uint16_t g, uint16_t o) {
  return {{kUserObj, u, 0}, {kGroupObj, g, 0}, {kOther, o, 0}};
}

TEST(AclTest, ParseFormatRoundTrip) {
  Acl a = {{kUserObj, 7, 0}, {kUser, 0, 65534}, {kGroupObj, 5, 0}, {kMask, 5, 0}, {kOther, 4, 0}};
  std::string v = format_acl(a);
  EXPECT_EQ(v.size(), 4u + 8 * 5);
  Acl b = parsed(v);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b[1].id, 65534u);
  EXPECT_EQ(format_acl(b), v);
}

TEST(AclTest, ParseRejectsMalformed) {
  EXPECT_FALSE(parse_acl(""));
  EXPECT_FALSE(parse_acl(std::string("\x01\0\0\0", 4)));  // version 1
  std::string v = format_acl(base(7, 5, 5));
  EXPECT_FALSE(parse_acl(v.substr(0, v.size() - 1)));
  EXPECT_FALSE(parse_acl(format_acl({{kUserObj, 7, 0}, {kOther, 5, 0}})));  // no group
  EXPECT_FALSE(parse_acl(format_acl(
      {{kUserObj, 7, 0}, {kUser, 7, 1}, {kGroupObj, 5, 0}, {kOther, 5, 0}})));  // named, no mask
  EXPECT_FALSE(parse_acl(format_acl({{kUserObj, 9, 0}, {kGroupObj, 5, 0}, {kOther, 5, 0}})));
}

TEST(AclTest, CreateRestrictsByModeAndKeepsNamedEntries) {
  // default: u::rwx, u:65534:rwx, g::r-x, m::rwx, o::r-x; create 0644
  Acl a = {{kUserObj, 7, 0}, {kUser, 7, 65534}, {kGroupObj, 5, 0}, {kMask, 7, 0}, {kOther, 5, 0}};
  uint32_t mode = 0644;
  EXPECT_TRUE(acl_create(a, &mode));
  EXPECT_EQ(mode, 0644u);
  EXPECT_EQ(a[0].perm, 6);  // u::rw-
  EXPECT_EQ(a[1].perm, 7);  // named entries are kept as they are
  EXPECT_EQ(a[3].perm, 4);  // the mask takes the group bits
  EXPECT_EQ(a[4].perm, 4);
  // Only base entries: the ACL restricts the mode and is not stored.
  Acl b = base(7, 0, 0);
  mode = 0777;
  EXPECT_FALSE(acl_create(b, &mode));
  EXPECT_EQ(mode, 0700u);
}

TEST(AclTest, ModeFromAclAndChmod) {
  Acl a = {{kUserObj, 6, 0}, {kUser, 0, 65534}, {kGroupObj, 4, 0}, {kMask, 6, 0}, {kOther, 4, 0}};
  uint32_t mode = S_IFREG | 04000;
  EXPECT_TRUE(acl_mode(a, &mode));
  EXPECT_EQ(mode, static_cast<uint32_t>(S_IFREG | 04664));  // the mask is the group class
  uint32_t m2 = 0;
  EXPECT_FALSE(acl_mode(base(7, 5, 0), &m2));
  EXPECT_EQ(m2, 0750u);
  acl_chmod(a, 0705);
  EXPECT_EQ(a[0].perm, 7);
  EXPECT_EQ(a[2].perm, 4);  // the group entry stays, the mask changes
  EXPECT_EQ(a[3].perm, 0);
  EXPECT_EQ(a[4].perm, 5);
}

// Through the ops: a directory's default ACL is inherited (the umask does
// not apply), setting an access ACL sets the mode, chmod updates the ACL.
TEST(AclTest, InheritSetAndChmodOnAnImage) {
  testing::TempDir dir;
  std::string img = testing::make_image(dir, "", {});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    const InodeNum root(EXT2_ROOT_INO);
    ops::Caller c{0, 0, 022};
    auto d = ops::mkdir(g, c, root, "d", 0755);
    ASSERT_TRUE(d.ok());
    Acl dflt = {
        {kUserObj, 7, 0}, {kUser, 7, 65534}, {kGroupObj, 5, 0}, {kMask, 7, 0}, {kOther, 0, 0}};
    ASSERT_TRUE(ops::setxattr(g, d->ino, kAclDefault, format_acl(dflt), 0).ok());
    EXPECT_EQ(ops::setxattr(g, root, "system.posix_acl_default", "junk", 0).error().raw, EINVAL);
    auto f = ops::mknod(g, c, d->ino, "f", S_IFREG | 0666, 0);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->attr.st_mode & 07777, 0660u);  // not 0644: no umask, other from the ACL
    auto acc = ops::getxattr(g, f->ino, kAclAccess);
    ASSERT_TRUE(acc.ok());
    Acl acl = parsed(*acc);
    EXPECT_EQ(acl.size(), 5u);
    auto sub = ops::mkdir(g, c, d->ino, "sub", 0777);
    ASSERT_TRUE(sub.ok());
    EXPECT_TRUE(ops::getxattr(g, sub->ino, kAclDefault).ok());  // directories pass it on
    // Outside the directory the umask applies and there is no ACL.
    auto plain = ops::mknod(g, c, root, "plain", S_IFREG | 0666, 0);
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->attr.st_mode & 07777, 0644u);
    EXPECT_EQ(ops::getxattr(g, plain->ino, kAclAccess).error().raw, ENODATA);
    // chmod rewrites the ACL's owner, mask and other entries.
    ops::SetAttr sa;
    sa.mode = 0604;
    ASSERT_TRUE(ops::setattr(g, f->ino, sa).ok());
    acl = parsed(*ops::getxattr(g, f->ino, kAclAccess));
    ASSERT_EQ(acl.size(), 5u);
    for (const auto& e : acl) {
      if (e.tag == kMask)
        EXPECT_EQ(e.perm, 0);
      if (e.tag == kUserObj)
        EXPECT_EQ(e.perm, 6);
    }
    // An access ACL the mode says all of is not stored; the mode follows.
    ASSERT_TRUE(ops::setxattr(g, plain->ino, kAclAccess, format_acl(base(7, 0, 0)), 0).ok());
    EXPECT_EQ(ops::getattr(g, plain->ino)->st_mode & 0777, 0700u);
    EXPECT_EQ(ops::getxattr(g, plain->ino, kAclAccess).error().raw, ENODATA);
    for (auto ino : {d->ino, f->ino, sub->ino, plain->ino})
      ops::forget(g, ino, 1);
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ext2
