// SPDX-License-Identifier: GPL-2.0
#include "ext2/file.h"
#include "ops/acl.h"
#include "ops/ops.h"

#include <cerrno>

namespace f4::ops {

using ext2::Inode;
using ext2::TimeField;

struct stat to_stat(const Guard& g, InodeNum ino, const Inode& inode) {
  struct stat st {};
  st.st_ino = ino.get();
  st.st_mode = inode.mode();
  st.st_nlink = inode.links();
  st.st_uid = inode.uid();
  st.st_gid = inode.gid();
  st.st_size = static_cast<off_t>(inode.size());
  st.st_blksize = g.fs()->blocksize;
  st.st_blocks = static_cast<blkcnt_t>(ext2::stat_blocks(g, inode));
  if (LINUX_S_ISCHR(inode.mode()) || LINUX_S_ISBLK(inode.mode()))
    st.st_rdev = inode.rdev();
  auto ts = [&](TimeField f) {
    Timespec t = inode.time(f);
    return timespec{static_cast<time_t>(t.sec), static_cast<long>(t.nsec)};
  };
  st.st_atim = ts(TimeField::kAtime);
  st.st_mtim = ts(TimeField::kMtime);
  st.st_ctim = ts(TimeField::kCtime);
  return st;
}

Result<struct stat> getattr(const Guard& g, InodeNum ino) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (!inode.links() && !g.refs().is_orphan(ino))
    return util::fail_errno(ENOENT);
  return to_stat(g, ino, inode);
}

Result<struct stat> setattr(const Guard& g, InodeNum ino, const SetAttr& sa) {
  F4_TRY_VOID(g.require_writable());
  if (sa.size) {
    Inode cur = F4_TRY(ext2::read_inode(g, ino));
    if (cur.is_dir())
      return util::fail_errno(EISDIR);
    if (!cur.is_reg())
      return util::fail_errno(EINVAL);
    if (*sa.size != cur.size()) {
      auto f = F4_TRY(ext2::File::open(g, ino, ext2::File::Mode::kWrite));
      F4_TRY_VOID(f.set_size(ByteLen(*sa.size)));
      F4_TRY_VOID(f.close());
    }
  }
  // Re-read: truncation rewrote the inode.
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  Timespec t = ext2::now();
  if (sa.mode)
    inode.set_mode(static_cast<uint16_t>((inode.mode() & LINUX_S_IFMT) | (*sa.mode & 07777)));
  if (sa.uid)
    inode.set_uid(*sa.uid);
  if (sa.gid)
    inode.set_gid(*sa.gid);
  if (sa.atime)
    inode.set_time(TimeField::kAtime, *sa.atime);
  if (sa.mtime)
    inode.set_time(TimeField::kMtime, *sa.mtime);
  if (sa.size && !sa.mtime)
    inode.set_time(TimeField::kMtime, t);
  inode.set_time(TimeField::kCtime, sa.ctime ? *sa.ctime : t);
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  if (sa.mode)
    F4_TRY_VOID(chmod_acl(g, ino, inode.mode()));
  return to_stat(g, ino, inode);
}

}  // namespace f4::ops
