// SPDX-License-Identifier: GPL-2.0
#include "ext2/dir.h"

#include <gtest/gtest.h>

#include <set>

#include "ext2/inode.h"
#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

class DirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    content_.write_file("a/b/c.txt", "hello");
    content_.write_file("top", "t");
    img_ = testing::make_image(dir_, content_.path(), {});
  }
  testing::TempDir dir_, content_;
  std::string img_;
};

TEST_F(DirTest, LookupWalksAPath) {
  auto fs = testing::open_or_die(img_, Access::kReadOnly);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    auto a = lookup(g, InodeNum(EXT2_ROOT_INO), "a");
    ASSERT_TRUE(a.ok());
    auto b = lookup(g, *a, "b");
    ASSERT_TRUE(b.ok());
    auto c = lookup(g, *b, "c.txt");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(lookup(g, *b, "nope").error().raw, ENOENT);
    EXPECT_EQ(lookup(g, *b, std::string(300, 'x')).error().raw, ENAMETOOLONG);
    EXPECT_EQ(iterate(g, *c, 0, [](const DirEntry&) { return true; }).error().raw, ENOTDIR);
  }
  ASSERT_TRUE(fs->close().ok());
}

TEST_F(DirTest, IterateAndResume) {
  auto fs = testing::open_or_die(img_, Access::kReadOnly);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    std::vector<std::pair<std::string, uint64_t>> all;
    auto r = iterate(g, InodeNum(EXT2_ROOT_INO), 0, [](const DirEntry&) { return true; });
    ASSERT_TRUE(r.ok()) << r.error().raw;
    ASSERT_TRUE(iterate(g, InodeNum(EXT2_ROOT_INO), 0, [&](const DirEntry& e) {
                  all.emplace_back(std::string(e.name), e.cookie);
                  return true;
                }).ok());
    std::set<std::string> names;
    for (auto& [n, c] : all)
      names.insert(n);
    EXPECT_EQ(names, (std::set<std::string>{".", "..", "lost+found", "a", "top"}));
    // Resuming after the second entry yields the rest, in order.
    std::vector<std::string> rest;
    ASSERT_TRUE(iterate(g, InodeNum(EXT2_ROOT_INO), all[1].second, [&](const DirEntry& e) {
                  rest.emplace_back(e.name);
                  return true;
                }).ok());
    ASSERT_EQ(rest.size(), all.size() - 2);
    EXPECT_EQ(rest[0], all[2].first);
  }
  ASSERT_TRUE(fs->close().ok());
}

TEST_F(DirTest, AddManyEntriesGrowsDirectoryAndStaysConsistent) {
  auto fs = testing::open_or_die(img_, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    auto top = lookup(g, InodeNum(EXT2_ROOT_INO), "top");
    ASSERT_TRUE(top.ok());
    // Hard links to "top": enough names to need several directory blocks.
    auto inode = read_inode(g, *top);
    ASSERT_TRUE(inode.ok());
    for (int i = 0; i < 300; i++) {
      std::string n = "link-with-a-long-name-" + std::to_string(i);
      ASSERT_TRUE(add_entry(g, InodeNum(EXT2_ROOT_INO), n, *top, inode->mode()).ok()) << n;
    }
    inode->set_links(301);
    ASSERT_TRUE(write_inode(g, *top, *inode).ok());
    int count = 0;
    ASSERT_TRUE(iterate(g, InodeNum(EXT2_ROOT_INO), 0, [&](const DirEntry&) {
                  count++;
                  return true;
                }).ok());
    EXPECT_EQ(count, 305);
    ASSERT_TRUE(remove_entry(g, InodeNum(EXT2_ROOT_INO), "link-with-a-long-name-7").ok());
    EXPECT_EQ(remove_entry(g, InodeNum(EXT2_ROOT_INO), "link-with-a-long-name-7").error().raw,
              ENOENT);
    inode->set_links(300);
    ASSERT_TRUE(write_inode(g, *top, *inode).ok());
    EXPECT_FALSE(*is_empty(g, InodeNum(EXT2_ROOT_INO)));
    auto lf = lookup(g, InodeNum(EXT2_ROOT_INO), "lost+found");
    ASSERT_TRUE(lf.ok());
    EXPECT_TRUE(*is_empty(g, *lf));
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img_), 0);
}

// rm -rf: read a batch of entries, remove them, resume from the last
// cookie.  Emptying whole directory blocks must not move the entries
// after them, or the resumed scan skips some.
TEST_F(DirTest, ResumeAfterRemovingWholeBlocksSkipsNothing) {
  auto fs = testing::open_or_die(img_, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    InodeNum root(EXT2_ROOT_INO);
    auto lf = lookup(g, root, "lost+found");
    ASSERT_TRUE(lf.ok());
    auto top = lookup(g, root, "top");
    ASSERT_TRUE(top.ok());
    auto inode = read_inode(g, *top);
    ASSERT_TRUE(inode.ok());
    // Hard links to "top" in lost+found (4 blocks, more as needed).
    constexpr int kNames = 600;
    for (int i = 0; i < kNames; i++) {
      std::string n = "entry-with-a-rather-long-name-" + std::to_string(i);
      ASSERT_TRUE(add_entry(g, *lf, n, *top, inode->mode()).ok()) << n;
    }
    std::set<std::string> removed;
    uint64_t cookie = 0;
    for (int round = 0; round < 100; round++) {
      std::vector<std::pair<std::string, uint64_t>> batch;
      ASSERT_TRUE(iterate(g, *lf, cookie, [&](const DirEntry& e) {
                    if (e.name != "." && e.name != "..")
                      batch.emplace_back(std::string(e.name), e.cookie);
                    return batch.size() < 40;
                  }).ok());
      if (batch.empty())
        break;
      for (auto& [n, c] : batch) {
        ASSERT_TRUE(remove_entry(g, *lf, n).ok()) << n;
        removed.insert(n);
      }
      cookie = batch.back().second;
    }
    EXPECT_EQ(removed.size(), size_t{kNames});
    EXPECT_TRUE(*is_empty(g, *lf));
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img_), 0);
}

TEST_F(DirTest, WritesRefusedReadOnly) {
  auto fs = testing::open_or_die(img_, Access::kReadOnly);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    EXPECT_EQ(add_entry(g, InodeNum(EXT2_ROOT_INO), "x", InodeNum(12), LINUX_S_IFREG).error().raw,
              EROFS);
    EXPECT_EQ(remove_entry(g, InodeNum(EXT2_ROOT_INO), "top").error().raw, EROFS);
  }
  ASSERT_TRUE(fs->close().ok());
}

}  // namespace
}  // namespace f4::ext2

namespace f4::ext2 {
namespace {

TEST(InlineDir, IterateInlineDataDirectory) {
  testing::TempDir d, content;
  content.write_file("small/one", "1");
  content.write_file("small/two", "2");
  std::string img = testing::make_image(d, content.path(), {.extra = {"-O", "inline_data"}});
  auto fs = testing::open_or_die(img, Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    auto small = lookup(g, InodeNum(EXT2_ROOT_INO), "small");
    ASSERT_TRUE(small.ok());
    std::set<std::string> names;
    ASSERT_TRUE(iterate(g, *small, 0, [&](const DirEntry& e) {
                  names.emplace(e.name);
                  return true;
                }).ok());
    EXPECT_EQ(names, (std::set<std::string>{".", "..", "one", "two"}));
    auto one = lookup(g, *small, "one");
    ASSERT_TRUE(one.ok());
    ASSERT_TRUE(set_dotdot(g, *small, InodeNum(EXT2_ROOT_INO)).ok());
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ext2
