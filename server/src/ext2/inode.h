// SPDX-License-Identifier: GPL-2.0
//
// Inodes: reading, writing, allocating and freeing them, and their fields
// with units (nanosecond timestamps, 32-bit ids, 64-bit sizes).
#pragma once

#include <sys/types.h>
#include "ext2/libext2fs.h"

#include <cstdint>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

struct Timespec {
  int64_t sec = 0;
  uint32_t nsec = 0;
  bool operator==(const Timespec&) const = default;
};

// Stamps come from the coarse realtime clock, the one the kernel compares
// against when it decides whether c/mtime need bumping.
Timespec now();

enum class TimeField { kAtime, kMtime, kCtime, kCrtime };

// A copy of one on-disk inode, always in the large layout.  Fields past
// the on-disk inode size read as zero and are not written.
class Inode {
 public:
  Inode() = default;

  uint16_t mode() const { return raw_.i_mode; }
  void set_mode(uint16_t m) { raw_.i_mode = m; }
  bool is_dir() const { return LINUX_S_ISDIR(raw_.i_mode); }
  bool is_reg() const { return LINUX_S_ISREG(raw_.i_mode); }
  bool is_symlink() const { return LINUX_S_ISLNK(raw_.i_mode); }

  uint32_t uid() const { return inode_uid(raw_); }
  uint32_t gid() const { return inode_gid(raw_); }
  void set_uid(uint32_t uid);
  void set_gid(uint32_t gid);

  uint16_t links() const { return raw_.i_links_count; }
  void set_links(uint16_t n) { raw_.i_links_count = n; }

  uint64_t size() const { return EXT2_I_SIZE(&raw_); }
  uint32_t generation() const { return raw_.i_generation; }
  uint32_t flags() const { return raw_.i_flags; }

  // Device number of a character or block special file.
  dev_t rdev() const;
  void set_rdev(dev_t dev);

  // Whether the inode has room for the nanosecond/epoch field of @f.
  bool has_extra(TimeField f) const;
  Timespec time(TimeField f) const;
  void set_time(TimeField f, Timespec t);

  ext2_inode_large* raw() { return &raw_; }
  const ext2_inode_large* raw() const { return &raw_; }
  ext2_inode* small() { return reinterpret_cast<ext2_inode*>(&raw_); }
  const ext2_inode* small() const { return reinterpret_cast<const ext2_inode*>(&raw_); }

 private:
  ext2_inode_large raw_{};
};

[[nodiscard]] Result<Inode> read_inode(const Guard& g, InodeNum ino);
[[nodiscard]] Result<void> write_inode(const Guard& g, InodeNum ino, Inode& inode);

// Size of the file in 512-byte sectors, for st_blocks.
uint64_t stat_blocks(const Guard& g, const Inode& inode);

// Set i_size (and i_size_high, with the large_file feature).
[[nodiscard]] Result<void> set_size_field(const Guard& g, Inode& inode, ByteLen size);

// Allocate a fresh inode near @dir and write @inode (mode, owner, times,
// extent header for extent-mapped files) to it.  The caller links it.
[[nodiscard]] Result<InodeNum> create_inode(const Guard& g, InodeNum dir, Inode& inode);

// Release the blocks and extended attributes of an inode with no links
// left and mark it free.
[[nodiscard]] Result<void> free_inode(const Guard& g, InodeNum ino);

}  // namespace f4::ext2
