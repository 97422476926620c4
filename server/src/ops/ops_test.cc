// SPDX-License-Identifier: GPL-2.0
#include "ops/ops.h"

#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <fstream>
#include <iterator>
#include <set>

#include "ext2/dir.h"
#include "ext2/test_image.h"

namespace f4::ops {
namespace {

namespace t = ext2::testing;
const InodeNum kRoot(EXT2_ROOT_INO);

class OpsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    content_.write_file("d/f", "file data");
    content_.write_file("e/g", "other");
    img_ = t::make_image(dir_, content_.path(), {.fstype = GetParam()});
    fs_ = t::open_or_die(img_, ext2::Access::kReadWrite);
    ASSERT_TRUE(fs_);
  }
  void TearDown() override {
    if (fs_) {
      EXPECT_TRUE(fs_->close().ok());
      EXPECT_EQ(t::fsck(img_), 0) << "e2fsck -fn " << img_;
    }
  }
  InodeNum ino(const Guard& g, InodeNum dir, const char* name) {
    auto r = ext2::lookup(g, dir, name);
    EXPECT_TRUE(r.ok()) << name;
    return r.ok() ? *r : InodeNum(0);
  }
  t::TempDir dir_, content_;
  std::string img_;
  std::unique_ptr<ext2::Filesystem> fs_;
  Caller me_{1000, 1000, 022};
};

TEST_P(OpsTest, CreateKinds) {
  auto g = fs_->lock();
  auto f = mknod(g, me_, kRoot, "reg", S_IFREG | 0666, 0);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->attr.st_mode, S_IFREG | 0644u);
  EXPECT_EQ(f->attr.st_uid, 1000u);
  auto c = mknod(g, me_, kRoot, "chr", S_IFCHR | 0600, makedev(1, 3));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->attr.st_rdev, makedev(1, 3));
  ASSERT_TRUE(mknod(g, me_, kRoot, "fifo", S_IFIFO | 0600, 0).ok());
  ASSERT_TRUE(mknod(g, me_, kRoot, "sock", S_IFSOCK | 0600, 0).ok());
  EXPECT_EQ(mknod(g, me_, kRoot, "reg", S_IFREG | 0600, 0).error().raw, EEXIST);
  auto d = mkdir(g, me_, kRoot, "newdir", 0777);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->attr.st_nlink, 2u);
  EXPECT_EQ(d->attr.st_mode, S_IFDIR | 0755u);
  auto fast = symlink(g, me_, kRoot, "fast", "d/f");
  ASSERT_TRUE(fast.ok());
  std::string long_target(300, 'x');
  auto slow = symlink(g, me_, kRoot, "slow", long_target);
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(*readlink(g, fast->ino), "d/f");
  EXPECT_EQ(*readlink(g, slow->ino), long_target);
  EXPECT_EQ(readlink(g, f->ino).error().raw, EINVAL);
  for (const auto* e : {&*f, &*c, &*d, &*fast, &*slow})
    forget(g, e->ino, 1);
  for (int i = 0; i < 4; i++)
    forget(g, ino(g, kRoot, std::vector<const char*>{"fifo", "sock", "d", "e"}[i]), 0);
}

TEST_P(OpsTest, LinkUnlinkRmdir) {
  auto g = fs_->lock();
  InodeNum d = ino(g, kRoot, "d");
  InodeNum f = ino(g, d, "f");
  auto l = link(g, f, kRoot, "hard");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->attr.st_nlink, 2u);
  forget(g, f, 1);
  EXPECT_EQ(link(g, d, kRoot, "dirlink").error().raw, EPERM);
  EXPECT_EQ(rmdir(g, kRoot, "d").error().raw, ENOTEMPTY);
  EXPECT_EQ(unlink(g, kRoot, "d").error().raw, EISDIR);
  ASSERT_TRUE(unlink(g, d, "f").ok());
  EXPECT_EQ(getattr(g, f)->st_nlink, 1u);
  ASSERT_TRUE(rmdir(g, kRoot, "d").ok());
  EXPECT_EQ(getattr(g, kRoot)->st_nlink, 4u);  // ., .., lost+found, e
  ASSERT_TRUE(unlink(g, kRoot, "hard").ok());
  EXPECT_EQ(unlink(g, kRoot, "hard").error().raw, ENOENT);
}

