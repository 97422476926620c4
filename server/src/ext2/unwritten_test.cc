// SPDX-License-Identifier: GPL-2.0
#include "ext2/unwritten.h"

#include <gtest/gtest.h>
#include <linux/falloc.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "ext2/error.h"
#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ext2 {
namespace {

namespace t = testing;
const InodeNum kRoot(EXT2_ROOT_INO);

struct Leaf {
  uint64_t lblk, pblk, len;
  bool unwritten;
  bool operator==(const Leaf&) const = default;
};

class UnwrittenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    img_ = t::make_image(dir_, "", {.fstype = "ext4", .size = "64M"});
    fs_ = t::open_or_die(img_, Access::kReadWrite);
    ASSERT_TRUE(fs_);
  }
  void TearDown() override {
    if (fs_) {
      EXPECT_TRUE(fs_->close().ok());
      EXPECT_EQ(t::fsck(img_), 0) << "e2fsck -fn " << img_;
    }
  }
  // A file with blocks [0, @blocks) preallocated (one unwritten extent).
  InodeNum prealloc(const Guard& g, const char* name, uint64_t blocks) {
    auto e = ops::mknod(g, {0, 0, 022}, kRoot, name, S_IFREG | 0644, 0);
    EXPECT_TRUE(e.ok());
    ops::forget(g, e->ino, 1);
    EXPECT_TRUE(ops::fallocate(g, e->ino, 0, ByteOffset(0), ByteLen(blocks * 4096)).ok());
    return e->ino;
  }
  // Every leaf extent, walked from the root with a fresh handle.
  static std::vector<Leaf> leaves(const Guard& g, InodeNum ino) {
    std::vector<Leaf> out;
    ext2_extent_handle_t h = nullptr;
    EXPECT_EQ(ext2fs_extent_open2(g.fs(), ino.get(), nullptr, &h), 0);
    ext2fs_extent e{};
    long err = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
    while (!err) {
      if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
        out.push_back({e.e_lblk, e.e_pblk, e.e_len, bool(e.e_flags & EXT2_EXTENT_FLAGS_UNINIT)});
      err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT, &e);
    }
    ext2fs_extent_free(h);
    return out;
  }

  t::TempDir dir_;
  std::string img_;
  std::unique_ptr<Filesystem> fs_;
};

// One table row: convert [first, first + count) of a 16-block unwritten
// extent and expect these extents.
struct SplitCase {
  const char* name;
  uint64_t first, count;
  std::vector<std::pair<uint64_t, bool>> want;  // (len, unwritten), in order
};

TEST_F(UnwrittenTest, SplitsAtTheRangeEdges) {
  const SplitCase cases[] = {
      {"whole", 0, 16, {{16, false}}},
      {"head", 0, 5, {{5, false}, {11, true}}},
      {"tail", 11, 5, {{11, true}, {5, false}}},
      {"middle", 4, 3, {{4, true}, {3, false}, {9, true}}},
      {"past the end", 14, 10, {{14, true}, {2, false}}},
      {"nothing", 3, 0, {{16, true}}},
  };
  auto g = fs_->lock();
  for (const auto& c : cases) {
    InodeNum ino = prealloc(g, c.name, 16);
    uint64_t pblk = leaves(g, ino).at(0).pblk;
    ASSERT_TRUE(mark_written(g, ino, c.first, c.count).ok()) << c.name;
    std::vector<Leaf> want;
    uint64_t at = 0;
    for (auto [len, unwritten] : c.want) {
      want.push_back({at, pblk + at, len, unwritten});
      at += len;
    }
    EXPECT_EQ(leaves(g, ino), want) << c.name;
  }
}

