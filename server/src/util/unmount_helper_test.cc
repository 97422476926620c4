// SPDX-License-Identifier: GPL-2.0
#include "util/unmount_helper.h"

#include <gtest/gtest.h>

namespace f4::util {
namespace {

constexpr const char* kInfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "40 22 0:45 / /mnt/a\\040b rw,nosuid - fuse.fuse4fs /img rw,user_id=0\n"
    "41 22 0:46 / /mnt/c rw - fuse_iomap.fuse4fs /img2 rw\n"
    "42 41 0:47 / /mnt/c rw - tmpfs none rw\n";

TEST(UnmountHelperTest, MountDevAt) {
  EXPECT_EQ(mount_dev_at(kInfo, "/mnt/a b"), "0:45");  // \040 is a space
  EXPECT_EQ(mount_dev_at(kInfo, "/mnt/a\\040b"), "");
  EXPECT_EQ(mount_dev_at(kInfo, "/mnt/c"), "0:47");  // the topmost
  EXPECT_EQ(mount_dev_at(kInfo, "/"), "8:1");
  EXPECT_EQ(mount_dev_at(kInfo, "/mnt"), "");
  EXPECT_EQ(mount_dev_at("garbage\n\n", "/mnt"), "");
}

}  // namespace
}  // namespace f4::util
