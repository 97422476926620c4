// SPDX-License-Identifier: GPL-2.0
#include "ext2/filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <utility>

#include "ext2/inode.h"
#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

using testing::ImageSpec;
using testing::TempDir;

util::Expected<std::unique_ptr<Filesystem>, OpenError> open_image(const std::string& p, Access a) {
  return Filesystem::open({.path = p, .access = a});
}

class OpenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenTest, OpensReadOnlyAndReadWriteAndClosesClean) {
  TempDir d;
  std::string img = testing::make_image(d, "", {.fstype = GetParam()});
  for (Access a : {Access::kReadOnly, Access::kReadWrite}) {
    auto fs = open_image(img, a);
    ASSERT_TRUE(fs.ok()) << fs.error().reason;
    EXPECT_EQ((*fs)->block_size(), 4096u);
    EXPECT_TRUE((*fs)->close().ok());
    EXPECT_TRUE((*fs)->close().ok());  // idempotent
    EXPECT_EQ(testing::fsck(img), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Types, OpenTest, ::testing::Values("ext2", "ext3", "ext4"));

TEST(Open, ReadOnlyOpenNeverWrites) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  struct stat before, after;
  ASSERT_EQ(stat(img.c_str(), &before), 0);
  auto fs = open_image(img, Access::kReadOnly);
  ASSERT_TRUE(fs.ok());
  ASSERT_TRUE((*fs)->close().ok());
  ASSERT_EQ(stat(img.c_str(), &after), 0);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
}

TEST(Open, ReadWriteMarksNotCleanWhileMounted) {
  TempDir d;
  std::string img = testing::make_image(d, "", {.fstype = "ext2"});
  auto fs = open_image(img, Access::kReadWrite);
  ASSERT_TRUE(fs.ok());
  // While mounted the image says "not clean", as the kernel does.
  EXPECT_NE(testing::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q 'state:.*not clean'"), 1);
  ASSERT_TRUE((*fs)->close().ok());
  EXPECT_EQ(testing::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q 'state: *clean$'"), 0);
}

TEST(Open, MissingFile) {
  auto fs = open_image("/nonexistent/fuse4fs.img", Access::kReadOnly);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().kind, OpenFailure::kCannotOpen);
  EXPECT_NE(fs.error().reason.find("No such file"), std::string::npos);
}

TEST(Open, BadMagic) {
  TempDir d;
  std::string img = d.path() + "/zero.img";
  ASSERT_EQ(testing::run("truncate -s 4M '" + img + "'"), 0);
  auto fs = open_image(img, Access::kReadOnly);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().kind, OpenFailure::kCorrupt);
  EXPECT_NE(fs.error().reason.find("bad superblock magic"), std::string::npos);
}

TEST(Open, TruncatedImage) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  ASSERT_EQ(testing::run("truncate -s 2M '" + img + "'"), 0);
  for (Access a : {Access::kReadOnly, Access::kReadWrite}) {
    auto fs = open_image(img, a);
    ASSERT_FALSE(fs.ok());
    EXPECT_EQ(fs.error().kind, OpenFailure::kCorrupt);
    EXPECT_NE(fs.error().reason.find("truncated"), std::string::npos) << fs.error().reason;
  }
}

TEST(Open, CorruptSuperblockChecksum) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  // Flip a byte of s_volume_name (offset 1024 + 0x78): the checksum no
  // longer matches.
  ASSERT_EQ(
      testing::run("printf 'X' | dd of='" + img + "' bs=1 seek=1144 conv=notrunc status=none"), 0);
  auto fs = open_image(img, Access::kReadOnly);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().kind, OpenFailure::kCorrupt);
}

