// SPDX-License-Identifier: GPL-2.0
//
// Unwritten extents: finding them and turning them into written ones.
//
// fallocate makes extents flagged "uninitialised" (unwritten): the blocks
// are allocated but read as zeroes.  Writing into them takes two steps:
// put the data into the blocks, then clear the flag on exactly the blocks
// written.  fuse4fs does the second step here, with the extent-handle
// primitives of libext2fs (goto, get, replace, insert, delete), and not
// with ext2fs_extent_set_bmap() (reached through ext2fs_file_write() and
// ext2fs_bmap2(BMAP_SET)), which loses a block and leaves an extent
// overlapping the next leaf when the block converted is the last one of
// an extent that ends a leaf (Documentation/fuse4fs.rst, "Writes into
// unwritten extents").
//
// The rules kept here, so the tree stays one e2fsck accepts:
// - the lblk of the first entry of a tree node never changes (so no
//   index above needs fixing): pieces are only ever inserted after an
//   existing entry, and merges only grow an entry to the right;
// - merges of neighbouring written extents happen only inside one leaf;
// - on failure the extent being split is put back as it was.
//
// mark_written() is also what the iomap write path's completion needs
// (the kernel writes the blocks itself, then reports the range).
#pragma once

#include <cstdint>
#include <vector>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

// A run of unwritten blocks: logical [lblk, lblk + len) at physical pblk.
struct UnwrittenRun {
  uint64_t lblk = 0;
  uint64_t pblk = 0;
  uint64_t len = 0;
  bool operator==(const UnwrittenRun&) const = default;
};

// The unwritten blocks of extent-mapped inode @ino among logical blocks
// [@first, @first + @count), clipped to that range, in order.  Empty for
// a block-mapped inode.  EUCLEAN if an extent points outside the
// filesystem's data blocks.
[[nodiscard]] Result<std::vector<UnwrittenRun>> unwritten_runs(const Guard& g, InodeNum ino,
                                                               uint64_t first, uint64_t count);

// Flag blocks [@first, @first + @count) of @ino written wherever they are
// unwritten; holes and written blocks in the range are left alone.  The
// caller has put the data (or zeroes) in those blocks first.  Splitting
// an extent may allocate extent-tree blocks (ENOSPC) and writes the
// inode: re-read any copy of it held across the call.
[[nodiscard]] Result<void> mark_written(const Guard& g, InodeNum ino, uint64_t first,
                                        uint64_t count);

}  // namespace f4::ext2
