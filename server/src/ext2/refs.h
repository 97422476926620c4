// SPDX-License-Identifier: GPL-2.0
//
// InodeRefs: in-core references to inodes (the kernel's lookup counts),
// so that an inode whose last link is removed while it is still in use
// (an open-unlinked file) is freed only when the last reference goes.
// Guarded by the filesystem lock.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "util/strong.h"

namespace f4::ext2 {

class InodeRefs {
 public:
  void get(InodeNum ino, uint64_t n = 1);
  // Drop @n references; true if that was the last one and the inode was
  // waiting to be freed (the caller frees it now).
  [[nodiscard]] bool put(InodeNum ino, uint64_t n);
  bool referenced(InodeNum ino) const { return count_.contains(ino); }
  uint64_t count(InodeNum ino) const;
  // The inode lost its last link while referenced: free it at the last put.
  void defer_free(InodeNum ino) { orphans_.insert(ino); }
  bool is_orphan(InodeNum ino) const { return orphans_.contains(ino); }
  // The inode got a link again (linkat of an O_TMPFILE file).
  void undefer(InodeNum ino) { orphans_.erase(ino); }
  // Hand over every deferred inode (at unmount) and forget all references.
  std::vector<InodeNum> take_orphans();

 private:
  std::unordered_map<InodeNum, uint64_t> count_;
  std::unordered_set<InodeNum> orphans_;
};

}  // namespace f4::ext2
