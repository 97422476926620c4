// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <random>
#include <string>

#include "ext2/error.h"
#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ops {
namespace {

namespace t = ext2::testing;
const InodeNum kRoot(EXT2_ROOT_INO);

// ext2 (block-mapped files) and ext4 (extents, unwritten extents), each
// with its default block size for a 16 MiB image.  As with the kernel's
// ext4, block-mapped files can only have holes punched.
class SpaceTest : public ::testing::TestWithParam<std::string> {
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
    auto e = mknod(g, me_, kRoot, name, S_IFREG | 0644, 0);
    EXPECT_TRUE(e.ok()) << name;
    forget(g, e->ino, 1);
    return e->ino;
  }
  void put(const Guard& g, InodeNum ino, uint64_t off, const std::string& data) {
    auto n = write(g, ino, ByteOffset(off), data);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, data.size());
  }
  std::string get(const Guard& g, InodeNum ino, uint64_t off, size_t len) {
    std::string buf(len, '?');
    auto n = read(g, ino, ByteOffset(off), buf);
    EXPECT_TRUE(n.ok());
    buf.resize(n.ok() ? *n : 0);
    return buf;
  }
  bool extents() const { return GetParam() == "ext4"; }
  uint64_t size_of(const Guard& g, InodeNum ino) { return getattr(g, ino)->st_size; }
  uint64_t sectors_of(const Guard& g, InodeNum ino) { return getattr(g, ino)->st_blocks; }
  // Fill most free blocks with non-zero bytes and free them again, so a
  // block handed out later holds stale data unless it is zeroed.
  void dirty_free_space(const Guard& g) {
    InodeNum junk = create(g, "junk");
    std::mt19937 rng(1234);  // fixed seed: the bytes only need to be non-zero
    std::string data(8 << 20, '\0');
    for (auto& c : data)
      c = static_cast<char>(rng() | 1);
    put(g, junk, 0, data);
    ASSERT_TRUE(unlink(g, kRoot, "junk").ok());
  }
  static uint64_t bs(const Guard& g) { return g.fs()->blocksize; }

  t::TempDir dir_;
  std::string img_;
  std::unique_ptr<ext2::Filesystem> fs_;
  Caller me_{1000, 1000, 022};
};

TEST_P(SpaceTest, AllocateExtendsAndReadsZeroes) {
  auto g = fs_->lock();
  dirty_free_space(g);
  InodeNum f = create(g, "f");
  if (!extents()) {
    EXPECT_EQ(fallocate(g, f, 0, ByteOffset(0), ByteLen(4096)).error().raw, EOPNOTSUPP);
    EXPECT_EQ(fallocate(g, f, FALLOC_FL_ZERO_RANGE, ByteOffset(0), ByteLen(4096)).error().raw,
              EOPNOTSUPP);
    return;
  }
  ASSERT_TRUE(fallocate(g, f, 0, ByteOffset(0), ByteLen(1 << 20)).ok());
  EXPECT_EQ(size_of(g, f), 1u << 20);
  EXPECT_GE(sectors_of(g, f), (1u << 20) / 512);
  EXPECT_EQ(get(g, f, 0, 1 << 20), std::string(1 << 20, '\0'));
  // Writing into the preallocated range keeps the rest zero.
  put(g, f, 1000, "data");
  EXPECT_EQ(get(g, f, 996, 12), std::string(4, '\0') + "data" + std::string(4, '\0'));
}

