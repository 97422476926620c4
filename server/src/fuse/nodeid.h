// SPDX-License-Identifier: GPL-2.0
//
// Node ids are ext4 inode numbers.  The kernel calls the root node 1
// unless libfuse can mount with root_nodeid (the patched libfuse); then
// the root is EXT2_ROOT_INO (2) and no translation is needed.  Without
// it, the only translation is 1 <-> 2 here: inode 1 (bad blocks) is never
// handed to the kernel, so the mapping is one to one.
#pragma once

#include <fuse_lowlevel.h>

#include "ext2/libext2fs.h"
#include "util/strong.h"

namespace f4::fuse {

#ifdef FUSE4FS_HAVE_ROOT_NODEID
constexpr fuse_ino_t kRootNodeId = EXT2_ROOT_INO;
#else
constexpr fuse_ino_t kRootNodeId = FUSE_ROOT_ID;
#endif

constexpr InodeNum to_ino(fuse_ino_t node) {
  return node == kRootNodeId ? InodeNum(EXT2_ROOT_INO) : InodeNum(static_cast<uint32_t>(node));
}

constexpr fuse_ino_t to_nodeid(InodeNum ino) {
  return ino == InodeNum(EXT2_ROOT_INO) ? kRootNodeId : ino.get();
}

}  // namespace f4::fuse
