// SPDX-License-Identifier: GPL-2.0
#include "util/privilege.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace f4::util {
namespace {

TEST(Privilege, ParseStatus) {
  auto st = parse_status(
      "Name:\tfuse4fs\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n"
      "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
      "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n");
  ASSERT_TRUE(st.has_value());
  const CapStatus s = st.value_or(CapStatus{});
  EXPECT_EQ(s.uid[1], 65534u);
  EXPECT_EQ(s.eff, 0u);
  EXPECT_EQ(s.bnd, 0x1ffffffffffu);
  EXPECT_FALSE(parse_status("Name:\tx\n"));
}

TEST(Privilege, ResolveCredentials) {
  auto c = resolve_credentials(std::nullopt, 1234, 5678);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->uid, 1234u);
  EXPECT_FALSE(resolve_credentials(std::nullopt, 1234, std::nullopt).ok());
  EXPECT_FALSE(resolve_credentials("no-such-user-fuse4fs", std::nullopt, std::nullopt).ok());
  auto nobody = resolve_credentials(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(nobody.ok()) << nobody.error();
  EXPECT_NE(nobody->uid, 0u);
}

TEST(Privilege, DropLeavesNoCapabilities) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = drop_privileges({65534, 65534});
    if (!r.ok()) {
      fprintf(stderr, "%s\n", r.error().c_str());
      _exit(1);
    }
    _exit(getuid() == 65534 && setuid(0) != 0 ? 0 : 2);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(Privilege, RefusesRoot) {
  EXPECT_FALSE(drop_privileges({0, 0}).ok());
}

}  // namespace
}  // namespace f4::util
