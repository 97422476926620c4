// SPDX-License-Identifier: GPL-2.0
//
// Writes that run out of space part-way, and SEEK_DATA/SEEK_HOLE over the
// indirect trees of block-mapped files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "ext2/error.h"
#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ops {
namespace {

namespace t = ext2::testing;
const InodeNum kRoot(EXT2_ROOT_INO);

class WriteSeekTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    img_ = t::make_image(dir_, "", {.fstype = GetParam()});
    fs_ = t::open_or_die(img_, ext2::Access::kReadWrite);
    ASSERT_TRUE(fs_);
  }
  void TearDown() override {
    if (fs_) {
      EXPECT_TRUE(fs_->close().ok());
      EXPECT_EQ(t::fsck(img_), 0) << "e2fsck -fn " << img_;
    }
  }
  InodeNum create(const Guard& g, const char* name) {
    auto e = mknod(g, Caller{}, kRoot, name, S_IFREG | 0644, 0);
    EXPECT_TRUE(e.ok()) << name;
    forget(g, e->ino, 1);
    return e->ino;
  }
  t::TempDir dir_;
  std::string img_;
  std::unique_ptr<ext2::Filesystem> fs_;
};

// More than the 16 MiB image holds, at an offset that is not a block
// boundary: the write stops part-way with ENOSPC.  It must report what it
// wrote, i_size must match that, and the next write gets the error.
TEST_P(WriteSeekTest, OutOfSpacePartWayIsAShortWrite) {
  auto g = fs_->lock();
  InodeNum ino = create(g, "big");
  std::string data(32 << 20, '\0');
  for (size_t i = 0; i < data.size(); i++)
    data[i] = static_cast<char>('a' + i % 23);
  const uint64_t off = 1000;
  auto n = write(g, ino, ByteOffset(off), data);
  ASSERT_TRUE(n.ok()) << "error " << n.error().raw;
  EXPECT_GT(*n, 0u);
  EXPECT_LT(*n, data.size());
  auto st = getattr(g, ino);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(static_cast<uint64_t>(st->st_size), off + *n);
  std::string back(*n, '?');
  auto r = read(g, ino, ByteOffset(off), back);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(*r, *n);
  EXPECT_TRUE(back == data.substr(0, *n)) << "the bytes reported written read back";
  auto again = write(g, ino, ByteOffset(off + *n), std::string_view(data).substr(*n, 1 << 20));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(ext2::to_errno(again.error()), ENOSPC);
  EXPECT_EQ(static_cast<uint64_t>(getattr(g, ino)->st_size), off + *n);
}

INSTANTIATE_TEST_SUITE_P(Fs, WriteSeekTest, ::testing::Values("ext2", "ext3", "ext4"));

// Block-mapped files (ext2, ext3; extent-mapped ones are in SpaceTest).
class BlockMapSeekTest : public WriteSeekTest {};

// Data in the direct blocks, in the single, double and triple indirect
// trees of a file far larger than the image, and holes between them.
TEST_P(BlockMapSeekTest, SeekDataHoleAcrossIndirectTrees) {
  auto g = fs_->lock();
  const uint64_t bs = g.fs()->blocksize;
  const uint64_t apb = bs / 4;
  InodeNum ino = create(g, "sparse");
  // A block in each tree, and a run that crosses from direct blocks into
  // the single indirect tree.
  const std::vector<uint64_t> blocks = {3,  10,  11,           12,
                                        13, 500, 12 + apb + 7, 12 + apb + apb * apb + 5};
  std::string blk(bs, 'x');
  for (uint64_t b : blocks)
    ASSERT_TRUE(write(g, ino, ByteOffset(b * bs), blk).ok()) << b;
  const uint64_t size = (blocks.back() + 100) * bs;
  {
    SetAttr sa;
    sa.size = size;
    ASSERT_TRUE(setattr(g, ino, sa).ok());
  }
  auto data = [&](uint64_t pos) { return seek_data_hole(g, ino, ByteOffset(pos), SEEK_DATA); };
  auto hole = [&](uint64_t pos) { return seek_data_hole(g, ino, ByteOffset(pos), SEEK_HOLE); };
  EXPECT_EQ(*data(0), 3 * bs);
  EXPECT_EQ(*data(3 * bs + 17), 3 * bs + 17);
  EXPECT_EQ(*hole(3 * bs), 4 * bs);
  EXPECT_EQ(*hole(0), 0u);
  EXPECT_EQ(*data(4 * bs), 10 * bs);
  EXPECT_EQ(*hole(10 * bs), 14 * bs);  // 10..13 cross into the indirect tree
  EXPECT_EQ(*data(14 * bs), 500 * bs);
  EXPECT_EQ(*data(501 * bs), (12 + apb + 7) * bs);
  EXPECT_EQ(*hole((12 + apb + 7) * bs), (12 + apb + 8) * bs);
  EXPECT_EQ(*data((12 + apb + 8) * bs), (12 + apb + apb * apb + 5) * bs);
  EXPECT_EQ(*hole((12 + apb + apb * apb + 5) * bs), (12 + apb + apb * apb + 6) * bs);
  auto past = data((12 + apb + apb * apb + 6) * bs);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().raw, ENXIO);
  EXPECT_EQ(hole(size).error().raw, ENXIO);
}

// A dense block-mapped file: its only hole is the end of the file.
TEST_P(BlockMapSeekTest, SeekHoleInADenseFile) {
  auto g = fs_->lock();
  const uint64_t bs = g.fs()->blocksize;
  InodeNum ino = create(g, "dense");
  const uint64_t size = (12 + bs / 4 + 40) * bs + 123;  // into the double indirect tree
  std::string data(size, 'd');
  ASSERT_EQ(*write(g, ino, ByteOffset(0), data), size);
  EXPECT_EQ(*seek_data_hole(g, ino, ByteOffset(0), SEEK_HOLE), size);
  EXPECT_EQ(*seek_data_hole(g, ino, ByteOffset(size - 1), SEEK_DATA), size - 1);
}

INSTANTIATE_TEST_SUITE_P(Fs, BlockMapSeekTest, ::testing::Values("ext2", "ext3"));

}  // namespace
}  // namespace f4::ops
