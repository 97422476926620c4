// SPDX-License-Identifier: GPL-2.0
//
// The on-disk orphan list: inodes still in use that have no link left
// (files unlinked while open, O_TMPFILE files), chained from the
// superblock's s_last_orphan through each inode's i_dtime, as kernel ext4
// keeps them.  A crash leaves the list on disk; the next read-write mount
// frees the inodes on it (cleanup_orphans), as kernel ext4 does.
//
// The orphan_file feature's orphan file is not used or processed here:
// an image with entries in it is refused read-write (left to kernel ext4
// or e2fsck); an empty one only has its orphan_present flag cleared.
#pragma once

#include <cstdint>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

// Put @ino (no links left, still in use) at the head of the list.
[[nodiscard]] Result<void> orphan_add(const Guard& g, InodeNum ino);

// Take @ino off the list, if it is on it.  A list that is not a simple
// chain of valid inode numbers stops the walk: corruption (EUCLEAN).
[[nodiscard]] Result<void> orphan_remove(const Guard& g, InodeNum ino);

// Free every inode on the list (at mount, nothing in use yet) and empty
// it.  Returns how many inodes were freed.
[[nodiscard]] Result<uint32_t> cleanup_orphans(const Guard& g);

// Whether the orphan file (orphan_file feature) names any inode.  Kernel
// ext4 keeps orphan_present set while mounted, so every image it did not
// unmount cleanly has the flag; only entries in the file's blocks (each
// an array of inode numbers in front of an 8-byte tail) are work left.
// Called while opening, before any Guard exists.
[[nodiscard]] Result<bool> orphan_file_has_entries(ext2_filsys fs);

}  // namespace f4::ext2