TEST_F(UnwrittenTest, RunsAreClippedAndSkipHolesAndWrittenBlocks) {
  auto g = fs_->lock();
  InodeNum ino = prealloc(g, "f", 32);
  uint64_t pblk = leaves(g, ino).at(0).pblk;
  ASSERT_TRUE(mark_written(g, ino, 8, 8).ok());
  // A hole at 20..23.
  ASSERT_TRUE(ops::fallocate(g, ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                             ByteOffset(uint64_t{20} * 4096), ByteLen(uint64_t{4} * 4096))
                  .ok());
  auto runs = unwritten_runs(g, ino, 4, 24);
  ASSERT_TRUE(runs.ok());
  std::vector<UnwrittenRun> want = {{4, pblk + 4, 4}, {16, pblk + 16, 4}, {24, pblk + 24, 4}};
  EXPECT_EQ(*runs, want);
  // Converting across written blocks and the hole leaves both alone.
  ASSERT_TRUE(mark_written(g, ino, 0, 32).ok());
  EXPECT_TRUE(unwritten_runs(g, ino, 0, 32)->empty());
  auto l = leaves(g, ino);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], (Leaf{0, pblk, 20, false}));
  EXPECT_EQ(l[1], (Leaf{24, pblk + 24, 8, false}));
}

// Converting blocks one at a time in a random order splits the extent
// into hundreds (the tree grows leaves), then merging within each leaf
// brings it back to a handful.  Fixed seed, printed on failure.
TEST_F(UnwrittenTest, RandomSingleBlocksSplitThenMerge) {
  constexpr unsigned kSeed = 7;
  constexpr uint64_t kBlocks = 4096;
  auto g = fs_->lock();
  InodeNum ino = prealloc(g, "f", kBlocks);
  std::vector<uint64_t> order(kBlocks);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(kSeed));
  size_t most = 0;
  for (size_t i = 0; i < order.size(); i++) {
    ASSERT_TRUE(mark_written(g, ino, order[i], 1).ok()) << "seed " << kSeed << " step " << i;
    if (i % 256 == 0)
      most = std::max(most, leaves(g, ino).size());
  }
  EXPECT_GT(most, 340u) << "the tree never needed a second leaf";
  auto l = leaves(g, ino);
  EXPECT_LT(l.size(), 64u);
  uint64_t at = 0;
  for (const auto& x : l) {
    EXPECT_EQ(x.lblk, at);
    EXPECT_FALSE(x.unwritten);
    at += x.len;
  }
  EXPECT_EQ(at, kBlocks);
}

// A split that needs a new tree block when none is free fails with
// ENOSPC and leaves the extents exactly as they were.
TEST_F(UnwrittenTest, SplitWithoutSpaceChangesNothing) {
  auto g = fs_->lock();
  InodeNum ino = prealloc(g, "f", 64);
  // Take every free block, to give them back at the end.
  std::vector<blk64_t> taken;
  for (blk64_t b = 0;;) {
    if (ext2fs_new_block2(g.fs(), b, nullptr, &b))
      break;
    ext2fs_block_alloc_stats2(g.fs(), b, +1);
    taken.push_back(b);
  }
  ASSERT_FALSE(taken.empty());
  // Every other block: the extents outgrow the four slots in the inode.
  Result<void> r;
  std::vector<Leaf> before;
  uint64_t blk = 0;
  for (; blk < 64 && r.ok(); blk += 2) {
    before = leaves(g, ino);
    r = mark_written(g, ino, blk, 1);
  }
  ASSERT_FALSE(r.ok()) << "no split was needed";
  EXPECT_EQ(to_errno(r.error()), ENOSPC);
  EXPECT_EQ(leaves(g, ino), before) << "block " << blk - 2;
  for (blk64_t b : taken)
    ext2fs_block_alloc_stats2(g.fs(), b, -1);
  // With space back, the same conversion works.
  ASSERT_TRUE(mark_written(g, ino, blk - 2, 1).ok());
  EXPECT_EQ(leaves(g, ino).size(), before.size() + 2);
}

TEST_F(UnwrittenTest, RefusedReadOnly) {
  {
    auto g = fs_->lock();
    prealloc(g, "f", 4);
  }
  ASSERT_TRUE(fs_->close().ok());
  fs_ = t::open_or_die(img_, Access::kReadOnly);
  ASSERT_TRUE(fs_);
  auto g = fs_->lock();
  auto ino = ops::lookup(g, kRoot, "f");
  ASSERT_TRUE(ino.ok());
  EXPECT_EQ(mark_written(g, ino->ino, 0, 4).error().raw, EROFS);
  EXPECT_EQ(unwritten_runs(g, ino->ino, 0, 4)->size(), 1u);
}

}  // namespace
}  // namespace f4::ext2
