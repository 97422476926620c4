// SPDX-License-Identifier: GPL-2.0
//
// Operations on names: creating, linking, unlinking and renaming.
// Each keeps link counts, ".." entries and c/mtimes as the kernel's ext4
// does; a failure part-way leaves a state e2fsck repairs without loss
// (an unreferenced inode or a missing entry), never a dangling entry.
#include "ops/acl.h"
#include "ops/ops.h"

#include <linux/fs.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "ext2/dir.h"
#include "ext2/error.h"
#include "ext2/file.h"
#include "ext2/orphan.h"
#include "util/log.h"

namespace f4::ops {

using ext2::Inode;
using ext2::TimeField;

namespace {

constexpr uint16_t kLinkMax = 65000;  // EXT4_LINK_MAX

Result<void> touch(const Guard& g, InodeNum ino, bool mtime) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  Timespec t = ext2::now();
  inode.set_time(TimeField::kCtime, t);
  if (mtime)
    inode.set_time(TimeField::kMtime, t);
  return ext2::write_inode(g, ino, inode);
}

Result<Inode> require_dir(const Guard& g, InodeNum ino) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (!inode.is_dir())
    return util::fail_errno(ENOTDIR);
  if (!inode.links())
    return util::fail_errno(ENOENT);  // removed while in use
  return inode;
}

Result<void> require_absent(const Guard& g, InodeNum parent, std::string_view name) {
  auto r = ext2::lookup(g, parent, name);
  if (r.ok())
    return util::fail_errno(EEXIST);
  if (r.error().raw != ENOENT)
    return util::fail(r.error());
  return {};
}

// New inodes take the caller's ids, or the group of a setgid directory.
void set_owner(Inode& inode, const Inode& parent, const Caller& c) {
  inode.set_uid(c.uid);
  if (parent.mode() & LINUX_S_ISGID) {
    inode.set_gid(parent.gid());
    if (inode.is_dir())
      inode.set_mode(inode.mode() | LINUX_S_ISGID);
  } else {
    inode.set_gid(c.gid);
  }
}

// Drop one link of @ino; free it now, or at its last forget if in use.
Result<void> drop_link(const Guard& g, InodeNum ino) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  uint16_t links = inode.links();
  if (inode.is_dir())
    links = 0;  // "." and the parent's entry go together
  else if (links)
    links--;
  inode.set_links(links);
  inode.set_time(TimeField::kCtime, ext2::now());
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  if (links)
    return {};
  if (g.refs().referenced(ino)) {
    // On the on-disk orphan list too: a crash leaves it for the next
    // mount to free.
    g.refs().defer_free(ino);
    return ext2::orphan_add(g, ino);
  }
  return ext2::free_inode(g, ino);
}

// A directory's link count is 2 plus its subdirectories, as long as that
// is at most kLinkMax.  Past it, with the dir_nlink feature, the count is
// 1, meaning "too many to count" (ext4's rule, which e2fsck checks).
uint16_t dir_links(uint64_t count) {
  return count > kLinkMax ? 1 : static_cast<uint16_t>(count);
}

// Count the subdirectories of @dir (after an entry was removed) for a
// directory whose link count is 1: it may have dropped back under
// kLinkMax, and then e2fsck expects the exact count again.
Result<uint16_t> recount_dir_links(const Guard& g, InodeNum dir) {
  const bool typed = ext2fs_has_feature_filetype(g.fs()->super);
  uint64_t subdirs = 0;
  Result<void> inner;
  F4_TRY_VOID(ext2::iterate(g, dir, 0, [&](const ext2::DirEntry& e) {
    if (e.name == "." || e.name == "..")
      return true;
    if (typed) {
      subdirs += e.file_type == EXT2_FT_DIR;
      return true;
    }
    auto inode = ext2::read_inode(g, e.ino);
    if (!inode.ok()) {
      inner = util::fail(inode.error());
      return false;
    }
    subdirs += inode->is_dir();
    return true;
  }));
  F4_TRY_VOID(inner);
  return dir_links(2 + subdirs);
}

