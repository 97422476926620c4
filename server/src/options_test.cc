// SPDX-License-Identifier: GPL-2.0
#include "options.h"

#include <gtest/gtest.h>

#include <optional>

namespace f4 {
namespace {

TEST(Options, Defaults) {
  auto o = parse_options({"img", "mnt"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->image, "img");
  EXPECT_EQ(o->mountpoint, "mnt");
  EXPECT_EQ(o->access, ext2::Access::kReadWrite);
  EXPECT_EQ(o->errors, ext2::ErrorPolicy::kContinue);
  EXPECT_FALSE(o->foreground);
  auto a = fuse_args(*o);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2], "fsname=img,subtype=fuse4fs,default_permissions");
}

TEST(Options, All) {
  auto o = parse_options({"-f", "-o", "ro,errors=panic,norecovery", "img", "mnt",
                          "-okernel,uid=65534,gid=65534", "-d"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->access, ext2::Access::kReadOnly);
  EXPECT_EQ(o->errors, ext2::ErrorPolicy::kPanic);
  EXPECT_TRUE(o->norecovery);
  EXPECT_TRUE(o->allow_other);
  EXPECT_TRUE(o->debug);
  EXPECT_EQ(o->uid, std::optional<uid_t>(65534u));
  auto a = fuse_args(*o);
  EXPECT_EQ(a[2], "fsname=img,subtype=fuse4fs,default_permissions,allow_other,ro,suid,dev");
  EXPECT_EQ(a.back(), "-d");
}

TEST(Options, AtimeFlagsPassOrAreDropped) {
  auto o = parse_options({"-o", "relatime,noatime,lazytime,nodiratime,strictatime", "img", "mnt"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->mount_opts, (std::vector<std::string>{"noatime", "nodiratime"}));
  EXPECT_FALSE(parse_options({"-o", "relatimes", "img", "mnt"}).ok());
}

TEST(Options, IomapChoice) {
  auto o = parse_options({"-o", "iomap=required", "img", "mnt"});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->iomap, IomapMount::kRequired);
  EXPECT_EQ(parse_options({"img", "mnt"})->iomap, IomapMount::kAuto);
  EXPECT_EQ(parse_options({"-o", "iomap=off", "img", "mnt"})->iomap, IomapMount::kOff);
  auto a = fuse_args(*o, Client::kIomap);
  EXPECT_EQ(a[2], "fsname=img,subtype=fuse4fs,default_permissions,iomap=required,root_nodeid=2");
  // Explicit, so that FUSE_IOMAP_MOUNT in the environment cannot override.
  EXPECT_EQ(fuse_args(*o, Client::kFuse, true)[2],
            "fsname=img,subtype=fuse4fs,default_permissions,iomap=off");
}

struct Choice {
  IomapMount mode;
  bool library, device;
  std::optional<Client> want;  // nullopt: refused
};

class ChooseClient : public ::testing::TestWithParam<Choice> {};

TEST_P(ChooseClient, Table) {
  const Choice& c = GetParam();
  auto got = choose_client(c.mode, c.library, c.device);
  if (!c.want) {
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find("iomap=required"), std::string::npos) << got.error();
  } else {
    ASSERT_TRUE(got.ok()) << got.error();
    EXPECT_EQ(*got, *c.want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChooseClient,
    ::testing::Values(Choice{IomapMount::kOff, true, true, Client::kFuse},
                      Choice{IomapMount::kAuto, true, true, Client::kIomap},
                      Choice{IomapMount::kAuto, true, false, Client::kFuse},
                      Choice{IomapMount::kAuto, false, true, Client::kFuse},
                      Choice{IomapMount::kRequired, true, true, Client::kIomap},
                      Choice{IomapMount::kRequired, true, false, std::nullopt},
                      Choice{IomapMount::kRequired, false, true, std::nullopt}));

TEST(MountHelper, DropsFstabOnlyOptionsKeepsOurs) {
  bool fake = true;
  auto a = mount_helper_args({"/dev/vdb", "/mnt", "-o",
                              "rw,noauto,nofail,_netdev,x-systemd.automount,iomap=off,"
                              "errors=remount-ro,user,defaults"},
                             &fake);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_FALSE(fake);
  EXPECT_EQ(*a,
            (std::vector<std::string>{"/dev/vdb", "/mnt", "-o", "rw,iomap=off,errors=remount-ro"}));
  auto b = mount_helper_args({"-n", "img", "mnt", "-t", "fuse4fs", "-sv"}, &fake);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(*b, (std::vector<std::string>{"img", "mnt"}));
  ASSERT_TRUE(mount_helper_args({"img", "mnt", "-f"}, &fake).ok());
  EXPECT_TRUE(fake);
  // fuse4fs itself rejects what is left if it is wrong.
  auto c = mount_helper_args({"img", "mnt", "-o", "defaults"}, &fake);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), 2u);
  EXPECT_FALSE(mount_helper_args({"img"}, &fake).ok());
  EXPECT_FALSE(mount_helper_args({"img", "mnt", "-x"}, &fake).ok());
  EXPECT_FALSE(mount_helper_args({"img", "mnt", "-o"}, &fake).ok());
}

struct Bad {
  std::vector<std::string> args;
  const char* message;
};

class BadOptions : public ::testing::TestWithParam<Bad> {};

TEST_P(BadOptions, ClearMessage) {
  auto o = parse_options(GetParam().args);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().find(GetParam().message), std::string::npos) << o.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadOptions,
    ::testing::Values(Bad{{"img"}, "need an IMAGE and a MOUNTPOINT"},
                      Bad{{"a", "b", "c"}, "too many arguments"},
                      Bad{{"-o", "bogus", "a", "b"}, "unknown mount option 'bogus'"},
                      Bad{{"-o", "errors=maybe", "a", "b"}, "errors= takes"},
                      Bad{{"-o", "uid=x", "a", "b"}, "uid= takes a number"},
                      Bad{{"-o", "norecovery", "a", "b"}, "norecovery needs ro"},
                      Bad{{"-x", "a", "b"}, "unknown argument -x"},
                      Bad{{"-o", "iomap=yes", "a", "b"}, "iomap= takes off, auto or required"},
                      Bad{{"a", "b", "-o"}, "-o needs an argument"}));

}  // namespace
}  // namespace f4