TEST_P(OpsTest, OpenUnlinkedFileLivesUntilForget) {
  auto g = fs_->lock();
  auto e = ops::lookup(g, ino(g, kRoot, "d"), "f");
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(unlink(g, ino(g, kRoot, "d"), "f").ok());
  char buf[16];
  auto n = read(g, e->ino, ByteOffset(0), buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "file data");
  ASSERT_TRUE(write(g, e->ino, ByteOffset(0), std::string_view("FILE")).ok());
  EXPECT_EQ(getattr(g, e->ino)->st_nlink, 0u);
  forget(g, e->ino, 1);
  EXPECT_EQ(getattr(g, e->ino).error().raw, ENOENT);
}

TEST_P(OpsTest, UnlinkedAtUnmountIsFreedByClose) {
  auto g = fs_->lock();
  auto e = ops::lookup(g, ino(g, kRoot, "e"), "g");
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(unlink(g, ino(g, kRoot, "e"), "g").ok());
  // No forget: close() frees it (TearDown checks with e2fsck).
}

TEST_P(OpsTest, RenamePlainReplaceAndAcrossDirectories) {
  auto g = fs_->lock();
  InodeNum d = ino(g, kRoot, "d"), e = ino(g, kRoot, "e");
  InodeNum f = ino(g, d, "f");
  ASSERT_TRUE(rename(g, d, "f", d, "f2", 0).ok());
  EXPECT_EQ(ino(g, d, "f2"), f);
  // Replace e/g with d/f2: g is freed.
  ASSERT_TRUE(rename(g, d, "f2", e, "g", 0).ok());
  EXPECT_EQ(ino(g, e, "g"), f);
  EXPECT_EQ(ext2::lookup(g, d, "f2").error().raw, ENOENT);
  // Move a directory into another: link counts and "..".
  ASSERT_TRUE(rename(g, kRoot, "d", e, "d", 0).ok());
  EXPECT_EQ(ino(g, d, ".."), e);
  EXPECT_EQ(getattr(g, e)->st_nlink, 3u);
  EXPECT_EQ(getattr(g, kRoot)->st_nlink, 4u);
  EXPECT_EQ(rename(g, kRoot, "e", d, "loop", 0).error().raw, EINVAL);
  auto other = mkdir(g, me_, kRoot, "full", 0755);
  ASSERT_TRUE(other.ok());
  forget(g, other->ino, 1);
  ASSERT_TRUE(mknod(g, me_, other->ino, "x", S_IFREG | 0644, 0).ok());
  EXPECT_EQ(rename(g, e, "d", kRoot, "full", 0).error().raw, ENOTEMPTY);
  EXPECT_EQ(rename(g, e, "g", kRoot, "full", 0).error().raw, EISDIR);
  EXPECT_EQ(rename(g, kRoot, "full", e, "g", 0).error().raw, ENOTDIR);
  forget(g, ino(g, other->ino, "x"), 1);
}

TEST_P(OpsTest, RenameNoreplaceAndExchange) {
  auto g = fs_->lock();
  InodeNum d = ino(g, kRoot, "d"), e = ino(g, kRoot, "e");
  InodeNum f = ino(g, d, "f"), gg = ino(g, e, "g");
  EXPECT_EQ(rename(g, d, "f", e, "g", RENAME_NOREPLACE).error().raw, EEXIST);
  EXPECT_EQ(rename(g, d, "f", e, "none", RENAME_EXCHANGE).error().raw, ENOENT);
  EXPECT_EQ(rename(g, d, "f", e, "g", RENAME_EXCHANGE | RENAME_NOREPLACE).error().raw, EINVAL);
  ASSERT_TRUE(rename(g, d, "f", e, "g", RENAME_EXCHANGE).ok());
  EXPECT_EQ(ino(g, d, "f"), gg);
  EXPECT_EQ(ino(g, e, "g"), f);
  // Exchange a directory with a file across parents.
  ASSERT_TRUE(rename(g, kRoot, "d", e, "g", RENAME_EXCHANGE).ok());
  EXPECT_EQ(ino(g, e, "g"), d);
  EXPECT_EQ(ino(g, d, ".."), e);
  EXPECT_EQ(getattr(g, e)->st_nlink, 3u);
  EXPECT_EQ(getattr(g, kRoot)->st_nlink, 4u);
  ASSERT_TRUE(rename(g, kRoot, "d", kRoot, "d-new", RENAME_NOREPLACE).ok());
}

