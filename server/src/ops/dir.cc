// SPDX-License-Identifier: GPL-2.0
#include "ops/ops.h"

#include <dirent.h>

#include "ext2/dir.h"

namespace f4::ops {

namespace {

uint32_t dtype_of(int ft) {
  switch (ft) {
    case EXT2_FT_REG_FILE:
      return DT_REG;
    case EXT2_FT_DIR:
      return DT_DIR;
    case EXT2_FT_CHRDEV:
      return DT_CHR;
    case EXT2_FT_BLKDEV:
      return DT_BLK;
    case EXT2_FT_FIFO:
      return DT_FIFO;
    case EXT2_FT_SOCK:
      return DT_SOCK;
    case EXT2_FT_SYMLINK:
      return DT_LNK;
    default:
      return DT_UNKNOWN;
  }
}

}  // namespace

Result<void> readdir(const Guard& g, InodeNum dir, uint64_t cookie,
                     const std::function<bool(const DirItem&)>& fn) {
  return ext2::iterate(g, dir, cookie, [&](const ext2::DirEntry& e) {
    return fn(DirItem{e.name, e.ino, dtype_of(e.file_type), e.cookie});
  });
}

}  // namespace f4::ops
