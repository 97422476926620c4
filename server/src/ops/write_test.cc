// SPDX-License-Identifier: GPL-2.0
//
// Writes into preallocated (unwritten) space: every byte written reads
// back, every byte not written reads as zero, and e2fsck -fn is clean.
// Random block orders split the one unwritten extent fallocate makes into
// hundreds, so the extent tree grows leaves and writes land on leaf
// boundaries: the case libext2fs's own conversion gets wrong (see
// Documentation/fuse4fs.rst, "Writes into unwritten extents").
#include <gtest/gtest.h>
#include <linux/falloc.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ops {
namespace {

namespace t = ext2::testing;
const InodeNum kRoot(EXT2_ROOT_INO);

// One case per seed; the seed is part of the test name, so a failure
// can be replayed.
class WriteUnwrittenTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    img_ = t::make_image(dir_, "", {.fstype = "ext4", .size = "64M"});
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
    ASSERT_TRUE(n.ok()) << "write at " << off << ": error " << n.error().raw;
    ASSERT_EQ(*n, data.size());
  }
  std::string get(const Guard& g, InodeNum ino, uint64_t off, size_t len) {
    std::string buf(len, '?');
    auto n = read(g, ino, ByteOffset(off), buf);
    EXPECT_TRUE(n.ok());
    buf.resize(n.ok() ? *n : 0);
    return buf;
  }
  // Compare in blocks so a failure names the first bad block, not 16 MiB.
  void expect_same(const std::string& got, const std::string& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t off = 0; off < want.size(); off += 4096) {
      size_t n = std::min<size_t>(4096, want.size() - off);
      ASSERT_EQ(got.compare(off, n, want, off, n), 0) << "differs in the block at byte " << off;
    }
  }
  std::string random_bytes(std::mt19937& rng, size_t n) {
    std::string s(n, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng() | 1);  // never zero: a lost block shows
    return s;
  }

  t::TempDir dir_;
  std::string img_;
  std::unique_ptr<ext2::Filesystem> fs_;
  Caller me_{1000, 1000, 022};
};

// fio's randwrite over a fallocated file, in small: every 4 KiB block of a
// 16 MiB file written once, in a shuffled order.
TEST_P(WriteUnwrittenTest, RandomBlockOrder) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  constexpr size_t kBlocks = 4096, kBs = 4096;
  ASSERT_TRUE(fallocate(g, f, 0, ByteOffset(0), ByteLen(kBlocks * kBs)).ok());
  std::mt19937 rng(GetParam());
  std::vector<size_t> order(kBlocks);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::string want(kBlocks * kBs, '\0');
  for (size_t b : order) {
    std::string data = random_bytes(rng, kBs);
    want.replace(b * kBs, kBs, data);
    put(g, f, b * kBs, data);
  }
  expect_same(get(g, f, 0, want.size()), want);
}

// Unaligned writes of random length, some crossing the end of the
// preallocated range, some past EOF into space kept with KEEP_SIZE.
TEST_P(WriteUnwrittenTest, UnalignedWritesAgainstAModel) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  constexpr uint64_t kSize = 4 << 20, kKept = 6 << 20, kSpan = 7 << 20;
  ASSERT_TRUE(fallocate(g, f, 0, ByteOffset(0), ByteLen(kSize)).ok());
  ASSERT_TRUE(fallocate(g, f, FALLOC_FL_KEEP_SIZE, ByteOffset(kSize), ByteLen(kKept - kSize)).ok());
  std::mt19937 rng(GetParam());
  std::string want(kSize, '\0');
  for (int i = 0; i < 1500; i++) {
    uint64_t off = rng() % kSpan;
    size_t len = 1 + rng() % 20000;
    std::string data = random_bytes(rng, len);
    if (off + len > want.size())
      want.resize(off + len, '\0');
    want.replace(off, len, data);
    put(g, f, off, data);
  }
  expect_same(get(g, f, 0, want.size() + 100), want);
}

// Sequential writes in 64 KiB pieces, then the same range overwritten
// in a random order: a written extent stays written.
TEST_P(WriteUnwrittenTest, SequentialThenOverwritten) {
  auto g = fs_->lock();
  InodeNum f = create(g, "f");
  constexpr size_t kPiece = 64 << 10, kPieces = 128;
  ASSERT_TRUE(fallocate(g, f, 0, ByteOffset(0), ByteLen(kPiece * kPieces)).ok());
  std::mt19937 rng(GetParam());
  std::string want(kPiece * kPieces, '\0');
  for (size_t i = 0; i < kPieces; i += 2) {  // every other piece
    std::string data = random_bytes(rng, kPiece);
    want.replace(i * kPiece, kPiece, data);
    put(g, f, i * kPiece, data);
  }
  expect_same(get(g, f, 0, want.size()), want);
  std::vector<size_t> order(kPieces);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i : order) {
    std::string data = random_bytes(rng, kPiece / 2);
    uint64_t off = i * kPiece + kPiece / 4;
    want.replace(off, data.size(), data);
    put(g, f, off, data);
  }
  expect_same(get(g, f, 0, want.size()), want);
}

INSTANTIATE_TEST_SUITE_P(Seeds, WriteUnwrittenTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace f4::ops