// The image fuzzer's seed 11, cases 3328, 4301 and 5439: a first data
// block of 33, 129 or 1025 made libext2fs overflow a heap buffer while
// reading the bitmaps (ASan).  Refused before any bitmap is read.
TEST(Open, BadFirstDataBlock) {
  TempDir d;
  for (auto [bs, bad] : {std::pair{"1024", "33"}, {"1024", "0"}, {"4096", "1"}}) {
    std::string img = testing::make_image(d, "", {.extra = {"-b", bs}});
    ASSERT_EQ(testing::run("debugfs -w -R 'ssv first_data_block " + std::string(bad) + "' '" + img +
                           "' >/dev/null 2>&1"),
              0);
    for (Access a : {Access::kReadOnly, Access::kReadWrite}) {
      auto fs = open_image(img, a);
      ASSERT_FALSE(fs.ok()) << bs << " " << bad;
      EXPECT_EQ(fs.error().kind, OpenFailure::kCorrupt);
      EXPECT_NE(fs.error().reason.find("first data block"), std::string::npos) << fs.error().reason;
    }
  }
}

TEST(Open, NeedsRecoveryIsRefused) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  ASSERT_EQ(testing::run("debugfs -w -R 'feature needs_recovery' '" + img + "' >/dev/null 2>&1"),
            0);
  auto fs = open_image(img, Access::kReadOnly);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().kind, OpenFailure::kNeedsRecovery);
  auto ro = Filesystem::open({.path = img, .access = Access::kReadOnly, .norecovery = true});
  ASSERT_TRUE(ro.ok());
  EXPECT_TRUE((*ro)->close().ok());
}

// casefold: names hashed by rules fuse4fs lacks; ea_inode and quota:
// metadata it does not maintain (an unlink would leak the EA value
// inodes, usage would go stale).
class ReadOnlyFeature : public ::testing::TestWithParam<std::string> {};

TEST_P(ReadOnlyFeature, RefusedForWriteServedReadOnly) {
  TempDir d;
  std::string img = testing::make_image(d, "", {.extra = {"-O", GetParam()}});
  auto rw = open_image(img, Access::kReadWrite);
  ASSERT_FALSE(rw.ok());
  EXPECT_EQ(rw.error().kind, OpenFailure::kUnsupported);
  EXPECT_NE(rw.error().reason.find(GetParam()), std::string::npos) << rw.error().reason;
  auto ro = open_image(img, Access::kReadOnly);
  ASSERT_TRUE(ro.ok()) << ro.error().reason;
  EXPECT_TRUE((*ro)->close().ok());
  EXPECT_EQ(testing::fsck(img), 0);
}

INSTANTIATE_TEST_SUITE_P(Features, ReadOnlyFeature,
                         ::testing::Values("casefold", "ea_inode", "quota"));

// orphan_file (mke2fs's default for ext4 since 1.47) is served
// read-write: fuse4fs never changes it.  Kernel ext4 keeps orphan_present
// set while mounted, so a crashed image has it with an empty orphan file:
// that mounts read-write and the flag is cleared.  Entries waiting in the
// file need e2fsck first, as a journal needing recovery does.  (The old
// orphan list is processed at mount: ops/tmpfile_test.cc.)
TEST(Open, PendingOrphansRefusedForWrite) {
  TempDir d;
  std::string img = testing::make_image(d, "", {.extra = {"-O", "orphan_file"}});
  auto rw = open_image(img, Access::kReadWrite);
  ASSERT_TRUE(rw.ok()) << rw.error().reason;
  EXPECT_TRUE((*rw)->close().ok());
  // Copies the image and runs @script on the copy ($I) with sh -e.
  auto copy_with = [&](const std::string& name, const std::string& script) {
    std::string copy = d.path() + "/" + name;
    std::string sh = copy + ".sh";
    std::ofstream(sh) << "cp '" << img << "' '" << copy << "'\nI='" << copy << "'\n"
                      << script << "\n";
    EXPECT_EQ(testing::run("sh -e '" + sh + "' >/dev/null 2>&1"), 0) << name;
    return copy;
  };
  const std::string set_flag = R"(debugfs -w -R 'feature orphan_present' "$I")";
  // Inode 12 in the first entry of the orphan file's first block.
  const std::string add_entry = set_flag + R"(
ino=$(dumpe2fs -h "$I" | sed -n 's/^Orphan file inode: *//p')
bs=$(dumpe2fs -h "$I" | sed -n 's/^Block size: *//p')
blk=$(debugfs -R "bmap <$ino> 0" "$I")
printf '\014\000\000\000' | dd of="$I" bs=1 seek=$((blk * bs)) conv=notrunc status=none)";

  std::string flagged = copy_with("flagged.img", set_flag);
  auto r = open_image(flagged, Access::kReadWrite);
  ASSERT_TRUE(r.ok()) << r.error().reason;
  EXPECT_TRUE((*r)->close().ok());
  EXPECT_NE(testing::run("dumpe2fs -h '" + flagged + "' 2>/dev/null | grep -q orphan_present"), 0);
  EXPECT_EQ(testing::fsck(flagged), 0);

  std::string pending = copy_with("pending.img", add_entry);
  auto p = open_image(pending, Access::kReadWrite);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, OpenFailure::kNeedsRecovery);
  EXPECT_NE(p.error().reason.find("e2fsck"), std::string::npos);
  auto ro = open_image(pending, Access::kReadOnly);
  ASSERT_TRUE(ro.ok()) << ro.error().reason;
  EXPECT_TRUE((*ro)->close().ok());
}

