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

TEST(NodeId, ClassicRootMapsBothWaysOthersUnchanged) {
  const NodeIds& ids = kClassicNodeIds;
  EXPECT_EQ(ids.to_ino(FUSE_ROOT_ID), InodeNum(EXT2_ROOT_INO));
  EXPECT_EQ(ids.to_nodeid(InodeNum(EXT2_ROOT_INO)), FUSE_ROOT_ID);
  for (uint32_t i : {11u, 12u, 1000000u}) {
    EXPECT_EQ(ids.to_ino(i), InodeNum(i));
    EXPECT_EQ(ids.to_nodeid(InodeNum(i)), i);
    EXPECT_EQ(ids.to_ino(ids.to_nodeid(InodeNum(i))), InodeNum(i));
  }
}

TEST(NodeId, RootNodeIdTwoIsTheIdentity) {
  const NodeIds& ids = kInodeNodeIds;
  EXPECT_EQ(ids.root(), fuse_ino_t{EXT2_ROOT_INO});
  for (uint32_t i : {2u, 11u, 12u, 1000000u}) {
    EXPECT_EQ(ids.to_ino(i), InodeNum(i));
    EXPECT_EQ(ids.to_nodeid(InodeNum(i)), i);
  }
}

}  // namespace
}  // namespace f4::fuse
