// SPDX-License-Identifier: GPL-2.0
#include "ext2/inode.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

TEST(Inode, TimestampsWithNanosecondsAndEpochBits) {
  Inode i;
  i.raw()->i_extra_isize = sizeof(ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
  for (Timespec t : {Timespec{1700000000, 123456789}, Timespec{-5, 7},
                     Timespec{(int64_t{1} << 32) + 17, 999999999}}) {
    i.set_time(TimeField::kMtime, t);
    EXPECT_EQ(i.time(TimeField::kMtime), t);
    i.set_time(TimeField::kCrtime, t);
    EXPECT_EQ(i.time(TimeField::kCrtime), t);
  }
}

TEST(Inode, SmallInodeHasSecondsOnly) {
  Inode i;
  EXPECT_FALSE(i.has_extra(TimeField::kAtime));
  i.set_time(TimeField::kAtime, {1234, 5678});
  EXPECT_EQ(i.time(TimeField::kAtime), (Timespec{1234, 0}));
  i.set_time(TimeField::kAtime, {int64_t{1} << 40, 0});
  EXPECT_EQ(i.time(TimeField::kAtime).sec, INT32_MAX);
}

TEST(Inode, DeviceNumbersOldAndNewEncoding) {
  Inode i;
  for (dev_t d : {makedev(1, 3), makedev(8, 17), makedev(259, 70000), makedev(4095, 255)}) {
    i.set_rdev(d);
    EXPECT_EQ(i.rdev(), d);
  }
}

TEST(Inode, Ids32Bit) {
  Inode i;
  i.set_uid(100000);
  i.set_gid(70001);
  EXPECT_EQ(i.uid(), 100000u);
  EXPECT_EQ(i.gid(), 70001u);
}

TEST(Inode, CreateReadWriteFree) {
  testing::TempDir d;
  std::string img = testing::make_image(d, "", {});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    Inode n;
    n.set_mode(LINUX_S_IFREG | 0640);
    n.set_uid(1000);
    auto ino = create_inode(g, InodeNum(EXT2_ROOT_INO), n);
    ASSERT_TRUE(ino.ok());
    auto back = read_inode(g, *ino);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->mode(), LINUX_S_IFREG | 0640);
    EXPECT_EQ(back->uid(), 1000u);
    EXPECT_EQ(back->links(), 1);
    EXPECT_TRUE(back->flags() & EXT4_EXTENTS_FL);
    EXPECT_NE(back->time(TimeField::kCrtime).sec, 0);
    back->set_links(0);
    ASSERT_TRUE(write_inode(g, *ino, *back).ok());
    ASSERT_TRUE(free_inode(g, *ino).ok());
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

TEST(Inode, FreeRefusesLinkedInode) {
  testing::TempDir d;
  testing::TempDir content;
  content.write_file("f", "x");
  std::string img = testing::make_image(d, content.path(), {});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    EXPECT_EQ(free_inode(g, InodeNum(12)).error().raw, EUCLEAN);
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ext2