// Add @delta to the link count of @ino (a directory gaining or losing a
// subdirectory), following dir_links() for directories.
Result<void> adjust_links(const Guard& g, InodeNum ino, int delta) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  int n = inode.links() + delta;
  if (inode.is_dir() && inode.links() == 1)
    n = delta > 0 ? 1 : F4_TRY(recount_dir_links(g, ino));
  else if (inode.is_dir())
    n = dir_links(static_cast<uint64_t>(std::max(n, 0)));
  inode.set_links(static_cast<uint16_t>(n < 0 ? 0 : n));
  Timespec t = ext2::now();
  inode.set_time(TimeField::kCtime, t);
  inode.set_time(TimeField::kMtime, t);
  return ext2::write_inode(g, ino, inode);
}

// EMLINK if @dir cannot take another subdirectory: without dir_nlink the
// count must stay at most kLinkMax.
Result<void> check_subdir_room(const Guard& g, const Inode& dir) {
  if (!ext2fs_has_feature_dir_nlink(g.fs()->super) && dir.links() >= kLinkMax)
    return util::fail_errno(EMLINK);
  return {};
}

}  // namespace

Result<Entry> mknod(const Guard& g, const Caller& c, InodeNum parent, std::string_view name,
                    uint32_t mode, dev_t rdev) {
  F4_TRY_VOID(g.require_writable());
  Inode dir = F4_TRY(require_dir(g, parent));
  F4_TRY_VOID(require_absent(g, parent, name));
  uint32_t type = mode & S_IFMT;
  if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
    return util::fail_errno(EINVAL);
  auto acls = F4_TRY(inherit_acls(g, parent, mode, c.umask, false));
  Inode inode;
  inode.set_mode(static_cast<uint16_t>(type | acls.perm));
  set_owner(inode, dir, c);
  if (type == S_IFCHR || type == S_IFBLK)
    inode.set_rdev(rdev);
  InodeNum ino = F4_TRY(ext2::create_inode(g, parent, inode));
  auto added = ext2::add_entry(g, parent, name, ino, inode.mode());
  if (!added.ok()) {
    inode.set_links(0);
    (void)ext2::write_inode(g, ino, inode);
    (void)ext2::free_inode(g, ino);
    return util::fail(added.error());
  }
  F4_TRY_VOID(store_acls(g, ino, acls));
  F4_TRY_VOID(touch(g, parent, true));
  return make_entry(g, ino);
}

Result<Entry> mkdir(const Guard& g, const Caller& c, InodeNum parent, std::string_view name,
                    uint32_t mode) {
  F4_TRY_VOID(g.require_writable());
  Inode dir = F4_TRY(require_dir(g, parent));
  F4_TRY_VOID(require_absent(g, parent, name));
  F4_TRY_VOID(check_subdir_room(g, dir));
  std::string n(name);
  if (n.size() > ext2::kNameMax)
    return util::fail_errno(ENAMETOOLONG);
  // ext2fs_mkdir allocates the inode and its first block (or inline data),
  // links it and raises the parent's link count (a plain 16-bit increment:
  // fixed below); then set owner and mode.
  ext2_ino_t ino = 0;
  F4_CHECK(ext2fs_new_inode(g.fs(), parent.get(), LINUX_S_IFDIR | 0755, nullptr, &ino));
  long err = ext2fs_mkdir(g.fs(), parent.get(), ino, n.c_str());
  if (err == EXT2_ET_DIR_NO_SPACE) {
    F4_CHECK(ext2fs_expand_dir(g.fs(), parent.get()));
    err = ext2fs_mkdir(g.fs(), parent.get(), ino, n.c_str());
  }
  F4_CHECK(err);
  auto acls = F4_TRY(inherit_acls(g, parent, mode, c.umask, true));
  Inode inode = F4_TRY(ext2::read_inode(g, InodeNum(ino)));
  inode.set_mode(static_cast<uint16_t>(LINUX_S_IFDIR | acls.perm));
  set_owner(inode, dir, c);
  Timespec t = ext2::now();
  for (auto f : {TimeField::kAtime, TimeField::kMtime, TimeField::kCtime, TimeField::kCrtime})
    inode.set_time(f, t);
  F4_TRY_VOID(ext2::write_inode(g, InodeNum(ino), inode));
  F4_TRY_VOID(store_acls(g, InodeNum(ino), acls));
  Inode pinode = F4_TRY(ext2::read_inode(g, parent));
  pinode.set_links(dir.links() == 1 ? 1 : dir_links(uint64_t{dir.links()} + 1));
  pinode.set_time(TimeField::kCtime, t);
  pinode.set_time(TimeField::kMtime, t);
  F4_TRY_VOID(ext2::write_inode(g, parent, pinode));
  return make_entry(g, InodeNum(ino));
}

