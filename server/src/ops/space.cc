// SPDX-License-Identifier: GPL-2.0
//
// Space management: fallocate (allocate, keep-size, punch-hole,
// zero-range) and lseek's SEEK_DATA/SEEK_HOLE.
//
// Block states, as the kernel's ext4 reports them:
//   hole         no block;                        reads as zeroes, a hole
//   unwritten    extent flagged uninitialised;    reads as zeroes, a hole
//   written      a block with data;               data
// Block-mapped (ext2/ext3) files have no unwritten state and cannot hold
// blocks past EOF (e2fsck fixes i_size), so, as in the kernel's ext4,
// they support punching holes only; allocating modes are EOPNOTSUPP.
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "ext2/blockmap.h"
#include "ext2/error.h"
#include "ops/ops.h"
#include "util/log.h"

namespace f4::ops {

using ext2::Inode;
using ext2::TimeField;

namespace {

bool uses_extents(const Inode& inode) {
  return inode.flags() & EXT4_EXTENTS_FL;
}

// Allocate the holes among blocks [@first, @first + @count) of an extent
// file as unwritten extents: they read as zeroes, whatever the freed
// blocks held before.
Result<void> allocate(const Guard& g, InodeNum ino, Inode& inode, blk64_t first, blk64_t count) {
  if (!count)
    return {};
  F4_CHECK(ext2fs_fallocate(g.fs(), EXT2_FALLOCATE_FORCE_UNINIT, ino.get(), inode.small(), ~0ULL,
                            first, count));
  return {};
}

// Free blocks [@first, @last] of @inode.
Result<void> punch(const Guard& g, InodeNum ino, Inode& inode, blk64_t first, blk64_t last) {
  if (last < first || !ext2fs_inode_has_valid_blocks2(g.fs(), inode.small()))
    return {};
  F4_CHECK(ext2fs_punch(g.fs(), ino.get(), inode.small(), nullptr, first, last));
  return {};
}

// Zero bytes [@off, @off + @len) of one block, if it holds written data;
// a hole or an unwritten block already reads as zeroes.
Result<void> zero_in_block(const Guard& g, InodeNum ino, Inode& inode, uint64_t off, uint64_t len) {
  ext2_filsys fs = g.fs();
  const uint64_t bs = fs->blocksize;
  blk64_t pblk = 0;
  int ret_flags = 0;
  F4_CHECK(ext2fs_bmap2(fs, ino.get(), inode.small(), nullptr, 0, off / bs, &ret_flags, &pblk));
  if (!pblk || (ret_flags & BMAP_RET_UNINIT))
    return {};
  std::vector<char> buf(bs);
  F4_CHECK(io_channel_read_blk64(fs->io, pblk, 1, buf.data()));
  std::fill_n(buf.begin() + static_cast<long>(off % bs), len, '\0');
  F4_CHECK(io_channel_write_blk64(fs->io, pblk, 1, buf.data()));
  return {};
}

// Zero the partial blocks at the edges of [@off, @end) and return the
// whole blocks inside it as [*first, *first + *count).
Result<void> zero_edges(const Guard& g, InodeNum ino, Inode& inode, uint64_t off, uint64_t end,
                        blk64_t* first, blk64_t* count) {
  const uint64_t bs = g.fs()->blocksize;
  uint64_t head_end = std::min(end, (off + bs - 1) / bs * bs);
  if (off % bs)
    F4_TRY_VOID(zero_in_block(g, ino, inode, off, head_end - off));
  uint64_t tail_start = std::max(head_end, end / bs * bs);
  if (tail_start < end)
    F4_TRY_VOID(zero_in_block(g, ino, inode, tail_start, end - tail_start));
  *first = head_end / bs;
  *count = tail_start > head_end ? (tail_start - head_end) / bs : 0;
  return {};
}

// A run of blocks with data: [lblk, lblk + len).
struct DataRun {
  blk64_t lblk;
  blk64_t len;
};

// The written runs of extent-mapped @inode that may cover blocks >=
// @from, in order.
Result<std::vector<DataRun>> data_runs(const Guard& g, InodeNum ino, Inode& inode, blk64_t from,
                                       blk64_t end) {
  std::vector<DataRun> runs;
  ext2_filsys fs = g.fs();
  if (!ext2fs_inode_has_valid_blocks2(fs, inode.small()))
    return runs;
  if (uses_extents(inode)) {
    ext2_extent_handle_t h = nullptr;
    F4_CHECK(ext2fs_extent_open2(fs, ino.get(), inode.small(), &h));
    ext2fs_extent e{};
    errcode_t err = ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e);
    while (!err) {
      if ((e.e_flags & EXT2_EXTENT_FLAGS_LEAF) && !(e.e_flags & EXT2_EXTENT_FLAGS_UNINIT) &&
          e.e_len && e.e_lblk + e.e_len > from && e.e_lblk < end)
        runs.push_back({e.e_lblk, e.e_len});
      err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT, &e);
    }
    ext2fs_extent_free(h);
    if (err != EXT2_ET_EXTENT_NO_NEXT && err != EXT2_ET_EXTENT_NO_DOWN)
      return util::fail(util::Error{err});
    std::sort(runs.begin(), runs.end(),
              [](const DataRun& a, const DataRun& b) { return a.lblk < b.lblk; });
    return runs;
  }
  return util::fail_errno(EINVAL);  // block-mapped: seek_in_blockmap()
}

