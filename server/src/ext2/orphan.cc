// SPDX-License-Identifier: GPL-2.0
#include "ext2/orphan.h"

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "ext2/inode.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {

bool valid_ino(ext2_filsys fs, uint32_t ino) {
  return ino >= EXT2_FIRST_INODE(fs->super) && ino <= fs->super->s_inodes_count;
}

}  // namespace

Result<void> orphan_add(const Guard& g, InodeNum ino) {
  F4_TRY_VOID(g.require_writable());
  struct ext2_super_block* sb = g.fs()->super;
  Inode inode = F4_TRY(read_inode(g, ino));
  inode.raw()->i_dtime = sb->s_last_orphan;
  F4_TRY_VOID(write_inode(g, ino, inode));
  sb->s_last_orphan = ino.get();
  // Without a journal the list is only worth something if it is on disk
  // before a crash can happen: write the superblock now.
  ext2fs_mark_super_dirty(g.fs());
  F4_CHECK(ext2fs_flush2(g.fs(), EXT2_FLAG_FLUSH_NO_SYNC));
  return {};
}

Result<void> orphan_remove(const Guard& g, InodeNum ino) {
  F4_TRY_VOID(g.require_writable());
  ext2_filsys fs = g.fs();
  struct ext2_super_block* sb = fs->super;
  uint32_t prev = 0;
  uint32_t cur = sb->s_last_orphan;
  for (uint32_t steps = 0; cur != 0; steps++) {
    if (!valid_ino(fs, cur) || steps > sb->s_inodes_count)
      return util::fail_errno(EUCLEAN);
    Inode inode = F4_TRY(read_inode(g, InodeNum(cur)));
    uint32_t next = inode.raw()->i_dtime;
    if (cur == ino.get()) {
      if (prev == 0) {
        sb->s_last_orphan = next;
        ext2fs_mark_super_dirty(fs);
        F4_CHECK(ext2fs_flush2(fs, EXT2_FLAG_FLUSH_NO_SYNC));
      } else {
        Inode p = F4_TRY(read_inode(g, InodeNum(prev)));
        p.raw()->i_dtime = next;
        F4_TRY_VOID(write_inode(g, InodeNum(prev), p));
      }
      inode.raw()->i_dtime = 0;
      return write_inode(g, ino, inode);
    }
    prev = cur;
    cur = next;
  }
  return {};
}

Result<uint32_t> cleanup_orphans(const Guard& g) {
  F4_TRY_VOID(g.require_writable());
  ext2_filsys fs = g.fs();
  struct ext2_super_block* sb = fs->super;
  uint32_t freed = 0;
  for (uint32_t steps = 0; sb->s_last_orphan != 0; steps++) {
    uint32_t cur = sb->s_last_orphan;
    if (!valid_ino(fs, cur) || steps > sb->s_inodes_count) {
      F4_ERROR("orphan list: bad inode number %u; left to e2fsck", cur);
      sb->s_last_orphan = 0;
      ext2fs_mark_super_dirty(fs);
      return util::fail_errno(EUCLEAN);
    }
    Inode inode = F4_TRY(read_inode(g, InodeNum(cur)));
    sb->s_last_orphan = inode.raw()->i_dtime;
    ext2fs_mark_super_dirty(fs);
    inode.raw()->i_dtime = 0;
    F4_TRY_VOID(write_inode(g, InodeNum(cur), inode));
    // An inode still linked was on the list for a truncate the crash
    // interrupted; its size is right, the blocks past it are only lost
    // space e2fsck reclaims.  An unlinked one is freed now.
    if (inode.links() == 0) {
      F4_TRY_VOID(free_inode(g, InodeNum(cur)));
      freed++;
    }
  }
  return freed;
}

Result<bool> orphan_file_has_entries(ext2_filsys fs) {
  struct ext2_super_block* sb = fs->super;
  if (!ext2fs_has_feature_orphan_present(sb))
    return false;
  // The flag without a file to go with it is corruption: work left.
  if (!ext2fs_has_feature_orphan_file(sb) || !valid_ino(fs, sb->s_orphan_file_inum))
    return true;
  ext2_file_t raw = nullptr;
  F4_CHECK(ext2fs_file_open(fs, sb->s_orphan_file_inum, 0, &raw));
  std::unique_ptr<struct ext2_file, errcode_t (*)(ext2_file_t)> f(raw, ext2fs_file_close);
  const unsigned int bs = fs->blocksize;
  // Entries fill each block up to its tail (magic and checksum).
  const unsigned int entries = (bs - 8) / 4;
  std::vector<char> buf(bs);
  for (;;) {
    unsigned int got = 0;
    F4_CHECK(ext2fs_file_read(f.get(), buf.data(), bs, &got));
    if (got < bs)
      return false;
    for (unsigned int i = 0; i < entries; i++) {
      __le32 e;
      memcpy(&e, buf.data() + 4 * static_cast<size_t>(i), sizeof(e));
      if (ext2fs_le32_to_cpu(e) != 0)
        return true;
    }
  }
}

}  // namespace f4::ext2
