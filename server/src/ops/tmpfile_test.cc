// SPDX-License-Identifier: GPL-2.0
//
// O_TMPFILE files and the on-disk orphan list: a tmpfile is an orphan
// until linked, is freed at its last forget, and a crash leaves it for
// the next read-write mount to free.
#include <gtest/gtest.h>

#include "ext2/inode.h"
#include "ext2/orphan.h"
#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ops {
namespace {

namespace t = ext2::testing;
const InodeNum kRoot(EXT2_ROOT_INO);
const Caller kMe{1000, 1000, 022};

uint32_t last_orphan(const Guard& g) {
  return g.fs()->super->s_last_orphan;
}

TEST(Tmpfile, IsAnOrphanUntilLinked) {
  t::TempDir d;
  std::string img = t::make_image(d, "", {});
  auto fs = t::open_or_die(img, ext2::Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    auto a = tmpfile(g, kMe, kRoot, S_IFREG | 0666);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->attr.st_nlink, 0u);
    EXPECT_EQ(a->attr.st_mode, S_IFREG | 0644u);
    EXPECT_EQ(last_orphan(g), a->ino.get());
    auto b = tmpfile(g, kMe, kRoot, S_IFREG | 0600);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(last_orphan(g), b->ino.get());
    // linkat(/proc/self/fd/N): the inode gets its name, leaves the list.
    ASSERT_TRUE(write(g, a->ino, ByteOffset(0), "kept").ok());
    auto l = link(g, a->ino, kRoot, "named");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->attr.st_nlink, 1u);
    EXPECT_EQ(last_orphan(g), b->ino.get());
    // The unlinked one goes at its last forget.
    forget(g, b->ino, 1);
    EXPECT_EQ(last_orphan(g), 0u);
    EXPECT_FALSE(ext2fs_test_inode_bitmap2(g.fs()->inode_map, b->ino.get()));
    forget(g, a->ino, 2);
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(t::fsck(img), 0);
  EXPECT_EQ(t::run("debugfs -R 'cat /named' '" + img + "' 2>/dev/null | grep -qx kept"), 0);
}

TEST(Tmpfile, ACrashLeavesItForTheNextMount) {
  t::TempDir d;
  std::string img = t::make_image(d, "", {});
  uint32_t ino = 0;
  {
    auto fs = t::open_or_die(img, ext2::Access::kReadWrite);
    ASSERT_TRUE(fs);
    auto g = fs->lock();
    auto a = tmpfile(g, kMe, kRoot, S_IFREG | 0666);
    ASSERT_TRUE(a.ok());
    ino = a->ino.get();
    // No close: the server dies with the tmpfile open.  (Data written
    // before such a crash leaves block bitmaps that were never written
    // back: without a journal that is e2fsck's to repair, as any crash.)
  }
  EXPECT_EQ(t::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q '^First orphan inode: *" +
                   std::to_string(ino) + "$'"),
            0);
  auto fs = t::open_or_die(img, ext2::Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    EXPECT_EQ(last_orphan(g), 0u);
    EXPECT_FALSE(ext2fs_test_inode_bitmap2(g.fs()->inode_map, ino));
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(t::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ops
