// SPDX-License-Identifier: GPL-2.0
//
// Directories: lookup, iteration with resumable cookies, entry add/remove.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

// Names longer than this are rejected with ENAMETOOLONG.
constexpr size_t kNameMax = 255;

// The inode @name in @dir points at, after check_entry().
[[nodiscard]] Result<InodeNum> lookup(const Guard& g, InodeNum dir, std::string_view name);

// EUCLEAN, with a log line, unless @ino may be served under @name: not
// out of range, not one of the filesystem's own inodes (bad blocks,
// resize, journal, quota, orphan file, anything below s_first_ino) nor an
// extended attribute value inode, and the root only as "." or "..".
// Such an entry is corrupt: serving it would let a write or an unlink
// damage the journal or the allocation of its blocks, and an entry for
// the root would alias the mount's root node.
[[nodiscard]] Result<void> check_entry(const Guard& g, InodeNum dir, std::string_view name,
                                       InodeNum ino);

struct DirEntry {
  std::string_view name;
  InodeNum ino;
  int file_type;    // EXT2_FT_*
  uint64_t cookie;  // pass to iterate() to resume after this entry
};

// Calls @fn for each entry after @cookie (0: from the start), in on-disk
// order, until it returns false.  Cookies are the entry's position in the
// directory plus one, so they stay valid while other entries come and go.
[[nodiscard]] Result<void> iterate(const Guard& g, InodeNum dir, uint64_t cookie,
                                   const std::function<bool(const DirEntry&)>& fn);

// True if @dir has no entries besides "." and "..".
[[nodiscard]] Result<bool> is_empty(const Guard& g, InodeNum dir);

// Add an entry (the directory grows as needed).  Does not touch link
// counts or times.
[[nodiscard]] Result<void> add_entry(const Guard& g, InodeNum dir, std::string_view name,
                                     InodeNum ino, uint16_t mode);
[[nodiscard]] Result<void> remove_entry(const Guard& g, InodeNum dir, std::string_view name);

// Point the existing entry @name of @dir at @ino (of mode @mode) in
// place: no space is needed, so it cannot fail for lack of it.  ENOENT if
// there is no such entry.  Does not touch link counts or times.
[[nodiscard]] Result<void> replace_entry(const Guard& g, InodeNum dir, std::string_view name,
                                         InodeNum ino, uint16_t mode);

// Point the ".." entry of @dir at @parent.
[[nodiscard]] Result<void> set_dotdot(const Guard& g, InodeNum dir, InodeNum parent);

// EXT2_FT_* for a mode.
int file_type_of(uint16_t mode);

}  // namespace f4::ext2