// ENOSPC part-way: what was allocated is in the bitmaps, so the inode
// (i_blocks, the extent tree) must say so too (TearDown runs e2fsck).
TEST_P(SpaceTest, AllocateFailingWithEnospcKeepsInodeAndBitmapsInStep) {
  if (!extents())
    GTEST_SKIP() << "block-mapped files cannot be preallocated";
  auto g = fs_->lock();
  // Free space in single blocks: the extent tree needs blocks of its own.
  for (int i = 0; i < 1200; i++) {
    std::string name = "frag" + std::to_string(i);
    InodeNum x = create(g, name.c_str());
    put(g, x, 0, std::string(bs(g), 'x'));
  }
  for (int i = 0; i < 1200; i += 2)
    ASSERT_TRUE(unlink(g, kRoot, "frag" + std::to_string(i)).ok());
  InodeNum f = create(g, "f");
  InodeNum k = create(g, "k");
  // More than is free, less than the whole filesystem (which libext2fs
  // refuses before allocating anything).
  const uint64_t len = (ext2fs_blocks_count(g.fs()->super) - 64) * bs(g);
  ASSERT_GT(len / bs(g), ext2fs_free_blocks_count(g.fs()->super));
  EXPECT_EQ(ext2::to_errno(fallocate(g, f, 0, ByteOffset(0), ByteLen(len)).error()), ENOSPC);
  EXPECT_EQ(size_of(g, f), 0u);
  EXPECT_GT(sectors_of(g, f), 0u);
  EXPECT_EQ(
      ext2::to_errno(fallocate(g, k, FALLOC_FL_KEEP_SIZE, ByteOffset(0), ByteLen(len)).error()),
      ENOSPC);
  // (Not unlinked here: libext2fs 1.47.2's ext2fs_punch refuses to free
  // an extent that ends at the filesystem's last block, which f owns now.)
}

TEST_P(SpaceTest, KeepSizeAllocatesBeyondEof) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  put(g, f, 0, "abc");
  if (!extents()) {
    EXPECT_EQ(fallocate(g, f, FALLOC_FL_KEEP_SIZE, ByteOffset(0), ByteLen(4096)).error().raw,
              EOPNOTSUPP);
    return;
  }
  ASSERT_TRUE(fallocate(g, f, FALLOC_FL_KEEP_SIZE, ByteOffset(0), ByteLen(256 << 10)).ok());
  EXPECT_EQ(size_of(g, f), 3u);
  EXPECT_GE(sectors_of(g, f), (256u << 10) / 512);
  EXPECT_EQ(get(g, f, 0, 10), "abc");
  // Growing the file later exposes zeroes, not stale blocks.
  ASSERT_TRUE(setattr(g, f, {.size = 100000}).ok());
  EXPECT_EQ(get(g, f, 3, 99997), std::string(99997, '\0'));
}

TEST_P(SpaceTest, PunchHoleZeroesAndFrees) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  const std::string data(256 << 10, 'a');
  put(g, f, 0, data);
  uint64_t before = sectors_of(g, f);
  const uint64_t off = 5000, len = 100000;
  ASSERT_TRUE(
      fallocate(g, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ByteOffset(off), ByteLen(len))
          .ok());
  std::string want = data;
  want.replace(off, len, std::string(len, '\0'));
  EXPECT_EQ(get(g, f, 0, data.size()), want);
  EXPECT_EQ(size_of(g, f), data.size());
  uint64_t whole_blocks = ((off + len) / bs(g) - (off + bs(g) - 1) / bs(g));
  EXPECT_LE(sectors_of(g, f), before - whole_blocks * bs(g) / 512);
  // Punching past EOF changes nothing; punching a hole again is fine.
  ASSERT_TRUE(fallocate(g, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ByteOffset(1 << 20),
                        ByteLen(4096))
                  .ok());
  ASSERT_TRUE(
      fallocate(g, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ByteOffset(off), ByteLen(len))
          .ok());
  EXPECT_EQ(size_of(g, f), data.size());
}