Result<Entry> symlink(const Guard& g, const Caller& c, InodeNum parent, std::string_view name,
                      std::string_view target) {
  F4_TRY_VOID(g.require_writable());
  Inode dir = F4_TRY(require_dir(g, parent));
  F4_TRY_VOID(require_absent(g, parent, name));
  if (target.empty())
    return util::fail_errno(ENOENT);
  if (target.size() >= g.fs()->blocksize)
    return util::fail_errno(ENAMETOOLONG);
  std::string n(name), t(target);
  if (n.size() > ext2::kNameMax)
    return util::fail_errno(ENAMETOOLONG);
  // ext2fs_symlink stores short targets in the inode (fast symlink), long
  // ones in inline data or a block, and links the result.
  ext2_ino_t ino = 0;
  F4_CHECK(ext2fs_new_inode(g.fs(), parent.get(), LINUX_S_IFLNK | 0777, nullptr, &ino));
  long err = ext2fs_symlink(g.fs(), parent.get(), ino, n.c_str(), t.c_str());
  if (err == EXT2_ET_DIR_NO_SPACE) {
    F4_CHECK(ext2fs_expand_dir(g.fs(), parent.get()));
    err = ext2fs_symlink(g.fs(), parent.get(), ino, n.c_str(), t.c_str());
  }
  F4_CHECK(err);
  Inode inode = F4_TRY(ext2::read_inode(g, InodeNum(ino)));
  set_owner(inode, dir, c);
  Timespec now = ext2::now();
  for (auto f : {TimeField::kAtime, TimeField::kMtime, TimeField::kCtime, TimeField::kCrtime})
    inode.set_time(f, now);
  F4_TRY_VOID(ext2::write_inode(g, InodeNum(ino), inode));
  F4_TRY_VOID(touch(g, parent, true));
  return make_entry(g, InodeNum(ino));
}

Result<Entry> link(const Guard& g, InodeNum ino, InodeNum parent, std::string_view name) {
  F4_TRY_VOID(g.require_writable());
  F4_TRY_VOID(require_dir(g, parent));
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (inode.is_dir())
    return util::fail_errno(EPERM);
  // No link left: only an O_TMPFILE file may get one (the kernel checks
  // I_LINKABLE); it stops being an orphan.
  bool relink = !inode.links();
  if (relink && !g.refs().is_orphan(ino))
    return util::fail_errno(ENOENT);
  if (inode.links() >= kLinkMax)
    return util::fail_errno(EMLINK);
  F4_TRY_VOID(require_absent(g, parent, name));
  F4_TRY_VOID(ext2::add_entry(g, parent, name, ino, inode.mode()));
  if (relink) {
    F4_TRY_VOID(ext2::orphan_remove(g, ino));
    g.refs().undefer(ino);
    inode = F4_TRY(ext2::read_inode(g, ino));
  }
  inode.set_links(inode.links() + 1);
  inode.set_time(TimeField::kCtime, ext2::now());
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  F4_TRY_VOID(touch(g, parent, true));
  return make_entry(g, ino);
}

Result<Entry> tmpfile(const Guard& g, const Caller& c, InodeNum parent, uint32_t mode) {
  F4_TRY_VOID(g.require_writable());
  Inode dir = F4_TRY(require_dir(g, parent));
  if ((mode & S_IFMT) != S_IFREG)
    return util::fail_errno(EINVAL);
  Inode inode;
  inode.set_mode(static_cast<uint16_t>(S_IFREG | (mode & 07777 & ~c.umask)));
  set_owner(inode, dir, c);
  InodeNum ino = F4_TRY(ext2::create_inode(g, parent, inode));
  // No name: no link, in use until the last forget (or linkat).
  inode = F4_TRY(ext2::read_inode(g, ino));
  inode.set_links(0);
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  g.refs().defer_free(ino);
  auto e = make_entry(g, ino);
  if (!e.ok()) {
    g.refs().undefer(ino);
    (void)ext2::free_inode(g, ino);
    return e;
  }
  F4_TRY_VOID(ext2::orphan_add(g, ino));
  return e;
}

