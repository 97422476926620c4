// SPDX-License-Identifier: GPL-2.0
//
// Searching the block map of a block-mapped (ext2/ext3, no extents) file:
// 12 direct pointers, then single, double and triple indirect trees.
// A zero pointer at any level is a hole covering its whole subtree, so a
// search skips it in one step and reads only the indirect blocks that
// cover the range it looks at, instead of mapping block after block.
#pragma once

#include <optional>

#include "ext2/filesystem.h"
#include "ext2/inode.h"
#include "util/result.h"

namespace f4::ext2 {

enum class BlockState { kMapped, kHole };

// The first logical block in [@from, @end) of @inode that is in state
// @want, or nullopt if there is none.  A pointer outside the filesystem
// is EUCLEAN.
[[nodiscard]] Result<std::optional<blk64_t>> blockmap_find(const Guard& g, const Inode& inode,
                                                           blk64_t from, blk64_t end,
                                                           BlockState want);

}  // namespace f4::ext2
