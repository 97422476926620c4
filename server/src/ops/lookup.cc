// SPDX-License-Identifier: GPL-2.0
#include "ops/ops.h"

#include "ext2/orphan.h"

#include <cerrno>

#include "ext2/dir.h"
#include "ext2/error.h"
#include "util/log.h"

namespace f4::ops {

Result<Entry> make_entry(const Guard& g, InodeNum ino) {
  ext2::Inode inode = F4_TRY(ext2::read_inode(g, ino));
  if (!inode.links() && !g.refs().is_orphan(ino)) {
    // A directory entry pointing at a free inode.
    F4_ERROR("directory entry points at unused inode %u", ino.get());
    return util::fail_errno(EUCLEAN);
  }
  Entry e{ino, inode.generation(), to_stat(g, ino, inode)};
  g.refs().get(ino);
  return e;
}

Result<Entry> lookup(const Guard& g, InodeNum parent, std::string_view name) {
  InodeNum ino = F4_TRY(ext2::lookup(g, parent, name));
  return make_entry(g, ino);
}

void forget(const Guard& g, InodeNum ino, uint64_t n) {
  if (!g.refs().put(ino, n))
    return;
  // The last reference to an unlinked inode.
  auto r = ext2::orphan_remove(g, ino);
  if (r.ok())
    r = ext2::free_inode(g, ino);
  if (!r.ok())
    F4_ERROR("cannot free unlinked inode %u: %s", ino.get(), ext2::describe(r.error()));
}

}  // namespace f4::ops