TEST(Open, ReadOnlyFileWithReadWriteIsRefused) {
  if (geteuid() == 0)
    GTEST_SKIP() << "root can write read-only files";
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  ASSERT_EQ(chmod(img.c_str(), 0444), 0);
  auto fs = open_image(img, Access::kReadWrite);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().kind, OpenFailure::kReadOnlyDevice);
}

TEST(Open, ReadOnlyLoopDeviceWithReadWriteIsRefused) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root for a loop device";
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  std::string out = d.path() + "/loop";
  if (testing::run("losetup -r -f --show '" + img + "' > '" + out + "' 2>/dev/null") != 0)
    GTEST_SKIP() << "no loop devices here";
  std::string dev;
  std::ifstream(out) >> dev;
  auto fs = open_image(dev, Access::kReadWrite);
  EXPECT_FALSE(fs.ok());
  if (!fs.ok())
    EXPECT_EQ(fs.error().kind, OpenFailure::kReadOnlyDevice) << fs.error().reason;
  auto ro = open_image(dev, Access::kReadOnly);
  EXPECT_TRUE(ro.ok());
  if (ro.ok())
    EXPECT_TRUE((*ro)->close().ok());
  testing::run("losetup -d " + dev);
}

TEST(Guard, ReadOnlyMountRefusesWrites) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  auto fs = testing::open_or_die(img, Access::kReadOnly);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    EXPECT_EQ(g.state(), OpState::kReadOnly);
    EXPECT_EQ(g.require_writable().error().raw, EROFS);
  }
  EXPECT_TRUE(fs->close().ok());
}

TEST(ErrorsPolicy, RemountReadOnlyAndRecordInSuperblock) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  auto r = Filesystem::open(
      {.path = img, .access = Access::kReadWrite, .errors = ErrorPolicy::kRemountRo});
  ASSERT_TRUE(r.ok());
  auto& fs = *r;
  fs->report_corruption(util::Error{EUCLEAN}, InodeNum(12), "test");
  EXPECT_EQ(fs->lock().state(), OpState::kReadOnly);
  EXPECT_TRUE(fs->close().ok());
  EXPECT_EQ(testing::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q 'FS Error count: *1'"),
            0);
}

TEST(ErrorsPolicy, PanicCallsHookAndShutsDown) {
  TempDir d;
  std::string img = testing::make_image(d, "", {});
  auto r =
      Filesystem::open({.path = img, .access = Access::kReadOnly, .errors = ErrorPolicy::kPanic});
  ASSERT_TRUE(r.ok());
  auto& fs = *r;
  bool called = false;
  fs->set_panic_hook([](void* p) { *static_cast<bool*>(p) = true; }, &called);
  EXPECT_FALSE(fs->panicked());
  fs->report_corruption(util::Error{EUCLEAN}, InodeNum(2), "test");
  EXPECT_TRUE(called);
  EXPECT_TRUE(fs->panicked());
  EXPECT_EQ(fs->lock().require_writable().error().raw, EIO);
  EXPECT_TRUE(fs->close().ok());
}

}  // namespace
}  // namespace f4::ext2
