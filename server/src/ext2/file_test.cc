// SPDX-License-Identifier: GPL-2.0
#include "ext2/file.h"

#include <gtest/gtest.h>

#include "ext2/dir.h"
#include "ext2/inode.h"
#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

class FileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FileTest, ReadWriteSparseTruncate) {
  testing::TempDir d, content;
  content.write_file("data", "0123456789");
  std::string img = testing::make_image(d, content.path(), {.fstype = GetParam()});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); i++)
    big[i] = static_cast<char>(i * 7 + i / 4096);
  {
    auto g = fs->lock();
    auto ino = lookup(g, InodeNum(EXT2_ROOT_INO), "data");
    ASSERT_TRUE(ino.ok());
    {
      auto f = File::open(g, *ino, File::Mode::kRead);
      ASSERT_TRUE(f.ok());
      char buf[32];
      auto n = f->read(ByteOffset(2), buf);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(std::string(buf, n->get()), "23456789");
      ASSERT_TRUE(f->close().ok());
    }
    {
      auto f = File::open(g, *ino, File::Mode::kWrite);
      ASSERT_TRUE(f.ok());
      // A write far past the end leaves a hole.
      auto n = f->write(ByteOffset(100 << 20), big);
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(n->get(), big.size());
      EXPECT_EQ(f->size().get(), (100u << 20) + big.size());
      ASSERT_TRUE(f->close().ok());
    }
    {
      auto f = File::open(g, *ino, File::Mode::kRead);
      ASSERT_TRUE(f.ok());
      std::string back(big.size(), 'x');
      ASSERT_EQ(f->read(ByteOffset(100 << 20), back)->get(), big.size());
      EXPECT_TRUE(back == big);
      std::string hole(8192, 'x');
      ASSERT_EQ(f->read(ByteOffset(50 << 20), hole)->get(), hole.size());
      EXPECT_EQ(hole, std::string(8192, '\0'));
      ASSERT_TRUE(f->close().ok());
    }
    auto inode = read_inode(g, *ino);
    ASSERT_TRUE(inode.ok());
    EXPECT_LT(stat_blocks(g, *inode) * 512, 8u << 20) << "the hole is allocated";
    {
      auto f = File::open(g, *ino, File::Mode::kWrite);
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(f->set_size(ByteLen(5)).ok());
      ASSERT_TRUE(f->close().ok());
    }
    inode = read_inode(g, *ino);
    EXPECT_EQ(inode->size(), 5u);
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

// ext2 exercises indirect-block files, ext4 extents.
INSTANTIATE_TEST_SUITE_P(Types, FileTest, ::testing::Values("ext2", "ext4"));

TEST(File, WriteRefusedReadOnly) {
  testing::TempDir d, content;
  content.write_file("data", "x");
  std::string img = testing::make_image(d, content.path(), {});
  auto fs = testing::open_or_die(img, Access::kReadOnly);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    EXPECT_EQ(File::open(g, InodeNum(12), File::Mode::kWrite).error().raw, EROFS);
  }
  ASSERT_TRUE(fs->close().ok());
}

}  // namespace
}  // namespace f4::ext2
