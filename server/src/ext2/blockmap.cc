// SPDX-License-Identifier: GPL-2.0
#include "ext2/blockmap.h"

#include <algorithm>
#include <cerrno>
#include <vector>

namespace f4::ext2 {

namespace {

struct Search {
  ext2_filsys fs;
  blk64_t from, end;
  BlockState want;
  uint64_t per_block;  // pointers in one indirect block
};

// Search the subtree of pointer @ptr, which maps the @span blocks from
// @base through @depth levels of indirect blocks (0: @ptr is a data
// block).  Only called when [base, base + span) meets [from, end).
Result<std::optional<blk64_t>> find_in(const Search& s, blk64_t ptr, blk64_t base, uint64_t span,
                                       int depth) {
  const blk64_t first = std::max(base, s.from);
  if (ptr == 0)
    return s.want == BlockState::kHole ? std::optional<blk64_t>(first) : std::nullopt;
  if (ptr < s.fs->super->s_first_data_block || ptr >= ext2fs_blocks_count(s.fs->super))
    return util::fail_errno(EUCLEAN);
  if (depth == 0)
    return s.want == BlockState::kMapped ? std::optional<blk64_t>(first) : std::nullopt;
  std::vector<uint32_t> ptrs(s.per_block);
  F4_CHECK(io_channel_read_blk64(s.fs->io, ptr, 1, ptrs.data()));
  const uint64_t child_span = span / s.per_block;
  uint64_t i = (first - base) / child_span;
  for (; i < s.per_block; i++) {
    blk64_t child_base = base + i * child_span;
    if (child_base >= s.end)
      break;
    auto r = F4_TRY(find_in(s, ext2fs_le32_to_cpu(ptrs[i]), child_base, child_span, depth - 1));
    if (r)
      return r;
  }
  return std::optional<blk64_t>();
}

}  // namespace

Result<std::optional<blk64_t>> blockmap_find(const Guard& g, const Inode& inode, blk64_t from,
                                             blk64_t end, BlockState want) {
  ext2_filsys fs = g.fs();
  Search s{fs, from, end, want, fs->blocksize / sizeof(uint32_t)};
  const uint32_t* i_block = inode.raw()->i_block;
  // The roots: 12 direct blocks, then one tree of each depth.
  blk64_t base = 0;
  for (int slot = 0; slot < EXT2_N_BLOCKS && base < end; slot++) {
    int depth = slot < EXT2_NDIR_BLOCKS ? 0 : slot - EXT2_NDIR_BLOCKS + 1;
    uint64_t span = 1;
    for (int d = 0; d < depth; d++)
      span *= s.per_block;
    if (base + span > from) {
      auto r = F4_TRY(find_in(s, ext2fs_le32_to_cpu(i_block[slot]), base, span, depth));
      if (r)
        return r;
    }
    base += span;
  }
  return std::optional<blk64_t>();
}

}  // namespace f4::ext2
