// SPDX-License-Identifier: GPL-2.0
#include "ext2/dir.h"

#include <cerrno>
#include <string>

#include "ext2/callback.h"
#include "ext2/inode.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {

Result<std::string> checked_name(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos)
    return util::fail_errno(EINVAL);
  if (name.size() > kNameMax)
    return util::fail_errno(ENAMETOOLONG);
  return std::string(name);
}

struct IterState {
  const std::function<bool(const DirEntry&)>* fn;
  uint64_t resume;
  unsigned block_size;
  uint64_t block = 0;
  int last_offset = -1;
  int error = 0;  // errno of an exception thrown by fn (iteration aborted)
};

// The callback is given the offset within the block but not the block
// number; a new block is recognised by the offset going back.  That needs
// a callback for every block, also one whose entries were all removed:
// iterate() asks for empty entries too (DIRENT_FLAG_INCLUDE_EMPTY), and
// every directory block starts with an entry at offset 0, live or not
// (removing the first entry of a block clears its inode number rather
// than merging it).  Without that, emptying a block would shift the
// position of every later entry back by a block, and a readdir resumed
// from a cookie handed out before (rm -rf) would skip entries.  Cookies
// count the directory's mapped blocks, which only grow at the end.
int iterate_cb(ext2_ino_t /*dir*/, int /*entry*/, struct ext2_dir_entry* dirent, int offset,
               int /*blocksize*/, char* /*buf*/, void* priv) noexcept {
  auto* st = static_cast<IterState*>(priv);
  if (offset <= st->last_offset)
    st->block++;
  st->last_offset = offset;
  uint64_t pos = st->block * st->block_size + static_cast<uint64_t>(offset) + 1;
  if (pos <= st->resume || dirent->inode == 0)
    return 0;
  DirEntry e{std::string_view(dirent->name, ext2fs_dirent_name_len(dirent)),
             InodeNum(dirent->inode), ext2fs_dirent_file_type(dirent), pos};
  bool more = false;
  st->error = catch_to_errno("directory iteration", [&] { more = (*st->fn)(e); });
  return more && !st->error ? 0 : DIRENT_ABORT;
}

// libext2fs 1.47 fails with EXT2_ET_DIR_CORRUPTED when asked to include
// inline data for a directory that has none: ask only when it has.
Result<int> iterate_flags(const Guard& g, InodeNum dir) {
  Inode inode = F4_TRY(read_inode(g, dir));
  if (!inode.is_dir())
    return util::fail_errno(ENOTDIR);
  return (inode.flags() & EXT4_INLINE_DATA_FL) ? DIRENT_FLAG_INCLUDE_INLINE_DATA : 0;
}

}  // namespace

namespace {

// The filesystem's own inodes: everything below s_first_ino but the root
// (bad blocks, quota, boot loader, undelete, resize, journal, exclude,
// replica), and the ones the superblock names wherever they are.
bool is_reserved(const struct ext2_super_block* sb, ext2_ino_t ino) {
  if (ino == EXT2_ROOT_INO)
    return false;
  if (ino < EXT2_FIRST_INO(sb))
    return true;
  for (uint32_t special : {sb->s_journal_inum, sb->s_usr_quota_inum, sb->s_grp_quota_inum,
                           sb->s_prj_quota_inum, sb->s_orphan_file_inum})
    if (special && ino == special)
      return true;
  return false;
}

}  // namespace

Result<void> check_entry(const Guard& g, InodeNum dir, std::string_view name, InodeNum ino) {
  const struct ext2_super_block* sb = g.fs()->super;
  const char* why = nullptr;
  if (ino.get() == 0 || ino.get() > sb->s_inodes_count)
    why = "an inode number out of range";
  else if (is_reserved(sb, ino.get()))
    why = "a reserved inode";
  else if (ino == InodeNum(EXT2_ROOT_INO) && name != "." && name != "..")
    why = "the root directory";
  if (!why) {
    Inode inode = F4_TRY(read_inode(g, ino));
    if (inode.flags() & EXT4_EA_INODE_FL)
      why = "an extended attribute value inode";
  }
  if (!why)
    return {};
  std::string n(name.substr(0, kNameMax));
  F4_ERROR("directory %u: entry \"%s\" points at %s (%u)", dir.get(), n.c_str(), why, ino.get());
  return util::fail_errno(EUCLEAN);
}

Result<InodeNum> lookup(const Guard& g, InodeNum dir, std::string_view name) {
  if (name.size() > kNameMax)
    return util::fail_errno(ENAMETOOLONG);
  ext2_ino_t ino = 0;
  long err =
      ext2fs_lookup(g.fs(), dir.get(), name.data(), static_cast<int>(name.size()), nullptr, &ino);
  if (err == EXT2_ET_FILE_NOT_FOUND)
    return util::fail_errno(ENOENT);
  F4_CHECK(err);
  F4_TRY_VOID(check_entry(g, dir, name, InodeNum(ino)));
  return InodeNum(ino);
}

Result<void> iterate(const Guard& g, InodeNum dir, uint64_t cookie,
                     const std::function<bool(const DirEntry&)>& fn) {
  IterState st{&fn, cookie, g.fs()->blocksize};
  int flags = F4_TRY(iterate_flags(g, dir)) | DIRENT_FLAG_INCLUDE_EMPTY;
  F4_CHECK(ext2fs_dir_iterate2(g.fs(), dir.get(), flags, nullptr, iterate_cb, &st));
  if (st.error)
    return util::fail_errno(st.error);
  return {};
}

