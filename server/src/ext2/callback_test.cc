// SPDX-License-Identifier: GPL-2.0
//
// Exceptions thrown inside libext2fs iteration callbacks end the
// iteration with an error instead of unwinding through libext2fs.
#include "ext2/callback.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "ext2/dir.h"
#include "ext2/test_image.h"
#include "ops/ops.h"

namespace f4::ext2 {
namespace {

TEST(CallbackTest, CatchToErrno) {
  EXPECT_EQ(catch_to_errno("t", [] {}), 0);
  EXPECT_EQ(catch_to_errno("t", [] { throw std::bad_alloc(); }), ENOMEM);
  EXPECT_EQ(catch_to_errno("t", [] { throw std::runtime_error("x"); }), EIO);
  EXPECT_EQ(catch_to_errno("t", [] { throw 42; }), EIO);
}

class CallbackImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 20; i++)
      content_.write_file("f" + std::to_string(i), "x");
    img_ = testing::make_image(dir_, content_.path(), {});
    fs_ = testing::open_or_die(img_, Access::kReadOnly);
    ASSERT_TRUE(fs_);
  }
  void TearDown() override {
    if (fs_) {
      EXPECT_TRUE(fs_->close().ok());
    }
  }
  testing::TempDir dir_, content_;
  std::string img_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(CallbackImageTest, ThrowingDirectoryCallbackFailsTheIteration) {
  auto g = fs_->lock();
  int calls = 0;
  auto r = iterate(g, InodeNum(EXT2_ROOT_INO), 0, [&](const DirEntry&) -> bool {
    if (++calls == 3)
      throw std::bad_alloc();
    return true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().raw, ENOMEM);
  EXPECT_EQ(calls, 3);  // aborted at the throw
  // The same through ops::readdir, with any other exception: EIO.
  auto r2 = ops::readdir(g, InodeNum(EXT2_ROOT_INO), 0,
                         [](const ops::DirItem&) -> bool { throw std::logic_error("bug"); });
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().raw, EIO);
  // The filesystem is still usable afterwards.
  int n = 0;
  ASSERT_TRUE(iterate(g, InodeNum(EXT2_ROOT_INO), 0, [&](const DirEntry&) {
                n++;
                return true;
              }).ok());
  EXPECT_EQ(n, 2 + 1 + 20);  // ".", "..", lost+found, the files
}

}  // namespace
}  // namespace f4::ext2
