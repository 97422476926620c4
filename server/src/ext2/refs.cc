// SPDX-License-Identifier: GPL-2.0
#include "ext2/refs.h"

#include "util/log.h"

namespace f4::ext2 {

void InodeRefs::get(InodeNum ino, uint64_t n) {
  if (n)
    count_[ino] += n;
}

bool InodeRefs::put(InodeNum ino, uint64_t n) {
  auto it = count_.find(ino);
  if (it == count_.end()) {
    F4_WARN("forget of inode %u that has no references", ino.get());
    return false;
  }
  if (n > it->second) {
    F4_WARN("forget of %llu references to inode %u that has only %llu",
            static_cast<unsigned long long>(n), ino.get(),
            static_cast<unsigned long long>(it->second));
    n = it->second;
  }
  it->second -= n;
  if (it->second)
    return false;
  count_.erase(it);
  return orphans_.erase(ino) != 0;
}

uint64_t InodeRefs::count(InodeNum ino) const {
  auto it = count_.find(ino);
  return it == count_.end() ? 0 : it->second;
}

std::vector<InodeNum> InodeRefs::take_orphans() {
  std::vector<InodeNum> out(orphans_.begin(), orphans_.end());
  orphans_.clear();
  count_.clear();
  return out;
}

}  // namespace f4::ext2
