// SPDX-License-Identifier: GPL-2.0
#include "fuse/request.h"

#include <gtest/gtest.h>

#include "fuse/nodeid.h"

namespace f4::fuse {
namespace {

TEST(ReplyOnce, SecondClaimRefused) {
  ReplyOnce once("test");
  EXPECT_FALSE(once.replied());
  EXPECT_TRUE(once.claim());
  EXPECT_TRUE(once.replied());
  EXPECT_FALSE(once.claim());
  EXPECT_FALSE(once.claim());
}

TEST(NodeId, RootMapsBothWaysOthersUnchanged) {
  EXPECT_EQ(to_ino(kRootNodeId), InodeNum(EXT2_ROOT_INO));
  EXPECT_EQ(to_nodeid(InodeNum(EXT2_ROOT_INO)), kRootNodeId);
  for (uint32_t i : {11u, 12u, 1000000u}) {
    EXPECT_EQ(to_ino(i), InodeNum(i));
    EXPECT_EQ(to_nodeid(InodeNum(i)), i);
    EXPECT_EQ(to_ino(to_nodeid(InodeNum(i))), InodeNum(i));
  }
}

}  // namespace
}  // namespace f4::fuse