TEST_P(OpsTest, SetattrModeOwnerTimesSize) {
  auto g = fs_->lock();
  InodeNum f = ino(g, ino(g, kRoot, "d"), "f");
  SetAttr sa;
  sa.mode = 0600;
  sa.uid = 123456;
  sa.gid = 654321;
  sa.atime = Timespec{1000000000, 123456789};
  sa.mtime = Timespec{1500000000, 987654321};
  auto st = setattr(g, f, sa);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->st_mode, S_IFREG | 0600u);
  EXPECT_EQ(st->st_uid, 123456u);
  EXPECT_EQ(st->st_gid, 654321u);
  EXPECT_EQ(st->st_atim.tv_sec, 1000000000);
  EXPECT_EQ(st->st_atim.tv_nsec, 123456789);
  EXPECT_EQ(st->st_mtim.tv_nsec, 987654321);
  SetAttr grow;
  grow.size = 10 << 20;
  EXPECT_EQ(setattr(g, f, grow)->st_size, 10 << 20);
  SetAttr shrink;
  shrink.size = 4;
  EXPECT_EQ(setattr(g, f, shrink)->st_size, 4);
  char buf[16];
  EXPECT_EQ(std::string(buf, *read(g, f, ByteOffset(0), buf)), "file");
  EXPECT_EQ(setattr(g, kRoot, shrink).error().raw, EISDIR);
}

TEST_P(OpsTest, XattrsAndStatfs) {
  auto g = fs_->lock();
  InodeNum f = ino(g, ino(g, kRoot, "d"), "f");
  ASSERT_TRUE(setxattr(g, f, "user.k", "v", XATTR_CREATE).ok());
  EXPECT_EQ(setxattr(g, f, "user.k", "v", XATTR_CREATE).error().raw, EEXIST);
  EXPECT_EQ(*getxattr(g, f, "user.k"), "v");
  EXPECT_EQ(getxattr(g, f, "user.none").error().raw, ENODATA);
  EXPECT_EQ(*listxattr(g, f), std::string("user.k\0", 7));
  ASSERT_TRUE(removexattr(g, f, "user.k").ok());
  EXPECT_EQ(removexattr(g, f, "user.k").error().raw, ENODATA);
  auto sv = statfs(g);
  ASSERT_TRUE(sv.ok());
  EXPECT_EQ(sv->f_bsize, 4096u);
  EXPECT_GT(sv->f_bfree, 0u);
  EXPECT_EQ(sv->f_namemax, 255u);
}

TEST_P(OpsTest, ReaddirListsEntries) {
  auto g = fs_->lock();
  std::vector<std::string> names;
  ASSERT_TRUE(readdir(g, kRoot, 0, [&](const DirItem& it) {
                names.emplace_back(it.name);
                return true;
              }).ok());
  EXPECT_EQ(names.size(), 5u);
}

// A rename that fails part-way (an I/O error writing the directory
// block, injected at each write in turn) loses no name: both names still
// resolve, to the inodes they had before or, if it completed, after.
TEST(RenameFaults, FailedRenameLosesNoName) {
  for (unsigned flags : {0u, unsigned{RENAME_EXCHANGE}}) {
    int completed = 0, failed = 0;
    for (int nth = 1; nth <= 4; nth++) {
      SCOPED_TRACE(::testing::Message() << "flags " << flags << ", write " << nth);
      t::TempDir dir, content;
      content.write_file("d/a", "source");
      content.write_file("d/b", "target");
      std::string img = t::make_image(dir, content.path(), {});
      auto r = ext2::Filesystem::open(
          {.path = img, .access = ext2::Access::kReadWrite, .io = t::fault_io_manager()});
      ASSERT_TRUE(r.ok()) << r.error().reason;
      auto& fs = *r;
      {
        auto g = fs->lock();
        InodeNum d = *ext2::lookup(g, kRoot, "d");
        InodeNum a = *ext2::lookup(g, d, "a"), b = *ext2::lookup(g, d, "b");
        blk64_t dblk = 0;
        ASSERT_EQ(ext2fs_bmap2(g.fs(), d.get(), nullptr, nullptr, 0, 0, nullptr, &dblk), 0);
        t::fail_nth_write(dblk, nth);
        auto res = rename(g, d, "a", d, "b", flags);
        bool injected = t::clear_write_faults() > 0;
        auto la = ext2::lookup(g, d, "a");
        auto lb = ext2::lookup(g, d, "b");
        ASSERT_TRUE(lb.ok()) << "the target name is gone";
        if (res.ok()) {
          completed++;
          EXPECT_EQ(*lb, a);
          if (flags)
            EXPECT_EQ(*la, b);
          else
            EXPECT_EQ(la.error().raw, ENOENT);
        } else {
          failed++;
          EXPECT_TRUE(injected);
          ASSERT_TRUE(la.ok()) << "the source name is gone";
          EXPECT_EQ(*la, a);
          EXPECT_EQ(*lb, b);
        }
        char buf[16];
        auto n = read(g, *lb, ByteOffset(0), buf);
        ASSERT_TRUE(n.ok());
        EXPECT_EQ(std::string(buf, *n), res.ok() ? "source" : "target");
      }
      ASSERT_TRUE(fs->close().ok());
      EXPECT_EQ(t::fsck(img), 0);
    }
    EXPECT_GT(failed, 0);  // the faults did hit the rename
    EXPECT_GT(completed, 0);
  }
}