Result<void> unlink(const Guard& g, InodeNum parent, std::string_view name) {
  F4_TRY_VOID(g.require_writable());
  InodeNum ino = F4_TRY(ext2::lookup(g, parent, name));
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (inode.is_dir())
    return util::fail_errno(EISDIR);
  F4_TRY_VOID(ext2::remove_entry(g, parent, name));
  F4_TRY_VOID(touch(g, parent, true));
  return drop_link(g, ino);
}

Result<void> rmdir(const Guard& g, InodeNum parent, std::string_view name) {
  F4_TRY_VOID(g.require_writable());
  if (name == ".")
    return util::fail_errno(EINVAL);
  if (name == "..")
    return util::fail_errno(ENOTEMPTY);
  InodeNum ino = F4_TRY(ext2::lookup(g, parent, name));
  F4_TRY_VOID(require_dir(g, ino));
  if (!F4_TRY(ext2::is_empty(g, ino)))
    return util::fail_errno(ENOTEMPTY);
  F4_TRY_VOID(ext2::remove_entry(g, parent, name));
  F4_TRY_VOID(adjust_links(g, parent, -1));
  return drop_link(g, ino);
}

namespace {

// EINVAL if @dir is @ancestor or lies below it (moving a directory into
// its own subtree).
Result<void> check_not_below(const Guard& g, InodeNum dir, InodeNum ancestor) {
  InodeNum cur = dir;
  for (int depth = 0; depth < 4096; depth++) {
    if (cur == ancestor)
      return util::fail_errno(EINVAL);
    if (cur == InodeNum(EXT2_ROOT_INO))
      return {};
    cur = F4_TRY(ext2::lookup(g, cur, ".."));
  }
  return util::fail_errno(ELOOP);
}

// Put an entry changed by replace_entry() back after a later step
// failed; if even that fails, e2fsck finds a link count to fix, no lost
// name.
void undo_replace(const Guard& g, InodeNum dir, std::string_view name, InodeNum ino,
                  uint16_t mode) {
  auto r = ext2::replace_entry(g, dir, name, ino, mode);
  if (!r.ok())
    F4_ERROR("rename: cannot restore entry for inode %u: %s", ino.get(), ext2::describe(r.error()));
}

}  // namespace

