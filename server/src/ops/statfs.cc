// SPDX-License-Identifier: GPL-2.0
#include "ops/ops.h"

#include <cstring>

#include "ext2/dir.h"

namespace f4::ops {

Result<struct statvfs> statfs(const Guard& g) {
  ext2_filsys fs = g.fs();
  struct ext2_super_block* sb = fs->super;
  struct statvfs sv {};
  sv.f_bsize = fs->blocksize;
  sv.f_frsize = fs->blocksize;
  // Like the kernel's default (not minixdf): metadata overhead is not
  // counted as used space.
  blk64_t overhead = sb->s_overhead_clusters;
  blk64_t total = ext2fs_blocks_count(sb);
  sv.f_blocks = total > overhead ? total - overhead : total;
  blk64_t free = ext2fs_free_blocks_count(sb);
  blk64_t reserved = ext2fs_r_blocks_count(sb);
  sv.f_bfree = free;
  sv.f_bavail = free > reserved ? free - reserved : 0;
  sv.f_files = sb->s_inodes_count;
  sv.f_ffree = sb->s_free_inodes_count;
  sv.f_favail = sb->s_free_inodes_count;
  uint64_t fsid = 0;
  memcpy(&fsid, sb->s_uuid, sizeof(fsid));
  sv.f_fsid = fsid ^ (fsid >> 32);
  sv.f_namemax = ext2::kNameMax;
  if (g.state() != ext2::OpState::kWritable)
    sv.f_flag |= ST_RDONLY;
  return sv;
}

}  // namespace f4::ops