// SEEK_DATA/SEEK_HOLE in a block-mapped file: one search of its block
// map that skips unmapped subtrees whole.
Result<uint64_t> seek_in_blockmap(const Guard& g, const Inode& inode, uint64_t pos, int whence) {
  const uint64_t bs = g.fs()->blocksize;
  const uint64_t size = inode.size();
  blk64_t from = pos / bs;
  blk64_t end = (size + bs - 1) / bs;
  if (whence == SEEK_DATA) {
    auto b = F4_TRY(ext2::blockmap_find(g, inode, from, end, ext2::BlockState::kMapped));
    if (!b)
      return util::fail_errno(ENXIO);
    return std::max<uint64_t>(pos, *b * bs);
  }
  auto b = F4_TRY(ext2::blockmap_find(g, inode, from, end, ext2::BlockState::kHole));
  if (!b)
    return size;  // the end of the file counts as a hole
  return std::min<uint64_t>(size, std::max<uint64_t>(pos, *b * bs));
}

// The block work of fallocate() on @inode (in memory: the caller writes
// it back, also on failure).
Result<void> change_blocks(const Guard& g, InodeNum ino, Inode& inode, int mode, uint64_t start,
                           uint64_t end) {
  const uint64_t bs = g.fs()->blocksize;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
    // Nothing past EOF to punch; zero-range may extend the file below.
    uint64_t zero_end = (mode & FALLOC_FL_PUNCH_HOLE) ? std::min(end, inode.size()) : end;
    if (start < zero_end) {
      blk64_t first = 0, count = 0;
      F4_TRY_VOID(zero_edges(g, ino, inode, start, zero_end, &first, &count));
      if (count)
        F4_TRY_VOID(punch(g, ino, inode, first, first + count - 1));
    }
  }
  if (!(mode & FALLOC_FL_PUNCH_HOLE)) {
    // Allocation and zero-range: every block touching the range.
    blk64_t first = start / bs;
    blk64_t last = (end - 1) / bs;
    F4_TRY_VOID(allocate(g, ino, inode, first, last - first + 1));
  }
  return {};
}

}  // namespace

Result<void> fallocate(const Guard& g, InodeNum ino, int mode, ByteOffset off, ByteLen len) {
  F4_TRY_VOID(g.require_writable());
  constexpr int kKnown = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if (mode & ~kKnown)
    return util::fail_errno(EOPNOTSUPP);
  if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE))
    return util::fail_errno(EINVAL);
  if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
    return util::fail_errno(EOPNOTSUPP);
  uint64_t start = off.get();
  uint64_t end = start + len.get();
  if (!len.get() || end < start || end > static_cast<uint64_t>(INT64_MAX))
    return util::fail_errno(len.get() ? EFBIG : EINVAL);

  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (inode.is_dir())
    return util::fail_errno(EISDIR);
  if (!inode.is_reg())
    return util::fail_errno(ENODEV);
  // Inline data lives in the inode; there are no blocks to manage.
  if (inode.flags() & EXT4_INLINE_DATA_FL)
    return util::fail_errno(EOPNOTSUPP);
  if (!(mode & FALLOC_FL_PUNCH_HOLE) && !uses_extents(inode))
    return util::fail_errno(EOPNOTSUPP);

  auto changed = change_blocks(g, ino, inode, mode, start, end);
  if (!changed.ok()) {
    // Blocks already allocated or freed are in the bitmaps and in the
    // in-memory inode (i_blocks, and the extent root in i_block): write
    // it, or the two disagree on disk.  The blocks allocated before the
    // failure (ENOSPC) stay, past EOF like KEEP_SIZE ones, as in ext4.
    auto w = ext2::write_inode(g, ino, inode);
    if (!w.ok())
      F4_ERROR("fallocate: cannot write inode %u after a failure: %s", ino.get(),
               ext2::describe(w.error()));
    return changed;
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode.size())
    F4_TRY_VOID(ext2::set_size_field(g, inode, ByteLen(end)));
  Timespec t = ext2::now();
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
    inode.set_time(TimeField::kMtime, t);
  inode.set_time(TimeField::kCtime, t);
  F4_TRY_VOID(ext2::write_inode(g, ino, inode));
  return {};
}

Result<uint64_t> seek_data_hole(const Guard& g, InodeNum ino, ByteOffset off, int whence) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE)
    return util::fail_errno(EINVAL);
  Inode inode = F4_TRY(ext2::read_inode(g, ino));
  uint64_t size = inode.size();
  uint64_t pos = off.get();
  if (pos >= size)
    return util::fail_errno(ENXIO);
  if (inode.flags() & EXT4_INLINE_DATA_FL)
    return whence == SEEK_DATA ? pos : size;  // all data, no holes
  if (!uses_extents(inode) && ext2fs_inode_has_valid_blocks2(g.fs(), inode.small()))
    return seek_in_blockmap(g, inode, pos, whence);
  const uint64_t bs = g.fs()->blocksize;
  blk64_t from = pos / bs;
  blk64_t end = (size + bs - 1) / bs;
  auto runs = F4_TRY(data_runs(g, ino, inode, from, end));
  if (whence == SEEK_DATA) {
    for (const auto& r : runs) {
      if (r.lblk + r.len <= from)
        continue;
      uint64_t at = std::max<uint64_t>(pos, r.lblk * bs);
      if (at >= size)
        break;
      return at;
    }
    return util::fail_errno(ENXIO);
  }
  // SEEK_HOLE: the first block at or after @from outside every run; the
  // end of the file counts as a hole.
  blk64_t b = from;
  for (const auto& r : runs) {
    if (r.lblk + r.len <= b)
      continue;
    if (r.lblk > b)
      break;
    b = r.lblk + r.len;
  }
  return std::min<uint64_t>(size, std::max<uint64_t>(pos, b * bs));
}

}  // namespace f4::ops
