// SPDX-License-Identifier: GPL-2.0
//
// The lowlevel session driven without a kernel: requests are built as the
// kernel would send them and fed to fuse_session_process_buf(); replies
// come back through a custom writev, which can also refuse a reply the
// way the kernel does for an interrupted request (ENOENT).
#include "fuse/session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fuse.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "ext2/test_image.h"

namespace f4::fuse {
namespace {

namespace t = ext2::testing;

// The custom io gets the session's userdata (the Server), not ours: the
// test's state is global, one session at a time.
struct Wire {
  std::vector<std::string> replies;
  int fail_next = 0;  // errno for the next reply, 0: deliver it
};
Wire* g_wire = nullptr;

ssize_t wire_writev(int, struct iovec* iov, int count, void*) {
  std::string msg;
  for (int i = 0; i < count; i++)
    msg.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  if (g_wire->fail_next) {
    errno = g_wire->fail_next;
    g_wire->fail_next = 0;
    return -1;
  }
  g_wire->replies.push_back(msg);
  return static_cast<ssize_t>(msg.size());
}

ssize_t wire_read(int, void*, size_t, void*) {
  errno = EIO;
  return -1;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write_file("content/greeting", "hello\n");
    img_ = t::make_image(dir_, dir_.path() + "/content", {});
    auto fs = t::open_or_die(img_, ext2::Access::kReadWrite);
    ASSERT_TRUE(fs);
    server_ = std::make_unique<Server>(std::move(fs), SessionOptions{});
    char arg0[] = "fuse4fs-test";
    char* argv[] = {arg0};
    fuse_args args = FUSE_ARGS_INIT(1, argv);
    se_ = fuse_session_new(&args, &lowlevel_ops(), sizeof(fuse_lowlevel_ops), server_.get());
    ASSERT_NE(se_, nullptr);
    g_wire = &wire_;
    fuse_custom_io io{};
    io.writev = wire_writev;
    io.read = wire_read;
#if FUSE_USE_VERSION >= 317
    ASSERT_EQ(fuse_session_custom_io(se_, &io, sizeof(io), open("/dev/null", O_RDWR)), 0);
#else
    ASSERT_EQ(fuse_session_custom_io(se_, &io, open("/dev/null", O_RDWR)), 0);
#endif
  }
  void TearDown() override {
    if (se_)
      fuse_session_destroy(se_);  // closes the image if DESTROY never came
    g_wire = nullptr;
    if (server_) {
      EXPECT_TRUE(server_->fs().closed());
      EXPECT_EQ(t::fsck(img_), 0) << "e2fsck -fn " << img_;
    }
  }

  // Send one request; returns the error of its reply, or 1 if none came.
  int send(uint32_t opcode, uint64_t nodeid, const std::string& arg) {
    fuse_in_header in{};
    in.len = static_cast<uint32_t>(sizeof(in) + arg.size());
    in.opcode = opcode;
    in.unique = ++unique_;
    in.nodeid = nodeid;
    std::string msg(reinterpret_cast<const char*>(&in), sizeof(in));
    msg += arg;
    size_t before = wire_.replies.size();
    fuse_buf buf{};
    buf.size = msg.size();
    buf.mem = msg.data();
    fuse_session_process_buf(se_, &buf);
    if (wire_.replies.size() == before)
      return 1;
    fuse_out_header out;
    memcpy(&out, wire_.replies.back().data(), sizeof(out));
    EXPECT_EQ(out.unique, unique_);
    return out.error;
  }
  int init() {
    fuse_init_in arg{};
    arg.major = FUSE_KERNEL_VERSION;
    arg.minor = 31;
    arg.max_readahead = 65536;
    return send(FUSE_INIT, 0, std::string(reinterpret_cast<const char*>(&arg), sizeof(arg)));
  }
  static std::string name(const char* n) {
    return std::string(n) + '\0';
  }
  uint64_t refs(InodeNum ino) {
    auto g = server_->fs().lock();
    return g.refs().count(ino);
  }
  InodeNum greeting() {
    auto g = server_->fs().lock();
    ext2_ino_t ino = 0;
    EXPECT_EQ(ext2fs_namei(g.fs(), EXT2_ROOT_INO, EXT2_ROOT_INO, "greeting", &ino), 0);
    return InodeNum(ino);
  }

