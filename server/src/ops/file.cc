// SPDX-License-Identifier: GPL-2.0
#include "ext2/file.h"

#include <fcntl.h>

#include <cerrno>

#include "ops/ops.h"

namespace f4::ops {

using ext2::Inode;
using ext2::TimeField;

Result<void> check_open(const Guard& g, InodeNum ino, int flags) {
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
    F4_TRY_VOID(g.require_writable());
    if (inode.is_dir())
      return util::fail_errno(EISDIR);
  }
  return {};
}

Result<size_t> read(const Guard& g, InodeNum ino, ByteOffset off, std::span<char> buf) {
  auto f = F4_TRY(ext2::File::open(g, ino, ext2::File::Mode::kRead));
  ByteLen n = F4_TRY(f.read(off, buf));
  F4_TRY_VOID(f.close());
  return n.get();
}

Result<size_t> write(const Guard& g, InodeNum ino, ByteOffset off, std::span<const char> data) {
  {
    Inode inode = F4_TRY(ext2::read_inode(g, ino));
    if (!inode.is_reg())
      return util::fail_errno(EINVAL);
  }
  ByteLen n = F4_TRY(ext2::write_data(g, ino, off, data));
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  Timespec t = ext2::now();
  inode.set_time(TimeField::kMtime, t);
  inode.set_time(TimeField::kCtime, t);
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  return n.get();
}

Result<void> fsync(const Guard& g) {
  switch (g.state()) {
    case ext2::OpState::kShutdown:
      return util::fail_errno(EIO);
    case ext2::OpState::kReadOnly:
      if (g.owner().access() == ext2::Access::kReadOnly)
        return {};  // mounted read-only: nothing was ever changed
      // Remounted read-only by errors=: the changes made before the error
      // are still to be written if the write-back then failed.
      [[fallthrough]];
    case ext2::OpState::kWritable:
      F4_CHECK(ext2fs_flush2(g.fs(), 0));
      return {};
  }
  return util::fail_errno(EIO);
}

}  // namespace f4::ops