// errors=remount-ro refuses changes after the error but keeps the ones
// made before it: the write-back at the error, or if that failed, fsync
// and close, put them on disk.  Here the write-back at the error fails
// (an I/O error on the group descriptors).
TEST(ErrorsRemountRo, FsyncAndCloseWriteBackEarlierChanges) {
  t::TempDir dir;
  std::string img = t::make_image(dir, "", {});
  auto r = ext2::Filesystem::open({.path = img,
                                   .access = ext2::Access::kReadWrite,
                                   .errors = ext2::ErrorPolicy::kRemountRo,
                                   .io = t::fault_io_manager()});
  ASSERT_TRUE(r.ok()) << r.error().reason;
  auto& fs = *r;
  Caller me{1000, 1000, 022};
  // e2fsck -fn finds nothing to fix but the recorded error.
  auto fsck_report = [&] {
    std::string out = dir.path() + "/fsck.txt";
    t::run("e2fsck -fn '" + img + "' > '" + out + "' 2>&1");
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  {
    auto g = fs->lock();
    for (int i = 0; i < 20; i++) {
      auto e = mknod(g, me, kRoot, "f" + std::to_string(i), S_IFREG | 0644, 0);
      ASSERT_TRUE(e.ok());
      ASSERT_TRUE(write(g, e->ino, ByteOffset(0), std::string(100000, 'a' + i)).ok());
      forget(g, e->ino, 1);
    }
    t::fail_nth_write(g.fs()->super->s_first_data_block + 1, 1);
  }
  fs->report_corruption(util::Error{EUCLEAN}, InodeNum(12), "test");
  EXPECT_EQ(t::clear_write_faults(), 1);
  {
    auto g = fs->lock();
    EXPECT_EQ(g.state(), ext2::OpState::kReadOnly);
    EXPECT_EQ(mknod(g, me, kRoot, "late", S_IFREG | 0644, 0).error().raw, EROFS);
    EXPECT_TRUE(fsync(g).ok());
    std::string report = fsck_report();  // while still open: fsync wrote it
    EXPECT_EQ(report.find("Fix?"), std::string::npos) << report;
  }
  ASSERT_TRUE(fs->close().ok());
  std::string report = fsck_report();
  EXPECT_EQ(report.find("Fix?"), std::string::npos) << report;
  EXPECT_EQ(t::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q 'FS Error count: *1'"), 0);
  EXPECT_EQ(t::run("debugfs -R 'cat /f19' '" + img + "' 2>/dev/null | grep -q ttt"), 0);
}

// More than 65,000 subdirectories (EXT4_LINK_MAX): with dir_nlink the
// parent's count becomes 1 and stays 1, without it mkdir fails with
// EMLINK; it never wraps.  The count is set by hand rather than by making
// 65,000 directories; removing the fakes' effect, rmdir recounts.
TEST_P(OpsTest, SubdirectoryCountPastLinkMax) {
  auto g = fs_->lock();
  InodeNum d = ino(g, kRoot, "d");
  auto set_links = [&](uint16_t n) {
    ext2::Inode inode = *ext2::read_inode(g, d);
    inode.set_links(n);
    ASSERT_TRUE(ext2::write_inode(g, d, inode).ok());
  };
  auto links = [&] { return ext2::read_inode(g, d)->links(); };
  const bool dir_nlink = ext2fs_has_feature_dir_nlink(g.fs()->super);
  set_links(64999);
  auto x = mkdir(g, me_, d, "x", 0755);
  ASSERT_TRUE(x.ok());
  forget(g, x->ino, 1);
  EXPECT_EQ(links(), 65000);
  auto y = mkdir(g, me_, d, "y", 0755);
  if (!dir_nlink) {
    EXPECT_EQ(y.error().raw, EMLINK);
    EXPECT_EQ(rename(g, kRoot, "e", d, "e", 0).error().raw, EMLINK);
    set_links(3);
    return;
  }
  ASSERT_TRUE(y.ok());
  forget(g, y->ino, 1);
  EXPECT_EQ(links(), 1);
  // 65535 + 1 must not wrap to 0 either.
  set_links(65535);
  auto z = mkdir(g, me_, d, "z", 0755);
  ASSERT_TRUE(z.ok());
  forget(g, z->ino, 1);
  EXPECT_EQ(links(), 1);
  ASSERT_TRUE(rename(g, kRoot, "e", d, "e", 0).ok());
  EXPECT_EQ(links(), 1);
  // Back under the limit: the exact count again (e2fsck checks it).
  ASSERT_TRUE(rmdir(g, d, "z").ok());
  EXPECT_EQ(links(), 5);  // ., .., x, y, e
  set_links(1);
  ASSERT_TRUE(rename(g, d, "e", kRoot, "e", 0).ok());
  EXPECT_EQ(links(), 4);
}

INSTANTIATE_TEST_SUITE_P(Types, OpsTest, ::testing::Values("ext2", "ext4"));

// Entries planted by a corrupt (or hostile) image that point at the
// filesystem's own inodes are refused, never served as files.
TEST(ReservedInodes, EntriesForThemAreRefused) {
  t::TempDir dir, content;
  content.write_file("sub/f", "data");
  content.write_file("eav", "an EA value");
  std::string img = t::make_image(dir, content.path(), {});
  auto fs = t::open_or_die(img, ext2::Access::kReadWrite);
  ASSERT_TRUE(fs);
  {
    auto g = fs->lock();
    // An EA value inode (as the ea_inode feature makes them, which is
    // refused read-write): a file with the flag set by hand.
    InodeNum eav = *ext2::lookup(g, kRoot, "eav");
    ext2::Inode ea_inode = *ext2::read_inode(g, eav);
    ea_inode.raw()->i_flags |= EXT4_EA_INODE_FL;
    ASSERT_TRUE(ext2::write_inode(g, eav, ea_inode).ok());
    const uint32_t ea_ino = eav.get();
    const std::vector<std::pair<std::string, uint32_t>> bad = {
        {"badblocks", EXT2_BAD_INO},   {"root-alias", EXT2_ROOT_INO}, {"resize", EXT2_RESIZE_INO},
        {"journal", EXT2_JOURNAL_INO}, {"eleven-minus-one", 10},      {"ea-value", ea_ino},
    };
    InodeNum sub = *ext2::lookup(g, kRoot, "sub");
    for (const auto& [name, i] : bad)
      ASSERT_TRUE(ext2::add_entry(g, sub, name, InodeNum(i), LINUX_S_IFREG).ok()) << name;
    for (const auto& [name, i] : bad) {
      EXPECT_EQ(ext2::lookup(g, sub, name).error().raw, EUCLEAN) << name;
      EXPECT_EQ(ops::lookup(g, sub, name).error().raw, EUCLEAN) << name;
      EXPECT_EQ(unlink(g, sub, name).error().raw, EUCLEAN) << name;
      EXPECT_EQ(rename(g, sub, name, sub, "moved", 0).error().raw, EUCLEAN) << name;
      EXPECT_EQ(rename(g, sub, "f", sub, name, 0).error().raw, EUCLEAN) << name;
    }
    // ".." of a top-level directory is the root, legitimately.
    EXPECT_EQ(*ext2::lookup(g, sub, ".."), kRoot);
    auto f = ops::lookup(g, sub, "f");
    ASSERT_TRUE(f.ok());
    forget(g, f->ino, 1);
    // readdir still lists the names (rmdir sees a non-empty directory).
    std::set<std::string> names;
    ASSERT_TRUE(readdir(g, sub, 0, [&](const DirItem& it) {
                  names.emplace(it.name);
                  return true;
                }).ok());
    EXPECT_EQ(names.size(), bad.size() + 3);
    EXPECT_EQ(rmdir(g, kRoot, "sub").error().raw, ENOTEMPTY);
    EXPECT_EQ(ops::lookup(g, kRoot, "eav").error().raw, EUCLEAN);
    for (const auto& [name, i] : bad)
      ASSERT_TRUE(ext2::remove_entry(g, sub, name).ok()) << name;
    ea_inode.raw()->i_flags &= ~EXT4_EA_INODE_FL;
    ASSERT_TRUE(ext2::write_inode(g, eav, ea_inode).ok());
  }
  ASSERT_TRUE(fs->close().ok());
  EXPECT_EQ(t::fsck(img), 0);
}

}  // namespace
}  // namespace f4::ops