Result<void> rename(const Guard& g, InodeNum parent, std::string_view name, InodeNum newparent,
                    std::string_view newname, unsigned flags) {
  F4_TRY_VOID(g.require_writable());
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
    return util::fail_errno(EINVAL);
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
    return util::fail_errno(EINVAL);
  if (name == "." || name == ".." || newname == "." || newname == "..")
    return util::fail_errno(EINVAL);
  F4_TRY_VOID(require_dir(g, newparent));
  InodeNum src = F4_TRY(ext2::lookup(g, parent, name));
  Inode src_inode = F4_TRY(ext2::read_inode(g, src));
  auto dst_r = ext2::lookup(g, newparent, newname);
  if (!dst_r.ok() && dst_r.error().raw != ENOENT)
    return util::fail(dst_r.error());
  std::optional<InodeNum> dst;
  if (dst_r.ok())
    dst = *dst_r;

  if (flags & RENAME_NOREPLACE && dst)
    return util::fail_errno(EEXIST);
  if (dst && *dst == src)
    return {};  // same inode: POSIX says do nothing

  bool cross = parent != newparent;
  if (src_inode.is_dir() && cross) {
    F4_TRY_VOID(check_not_below(g, newparent, src));
    if (!dst)
      F4_TRY_VOID(check_subdir_room(g, F4_TRY(ext2::read_inode(g, newparent))));
  }

  if (flags & RENAME_EXCHANGE) {
    if (!dst)
      return util::fail_errno(ENOENT);
    const InodeNum other = *dst;
    Inode dst_inode = F4_TRY(ext2::read_inode(g, other));
    if (dst_inode.is_dir() && cross)
      F4_TRY_VOID(check_not_below(g, parent, other));
    // Swap the two entries in place: nothing is removed, so both names
    // exist at every step; if the second fails, the first is put back.
    F4_TRY_VOID(ext2::replace_entry(g, parent, name, other, dst_inode.mode()));
    auto second = ext2::replace_entry(g, newparent, newname, src, src_inode.mode());
    if (!second.ok()) {
      undo_replace(g, parent, name, src, src_inode.mode());
      return second;
    }
    if (cross) {
      if (src_inode.is_dir())
        F4_TRY_VOID(ext2::set_dotdot(g, src, newparent));
      if (dst_inode.is_dir())
        F4_TRY_VOID(ext2::set_dotdot(g, other, parent));
      int delta = int{src_inode.is_dir()} - int{dst_inode.is_dir()};
      if (delta) {
        F4_TRY_VOID(adjust_links(g, parent, -delta));
        F4_TRY_VOID(adjust_links(g, newparent, delta));
      }
    }
    F4_TRY_VOID(touch(g, src, false));
    F4_TRY_VOID(touch(g, other, false));
    F4_TRY_VOID(touch(g, parent, true));
    if (cross)
      F4_TRY_VOID(touch(g, newparent, true));
    return {};
  }

  if (dst) {
    Inode dst_inode = F4_TRY(ext2::read_inode(g, *dst));
    if (src_inode.is_dir() && !dst_inode.is_dir())
      return util::fail_errno(ENOTDIR);
    if (!src_inode.is_dir() && dst_inode.is_dir())
      return util::fail_errno(EISDIR);
    if (dst_inode.is_dir() && !F4_TRY(ext2::is_empty(g, *dst)))
      return util::fail_errno(ENOTEMPTY);
    // Point the target's entry at the source in place (no space needed),
    // then remove the old name; if that fails, point it back.  The
    // target loses its link only once the rename has happened.
    F4_TRY_VOID(ext2::replace_entry(g, newparent, newname, src, src_inode.mode()));
    auto removed = ext2::remove_entry(g, parent, name);
    if (!removed.ok()) {
      undo_replace(g, newparent, newname, *dst, dst_inode.mode());
      return removed;
    }
    if (dst_inode.is_dir())
      F4_TRY_VOID(adjust_links(g, newparent, -1));
    F4_TRY_VOID(drop_link(g, *dst));
  } else {
    // Add the new name before removing the old one: a failure (ENOSPC)
    // then leaves the file reachable, under its old name if the removal
    // fails.
    F4_TRY_VOID(ext2::add_entry(g, newparent, newname, src, src_inode.mode()));
    auto removed = ext2::remove_entry(g, parent, name);
    if (!removed.ok()) {
      auto undo = ext2::remove_entry(g, newparent, newname);
      if (!undo.ok())
        F4_ERROR("rename: cannot remove the new name after a failure: %s",
                 ext2::describe(undo.error()));
      return removed;
    }
  }
  if (src_inode.is_dir() && cross) {
    F4_TRY_VOID(ext2::set_dotdot(g, src, newparent));
    F4_TRY_VOID(adjust_links(g, parent, -1));
    F4_TRY_VOID(adjust_links(g, newparent, +1));
  }
  F4_TRY_VOID(touch(g, src, false));
  F4_TRY_VOID(touch(g, parent, true));
  if (cross)
    F4_TRY_VOID(touch(g, newparent, true));
  return {};
}

Result<std::string> readlink(const Guard& g, InodeNum ino) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (!inode.is_symlink())
    return util::fail_errno(EINVAL);
  uint64_t size = inode.size();
  if (size == 0 || size >= g.fs()->blocksize)
    return util::fail_errno(EUCLEAN);
  if (ext2fs_is_fast_symlink(inode.small())) {
    const char* p = reinterpret_cast<const char*>(inode.raw()->i_block);
    if (size > sizeof(inode.raw()->i_block))
      return util::fail_errno(EUCLEAN);
    return std::string(p, size);
  }
  // Slow and inline-data symlinks read like file data.
  auto f = F4_TRY(ext2::File::open(g, ino, ext2::File::Mode::kRead));
  std::string out(size, '\0');
  ByteLen n = F4_TRY(f.read(ByteOffset(0), out));
  F4_TRY_VOID(f.close());
  out.resize(n.get());
  return out;
}

}  // namespace f4::ops