  t::TempDir dir_;
  std::string img_;
  std::unique_ptr<Server> server_;
  fuse_session* se_ = nullptr;
  Wire wire_;
  uint64_t unique_ = 0;
};

// Node id 1 is the root on the stock client (kClassicNodeIds).
constexpr uint64_t kRootNode = FUSE_ROOT_ID;

TEST_F(SessionTest, LookupHandsOutOneReference) {
  ASSERT_EQ(init(), 0);
  EXPECT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), 0);
  EXPECT_EQ(refs(greeting()), 1u);
}

TEST_F(SessionTest, UndeliveredLookupReplyTakesNoReference) {
  ASSERT_EQ(init(), 0);
  wire_.fail_next = ENOENT;  // the kernel's answer for an interrupted request
  EXPECT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), 1);
  EXPECT_EQ(refs(greeting()), 0u);
}

TEST_F(SessionTest, UndeliveredMkdirReplyTakesNoReference) {
  ASSERT_EQ(init(), 0);
  fuse_mkdir_in arg{};
  arg.mode = 0755;
  wire_.fail_next = ENOENT;
  std::string in(reinterpret_cast<const char*>(&arg), sizeof(arg));
  EXPECT_EQ(send(FUSE_MKDIR, kRootNode, in + name("d")), 1);
  auto g = server_->fs().lock();
  ext2_ino_t ino = 0;
  ASSERT_EQ(ext2fs_namei(g.fs(), EXT2_ROOT_INO, EXT2_ROOT_INO, "d", &ino), 0);
  EXPECT_EQ(g.refs().count(InodeNum(ino)), 0u);
}

// A lost second lookup must not keep an unlinked file allocated after
// the kernel forgets the one it did receive.
TEST_F(SessionTest, UndeliveredLookupDoesNotPinAnUnlinkedFile) {
  ASSERT_EQ(init(), 0);
  ASSERT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), 0);
  wire_.fail_next = ENOENT;
  ASSERT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), 1);
  InodeNum ino = greeting();
  ASSERT_EQ(send(FUSE_UNLINK, kRootNode, name("greeting")), 0);
  fuse_forget_in f{};
  f.nlookup = 1;
  EXPECT_EQ(send(FUSE_FORGET, ino.get(), std::string(reinterpret_cast<const char*>(&f), sizeof(f))),
            1);
  auto g = server_->fs().lock();
  EXPECT_FALSE(g.refs().is_orphan(ino));
  EXPECT_FALSE(ext2fs_test_inode_bitmap2(g.fs()->inode_map, ino.get()));
}

TEST_F(SessionTest, RequestsAfterDestroyFailWithEio) {
  ASSERT_EQ(init(), 0);
  ASSERT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), 0);
  const uint64_t greeting_ino = greeting().get();
  EXPECT_EQ(send(FUSE_DESTROY, 0, ""), 0);
  EXPECT_TRUE(server_->fs().closed());
  // libfuse refuses requests after DESTROY until the next INIT, but takes
  // a second INIT; a FORGET or a lookup may also be on another thread
  // already.  None of them may reach the closed image.
  EXPECT_EQ(send(FUSE_GETATTR, kRootNode, std::string(sizeof(fuse_getattr_in), '\0')), -EIO);
  ASSERT_EQ(init(), 0);
  EXPECT_EQ(send(FUSE_GETATTR, kRootNode, std::string(sizeof(fuse_getattr_in), '\0')), -EIO);
  EXPECT_EQ(send(FUSE_LOOKUP, kRootNode, name("greeting")), -EIO);
  fuse_forget_in f{};
  f.nlookup = 1;
  EXPECT_EQ(
      send(FUSE_FORGET, greeting_ino, std::string(reinterpret_cast<const char*>(&f), sizeof(f))),
      1);
  fuse_write_in w{};
  w.size = 3;
  EXPECT_EQ(send(FUSE_WRITE, greeting_ino,
                 std::string(reinterpret_cast<const char*>(&w), sizeof(w)) + "abc"),
            -EIO);
}

}  // namespace
}  // namespace f4::fuse
