// SPDX-License-Identifier: GPL-2.0
//
// The filesystem operations, independent of FUSE: each takes the Guard
// (so it runs under the filesystem lock), works in inode numbers and
// returns a Result.  The fuse/ layer decodes requests, calls these and
// sends the reply after the Guard is dropped.  One file per op family:
// attr.cc, lookup.cc, dir.cc, namespace.cc, file.cc, xattr.cc, statfs.cc,
// space.cc.
//
// Lookup references: every op that hands an inode to the kernel (lookup,
// create, mkdir, mknod, symlink, link, readdirplus) takes one reference
// in InodeRefs; forget() drops them.  An inode whose last link goes while
// it is referenced is freed at its last forget (open-unlinked files).
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ext2/filesystem.h"
#include "ext2/inode.h"
#include "ext2/xattr.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ops {

using ext2::Guard;
using ext2::Timespec;
using util::Result;

// Who asked: new inodes get these ids (and the umask applied).
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t umask = 0;
};

// An inode handed to the kernel.
struct Entry {
  InodeNum ino;
  uint32_t generation = 0;
  struct stat attr {};
};

// attr.cc
struct stat to_stat(const Guard& g, InodeNum ino, const ext2::Inode& inode);
[[nodiscard]] Result<struct stat> getattr(const Guard& g, InodeNum ino);

struct SetAttr {
  std::optional<uint32_t> mode;  // permission bits only (07777)
  std::optional<uint32_t> uid, gid;
  std::optional<uint64_t> size;
  std::optional<Timespec> atime, mtime;  // already resolved from UTIME_NOW
  std::optional<Timespec> ctime;
};
[[nodiscard]] Result<struct stat> setattr(const Guard& g, InodeNum ino, const SetAttr& sa);

// lookup.cc
[[nodiscard]] Result<Entry> lookup(const Guard& g, InodeNum parent, std::string_view name);
// Take a reference on @ino and describe it (used by lookup and creators).
[[nodiscard]] Result<Entry> make_entry(const Guard& g, InodeNum ino);
void forget(const Guard& g, InodeNum ino, uint64_t n);

// dir.cc
struct DirItem {
  std::string_view name;
  InodeNum ino;
  uint32_t type;  // DT_*
  uint64_t cookie;
};
// Calls @fn for each entry after @cookie until it returns false.
[[nodiscard]] Result<void> readdir(const Guard& g, InodeNum dir, uint64_t cookie,
                                   const std::function<bool(const DirItem&)>& fn);

// namespace.cc
[[nodiscard]] Result<Entry> mknod(const Guard& g, const Caller& c, InodeNum parent,
                                  std::string_view name, uint32_t mode, dev_t rdev);
[[nodiscard]] Result<Entry> mkdir(const Guard& g, const Caller& c, InodeNum parent,
                                  std::string_view name, uint32_t mode);
[[nodiscard]] Result<Entry> symlink(const Guard& g, const Caller& c, InodeNum parent,
                                    std::string_view name, std::string_view target);
[[nodiscard]] Result<Entry> link(const Guard& g, InodeNum ino, InodeNum parent,
                                 std::string_view name);
[[nodiscard]] Result<void> unlink(const Guard& g, InodeNum parent, std::string_view name);
// An O_TMPFILE file: a regular inode with no name, freed at its last
// forget unless linked first.
[[nodiscard]] Result<Entry> tmpfile(const Guard& g, const Caller& c, InodeNum parent,
                                    uint32_t mode);
[[nodiscard]] Result<void> rmdir(const Guard& g, InodeNum parent, std::string_view name);
// flags: RENAME_NOREPLACE, RENAME_EXCHANGE (or 0).
[[nodiscard]] Result<void> rename(const Guard& g, InodeNum parent, std::string_view name,
                                  InodeNum newparent, std::string_view newname, unsigned flags);
[[nodiscard]] Result<std::string> readlink(const Guard& g, InodeNum ino);

// file.cc
[[nodiscard]] Result<void> check_open(const Guard& g, InodeNum ino, int flags);
[[nodiscard]] Result<size_t> read(const Guard& g, InodeNum ino, ByteOffset off,
                                  std::span<char> buf);
[[nodiscard]] Result<size_t> write(const Guard& g, InodeNum ino, ByteOffset off,
                                   std::span<const char> data);
// Write back everything changed so far: also after errors=remount-ro made
// the filesystem read-only (what was changed before the error); EIO after
// errors=panic.
[[nodiscard]] Result<void> fsync(const Guard& g);

// space.cc
// fallocate(2) @mode: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE (with
// KEEP_SIZE) or FALLOC_FL_ZERO_RANGE (optionally with KEEP_SIZE); other
// modes are EOPNOTSUPP.
[[nodiscard]] Result<void> fallocate(const Guard& g, InodeNum ino, int mode, ByteOffset off,
                                     ByteLen len);
// lseek(2) with @whence SEEK_DATA or SEEK_HOLE: the offset found, or
// ENXIO (at or past EOF; no data after @off).  Unwritten extents are holes.
[[nodiscard]] Result<uint64_t> seek_data_hole(const Guard& g, InodeNum ino, ByteOffset off,
                                              int whence);

// xattr.cc
[[nodiscard]] Result<std::string> getxattr(const Guard& g, InodeNum ino, std::string_view name);
[[nodiscard]] Result<std::string> listxattr(const Guard& g, InodeNum ino);  // NUL-separated
[[nodiscard]] Result<void> setxattr(const Guard& g, InodeNum ino, std::string_view name,
                                    std::string_view value, int flags);
[[nodiscard]] Result<void> removexattr(const Guard& g, InodeNum ino, std::string_view name);

// statfs.cc
[[nodiscard]] Result<struct statvfs> statfs(const Guard& g);

}  // namespace f4::ops