TEST_P(SpaceTest, ZeroRangeInsideAndPastEof) {
  auto g = fs_->lock();
  dirty_free_space(g);
  InodeNum f = create(g, "f");
  const std::string data(64 << 10, 'b');
  put(g, f, 0, data);
  if (!extents())
    return;  // EOPNOTSUPP, checked in AllocateExtendsAndReadsZeroes
  ASSERT_TRUE(fallocate(g, f, FALLOC_FL_ZERO_RANGE, ByteOffset(3000), ByteLen(10000)).ok());
  std::string want = data;
  want.replace(3000, 10000, std::string(10000, '\0'));
  EXPECT_EQ(get(g, f, 0, data.size()), want);
  EXPECT_EQ(size_of(g, f), data.size());
  // Past EOF: the file grows, and the new range reads as zeroes.
  ASSERT_TRUE(fallocate(g, f, FALLOC_FL_ZERO_RANGE, ByteOffset(60000), ByteLen(40000)).ok());
  EXPECT_EQ(size_of(g, f), 100000u);
  EXPECT_EQ(get(g, f, 60000, 40000), std::string(40000, '\0'));
  // With KEEP_SIZE it does not.
  ASSERT_TRUE(
      fallocate(g, f, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, ByteOffset(90000), ByteLen(50000))
          .ok());
  EXPECT_EQ(size_of(g, f), 100000u);
}

TEST_P(SpaceTest, RefusesOtherModesAndNonFiles) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  EXPECT_EQ(fallocate(g, f, FALLOC_FL_COLLAPSE_RANGE, ByteOffset(0), ByteLen(4096)).error().raw,
            EOPNOTSUPP);
  EXPECT_EQ(fallocate(g, f, FALLOC_FL_PUNCH_HOLE, ByteOffset(0), ByteLen(4096)).error().raw,
            EOPNOTSUPP);
  EXPECT_EQ(fallocate(g, f, 0, ByteOffset(0), ByteLen(0)).error().raw, EINVAL);
  EXPECT_EQ(fallocate(g, kRoot, 0, ByteOffset(0), ByteLen(4096)).error().raw, EISDIR);
}

TEST_P(SpaceTest, SeekDataAndHole) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  const uint64_t mib = 1 << 20;
  put(g, f, 0, std::string(4096, 'x'));
  put(g, f, mib, std::string(4096, 'y'));
  ASSERT_TRUE(setattr(g, f, {.size = 2 * mib}).ok());
  auto seek = [&](uint64_t off, int whence) {
    return seek_data_hole(g, f, ByteOffset(off), whence);
  };
  EXPECT_EQ(*seek(0, SEEK_DATA), 0u);
  EXPECT_EQ(*seek(100, SEEK_DATA), 100u);
  EXPECT_EQ(*seek(0, SEEK_HOLE), 4096u);
  EXPECT_EQ(*seek(5000, SEEK_HOLE), 5000u);
  EXPECT_EQ(*seek(5000, SEEK_DATA), mib);
  EXPECT_EQ(*seek(mib + 10, SEEK_HOLE), mib + 4096);
  EXPECT_EQ(seek(mib + 8192, SEEK_DATA).error().raw, ENXIO);
  EXPECT_EQ(*seek(mib + 8192, SEEK_HOLE), mib + 8192);
  EXPECT_EQ(seek(2 * mib, SEEK_DATA).error().raw, ENXIO);
  EXPECT_EQ(seek(2 * mib, SEEK_HOLE).error().raw, ENXIO);
  // Preallocated (unwritten) space is a hole, as in the kernel's ext4.
  if (extents()) {
    ASSERT_TRUE(fallocate(g, f, FALLOC_FL_KEEP_SIZE, ByteOffset(mib / 2), ByteLen(65536)).ok());
    EXPECT_EQ(*seek(5000, SEEK_DATA), mib);
    EXPECT_EQ(*seek(mib / 2, SEEK_HOLE), mib / 2);
  }
  // A punched hole is one.
  ASSERT_TRUE(
      fallocate(g, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, ByteOffset(0), ByteLen(4096))
          .ok());
  EXPECT_EQ(*seek(0, SEEK_DATA), mib);
}

TEST_P(SpaceTest, SeekInAFullFileFindsTheEnd) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  put(g, f, 0, std::string(10000, 'z'));
  EXPECT_EQ(*seek_data_hole(g, f, ByteOffset(0), SEEK_HOLE), 10000u);
  EXPECT_EQ(*seek_data_hole(g, f, ByteOffset(9999), SEEK_DATA), 9999u);
}

INSTANTIATE_TEST_SUITE_P(Types, SpaceTest, ::testing::Values("ext2", "ext4"));

}  // namespace
}  // namespace f4::ops
