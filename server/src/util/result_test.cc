// SPDX-License-Identifier: GPL-2.0
#include "util/result.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "util/strong.h"

namespace f4::util {
namespace {

Result<int> half(int x) {
  if (x % 2)
    return fail_errno(EINVAL);
  return x / 2;
}

Result<int> quarter(int x) {
  int h = F4_TRY(half(x));
  return F4_TRY(half(h));
}

Result<void> check_even(int x) {
  F4_TRY_VOID(half(x));
  return {};
}

TEST(Result, ValueAndError) {
  Result<std::string> r = std::string("abc");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 3u);
  Result<std::string> e = fail_errno(ENOENT);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().raw, ENOENT);
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error().raw, EINVAL);
  EXPECT_TRUE(check_even(4).ok());
  EXPECT_FALSE(check_even(3).ok());
}

TEST(Result, CheckWrapsErrcode) {
  EXPECT_TRUE(check(0).ok());
  EXPECT_EQ(check(42).error().raw, 42);
}

TEST(StrongTypes, DistinctAndOrdered) {
  static_assert(!std::is_convertible_v<InodeNum, BlockNum>);
  static_assert(!std::is_convertible_v<uint32_t, InodeNum>);
  static_assert(!std::is_convertible_v<ByteOffset, ByteLen>);
  EXPECT_LT(InodeNum(2), InodeNum(11));
  EXPECT_EQ(ByteLen(4096).get(), 4096u);
}

}  // namespace
}  // namespace f4::util
