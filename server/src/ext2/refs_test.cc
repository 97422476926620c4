// SPDX-License-Identifier: GPL-2.0
#include "ext2/refs.h"

#include <gtest/gtest.h>

namespace f4::ext2 {
namespace {

TEST(InodeRefs, CountsAndForgets) {
  InodeRefs r;
  r.get(InodeNum(12));
  r.get(InodeNum(12), 2);
  EXPECT_EQ(r.count(InodeNum(12)), 3u);
  EXPECT_FALSE(r.put(InodeNum(12), 2));
  EXPECT_TRUE(r.referenced(InodeNum(12)));
  EXPECT_FALSE(r.put(InodeNum(12), 1));
  EXPECT_FALSE(r.referenced(InodeNum(12)));
}

TEST(InodeRefs, OrphanFreedAtLastPut) {
  InodeRefs r;
  r.get(InodeNum(13), 2);
  r.defer_free(InodeNum(13));
  EXPECT_FALSE(r.put(InodeNum(13), 1));
  EXPECT_TRUE(r.put(InodeNum(13), 1));
  EXPECT_FALSE(r.is_orphan(InodeNum(13)));
}

TEST(InodeRefs, OverPutIsClampedNotFatal) {
  InodeRefs r;
  r.get(InodeNum(14));
  r.defer_free(InodeNum(14));
  EXPECT_TRUE(r.put(InodeNum(14), 5));
  EXPECT_FALSE(r.put(InodeNum(99), 1));
}

TEST(InodeRefs, TakeOrphansAtUnmount) {
  InodeRefs r;
  r.get(InodeNum(20));
  r.defer_free(InodeNum(20));
  auto o = r.take_orphans();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0], InodeNum(20));
  EXPECT_FALSE(r.referenced(InodeNum(20)));
}

}  // namespace
}  // namespace f4::ext2
