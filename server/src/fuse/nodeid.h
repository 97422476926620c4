// SPDX-License-Identifier: GPL-2.0
//
// Node ids are ext4 inode numbers.  The kernel names the root node
// FUSE_ROOT_ID (1) unless the mount says root_nodeid=N.  fuse4fs passes
// root_nodeid=2 (EXT2_ROOT_INO) when it mounts through fuse_iomap.ko,
// whose kernel client accepts the option; then no translation is needed.
// The classic fuse module rejects the option, so there the root keeps
// node id 1 and the only translation is 1 <-> 2: inode 1 (bad blocks) is
// never handed to the kernel, so the mapping is one to one.
#pragma once

#include <fuse_lowlevel.h>

#include "ext2/libext2fs.h"
#include "util/strong.h"

namespace f4::fuse {

class NodeIds {
 public:
  explicit constexpr NodeIds(fuse_ino_t root) : root_(root) {}

  constexpr fuse_ino_t root() const { return root_; }

  constexpr InodeNum to_ino(fuse_ino_t node) const {
    return node == root_ ? InodeNum(EXT2_ROOT_INO) : InodeNum(static_cast<uint32_t>(node));
  }

  constexpr fuse_ino_t to_nodeid(InodeNum ino) const {
    return ino == InodeNum(EXT2_ROOT_INO) ? root_ : ino.get();
  }

 private:
  fuse_ino_t root_;
};

// The classic client: the root is node 1.
constexpr NodeIds kClassicNodeIds{FUSE_ROOT_ID};
// Mounted with root_nodeid=2: node ids are inode numbers.
constexpr NodeIds kInodeNodeIds{EXT2_ROOT_INO};

}  // namespace f4::fuse