Result<bool> is_empty(const Guard& g, InodeNum dir) {
  bool empty = true;
  F4_TRY_VOID(iterate(g, dir, 0, [&](const DirEntry& e) {
    if (e.name == "." || e.name == "..")
      return true;
    empty = false;
    return false;
  }));
  return empty;
}

int file_type_of(uint16_t mode) {
  switch (mode & LINUX_S_IFMT) {
    case LINUX_S_IFREG:
      return EXT2_FT_REG_FILE;
    case LINUX_S_IFDIR:
      return EXT2_FT_DIR;
    case LINUX_S_IFCHR:
      return EXT2_FT_CHRDEV;
    case LINUX_S_IFBLK:
      return EXT2_FT_BLKDEV;
    case LINUX_S_IFIFO:
      return EXT2_FT_FIFO;
    case LINUX_S_IFSOCK:
      return EXT2_FT_SOCK;
    case LINUX_S_IFLNK:
      return EXT2_FT_SYMLINK;
    default:
      return EXT2_FT_UNKNOWN;
  }
}

Result<void> add_entry(const Guard& g, InodeNum dir, std::string_view name, InodeNum ino,
                       uint16_t mode) {
  F4_TRY_VOID(g.require_writable());
  std::string n = F4_TRY(checked_name(name));
  long err = ext2fs_link(g.fs(), dir.get(), n.c_str(), ino.get(), file_type_of(mode));
  if (err == EXT2_ET_DIR_NO_SPACE) {
    // Older libext2fs leaves growing the directory to the caller.
    F4_CHECK(ext2fs_expand_dir(g.fs(), dir.get()));
    err = ext2fs_link(g.fs(), dir.get(), n.c_str(), ino.get(), file_type_of(mode));
  }
  F4_CHECK(err);
  return {};
}

Result<void> remove_entry(const Guard& g, InodeNum dir, std::string_view name) {
  F4_TRY_VOID(g.require_writable());
  std::string n = F4_TRY(checked_name(name));
  long err = ext2fs_unlink(g.fs(), dir.get(), n.c_str(), 0, 0);
  if (err == EXT2_ET_DIR_NO_SPACE || err == EXT2_ET_FILE_NOT_FOUND)
    return util::fail_errno(ENOENT);
  F4_CHECK(err);
  return {};
}

namespace {

struct ReplaceState {
  std::string_view name;
  ext2_ino_t ino;
  int file_type;  // -1: the filesystem has no file types in entries
  bool done = false;
};

int replace_cb(ext2_ino_t, int entry, struct ext2_dir_entry* dirent, int, int, char*, void* priv) {
  auto* st = static_cast<ReplaceState*>(priv);
  if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE || !dirent->inode)
    return 0;
  std::string_view n(dirent->name, ext2fs_dirent_name_len(dirent));
  if (n != st->name)
    return 0;
  dirent->inode = st->ino;
  if (st->file_type >= 0)
    ext2fs_dirent_set_file_type(dirent, st->file_type);
  st->done = true;
  return DIRENT_CHANGED | DIRENT_ABORT;
}

}  // namespace

Result<void> replace_entry(const Guard& g, InodeNum dir, std::string_view name, InodeNum ino,
                           uint16_t mode) {
  F4_TRY_VOID(g.require_writable());
  std::string n = F4_TRY(checked_name(name));
  int type = ext2fs_has_feature_filetype(g.fs()->super) ? file_type_of(mode) : -1;
  ReplaceState st{n, ino.get(), type};
  int flags = F4_TRY(iterate_flags(g, dir));
  F4_CHECK(ext2fs_dir_iterate2(g.fs(), dir.get(), flags, nullptr, replace_cb, &st));
  if (!st.done)
    return util::fail_errno(ENOENT);
  return {};
}

namespace {

struct DotdotState {
  ext2_ino_t parent;
  bool done = false;
};

int dotdot_cb(ext2_ino_t, int entry, struct ext2_dir_entry* dirent, int, int, char*,
              void* priv) noexcept {
  auto* st = static_cast<DotdotState*>(priv);
  if (entry != DIRENT_DOT_DOT_FILE)
    return 0;
  dirent->inode = st->parent;
  st->done = true;
  return DIRENT_CHANGED | DIRENT_ABORT;
}

}  // namespace

Result<void> set_dotdot(const Guard& g, InodeNum dir, InodeNum parent) {
  F4_TRY_VOID(g.require_writable());
  DotdotState st{parent.get()};
  int flags = F4_TRY(iterate_flags(g, dir));
  if (flags & DIRENT_FLAG_INCLUDE_INLINE_DATA) {
    // An inline directory has no ".." entry: the parent's inode number is
    // the first word of i_block.
    Inode inode = F4_TRY(read_inode(g, dir));
    inode.raw()->i_block[0] = ext2fs_cpu_to_le32(parent.get());
    return write_inode(g, dir, inode);
  }
  F4_CHECK(ext2fs_dir_iterate2(g.fs(), dir.get(), flags, nullptr, dotdot_cb, &st));
  if (!st.done)
    return util::fail_errno(EUCLEAN);
  return {};
}

}  // namespace f4::ext2
