// SPDX-License-Identifier: GPL-2.0
#include "ext2/unwritten.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

#include "ext2/error.h"
#include "ext2/inode.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {

// An extent handle on the on-disk inode (the handle reads its own copy
// and writes it back when the root node or i_blocks change).
class ExtentHandle {
 public:
  [[nodiscard]] static Result<ExtentHandle> open(const Guard& g, InodeNum ino) {
    ext2_extent_handle_t h = nullptr;
    F4_CHECK(ext2fs_extent_open2(g.fs(), ino.get(), nullptr, &h));
    return ExtentHandle(h);
  }
  ExtentHandle(ExtentHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  ExtentHandle& operator=(ExtentHandle&&) = delete;
  ExtentHandle(const ExtentHandle&) = delete;
  ~ExtentHandle() {
    if (h_)
      ext2fs_extent_free(h_);
  }
  ext2_extent_handle_t get() const { return h_; }

 private:
  explicit ExtentHandle(ext2_extent_handle_t h) : h_(h) {}
  ext2_extent_handle_t h_;
};

bool is_unwritten(const ext2fs_extent& e) {
  return e.e_flags & EXT2_EXTENT_FLAGS_UNINIT;
}

uint64_t end_of(const ext2fs_extent& e) {
  return e.e_lblk + e.e_len;
}

ext2fs_extent leaf(uint64_t lblk, uint64_t pblk, uint64_t len, bool unwritten) {
  ext2fs_extent e{};
  e.e_lblk = lblk;
  e.e_pblk = pblk;
  e.e_len = static_cast<__u32>(len);
  e.e_flags = EXT2_EXTENT_FLAGS_LEAF | (unwritten ? EXT2_EXTENT_FLAGS_UNINIT : 0);
  return e;
}

// A leaf extent must map at least one block, inside the data blocks.
Result<void> check_sane(const Guard& g, InodeNum ino, const ext2fs_extent& e) {
  ext2_super_block* sb = g.fs()->super;
  if (!(e.e_flags & EXT2_EXTENT_FLAGS_LEAF) || e.e_len == 0 || e.e_pblk < sb->s_first_data_block ||
      e.e_pblk + e.e_len > ext2fs_blocks_count(sb)) {
    F4_ERROR("inode %u: bad extent (logical %llu, physical %llu, %u blocks)", ino.get(),
             static_cast<unsigned long long>(e.e_lblk), static_cast<unsigned long long>(e.e_pblk),
             e.e_len);
    return util::fail_errno(EUCLEAN);
  }
  return {};
}

// Move @h from a leaf entry to the next leaf entry in logical order, or
// nullopt at the last one.  Explicit sibling/up/down moves: after
// ext2fs_extent_goto() an index level it descended without stepping back
// is marked "not yet descended", and EXT2_EXTENT_NEXT_LEAF from the last
// entry of a leaf then goes down into the same leaf again and returns
// its first entry (seen with libext2fs 1.47.2).
Result<std::optional<ext2fs_extent>> next_leaf(ext2_extent_handle_t h) {
  ext2fs_extent e{};
  int levels_up = 0;
  long err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_SIB, &e);
  while (err == EXT2_ET_EXTENT_NO_NEXT) {
    err = ext2fs_extent_get(h, EXT2_EXTENT_UP, &e);
    if (err == EXT2_ET_EXTENT_NO_UP)
      return std::optional<ext2fs_extent>();
    F4_CHECK(err);
    levels_up++;
    err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_SIB, &e);
  }
  F4_CHECK(err);
  for (; levels_up > 0; levels_up--)
    F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_DOWN, &e));
  return std::optional(e);
}

// Position @h at the leaf extent holding @lblk or, if @lblk is in a hole,
// at the first one after it; nullopt if there is none.
Result<std::optional<ext2fs_extent>> seek(ext2_extent_handle_t h, uint64_t lblk) {
  ext2fs_extent e{};
  long err = ext2fs_extent_goto(h, lblk);
  if (!err) {
    F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &e));
    return std::optional(e);
  }
  if (err != EXT2_ET_EXTENT_NOT_FOUND)
    return util::fail(util::Error{err});
  // In a hole, goto leaves the handle on a leaf entry: the last one
  // before the hole, or the first of the leaf if the hole precedes it.
  // In an empty tree there is no current entry.
  err = ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &e);
  if (err == EXT2_ET_NO_CURRENT_NODE)
    return std::optional<ext2fs_extent>();
  F4_CHECK(err);
  if (e.e_lblk > lblk)
    return std::optional(e);
  return next_leaf(h);
}

bool uses_extents(const Inode& inode) {
  return (inode.flags() & EXT4_EXTENTS_FL) && !(inode.flags() & EXT4_INLINE_DATA_FL);
}

// Undo a partly done split of @orig: delete the pieces already inserted
// after it (@inserted, in order) and put @orig back.  Best effort: the
// error that made the split fail is what the caller reports.
void restore(InodeNum ino, ext2_extent_handle_t h, const ext2fs_extent& orig,
             const std::vector<ext2fs_extent>& inserted) {
  long err = 0;
  for (auto it = inserted.rbegin(); it != inserted.rend() && !err; ++it) {
    err = ext2fs_extent_goto(h, it->e_lblk);
    if (!err)
      err = ext2fs_extent_delete(h, 0);
  }
  if (!err)
    err = ext2fs_extent_goto(h, orig.e_lblk);
  ext2fs_extent e = orig;
  if (!err)
    err = ext2fs_extent_replace(h, 0, &e);
  if (err)
    F4_ERROR("inode %u: cannot undo a failed extent split at logical block %llu: %s", ino.get(),
             static_cast<unsigned long long>(orig.e_lblk), describe(util::Error{err}));
}

// Flag blocks [@a, @b) of unwritten extent @e (the handle's current
// entry) written.  The entry is replaced by its first piece, so its lblk
// does not change; the other pieces are inserted after it, each after
// the one before.  An insert may split a full leaf (libext2fs allocates
// the new leaf and fixes the index above).
Result<void> convert(InodeNum ino, ext2_extent_handle_t h, const ext2fs_extent& e, uint64_t a,
                     uint64_t b) {
  const uint64_t first = e.e_lblk, end = end_of(e);
  std::vector<ext2fs_extent> pieces;
  if (a > first)
    pieces.push_back(leaf(first, e.e_pblk, a - first, true));
  pieces.push_back(leaf(a, e.e_pblk + (a - first), b - a, false));
  if (b < end)
    pieces.push_back(leaf(b, e.e_pblk + (b - first), end - b, true));
  F4_CHECK(ext2fs_extent_replace(h, 0, &pieces[0]));
  std::vector<ext2fs_extent> inserted;
  for (size_t i = 1; i < pieces.size(); i++) {
    long err = ext2fs_extent_insert(h, EXT2_EXTENT_INSERT_AFTER, &pieces[i]);
    if (err) {
      restore(ino, h, e, inserted);
      return util::fail(util::Error{err});
    }
    inserted.push_back(pieces[i]);
  }
  return {};
}

// Whether written extent @y can be folded into @x, which ends where @y
// starts, logically and physically.
bool mergeable(const ext2fs_extent& x, const ext2fs_extent& y) {
  return !is_unwritten(x) && !is_unwritten(y) && end_of(x) == y.e_lblk &&
         x.e_pblk + x.e_len == y.e_pblk && uint64_t{x.e_len} + y.e_len <= EXT_INIT_MAX_LEN;
}

// Fold written extent @x (the handle's current entry) and the entry after
// it in the same leaf into @x, if they are contiguous.  Only the later
// entry goes away, so no leaf's first entry changes.
Result<bool> merge_with_next(ext2_extent_handle_t h, ext2fs_extent x) {
  ext2fs_extent y{};
  long err = ext2fs_extent_get(h, EXT2_EXTENT_NEXT_SIB, &y);
  if (err == EXT2_ET_EXTENT_NO_NEXT)
    return false;
  F4_CHECK(err);
  ext2fs_extent moved{};  // where the handle lands; not used
  F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_PREV_SIB, &moved));
  if (!mergeable(x, y))
    return false;
  x.e_len += y.e_len;
  F4_CHECK(ext2fs_extent_replace(h, 0, &x));
  F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_NEXT_SIB, &moved));
  F4_CHECK(ext2fs_extent_delete(h, 0));
  return true;
}

// Merge the written extent at @lblk with written neighbours in its leaf,
// so random writes that fill a preallocated file end in few extents.
Result<void> merge_around(ext2_extent_handle_t h, uint64_t lblk) {
  F4_CHECK(ext2fs_extent_goto(h, lblk));
  ext2fs_extent cur{};
  ext2fs_extent prev{};
  long err = ext2fs_extent_get(h, EXT2_EXTENT_PREV_SIB, &prev);
  if (err && err != EXT2_ET_EXTENT_NO_PREV)
    return util::fail(util::Error{err});
  if (!err) {
    if (F4_TRY(merge_with_next(h, prev)))
      F4_CHECK(ext2fs_extent_goto(h, prev.e_lblk));
    else
      F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_NEXT_SIB, &cur));
  }
  F4_CHECK(ext2fs_extent_get(h, EXT2_EXTENT_CURRENT, &cur));
  F4_TRY_VOID(merge_with_next(h, cur));
  return {};
}

}  // namespace

Result<std::vector<UnwrittenRun>> unwritten_runs(const Guard& g, InodeNum ino, uint64_t first,
                                                 uint64_t count) {
  std::vector<UnwrittenRun> runs;
  Inode inode = F4_TRY(read_inode(g, ino));
  if (!count || !uses_extents(inode))
    return runs;
  const uint64_t end = first + count;
  auto h = F4_TRY(ExtentHandle::open(g, ino));
  auto e = F4_TRY(seek(h.get(), first));
  std::optional<uint64_t> prev_end;
  while (e && e->e_lblk < end) {
    F4_TRY_VOID(check_sane(g, ino, *e));
    if (prev_end && e->e_lblk < *prev_end) {
      F4_ERROR("inode %u: extents out of order at logical block %llu", ino.get(),
               static_cast<unsigned long long>(e->e_lblk));
      return util::fail_errno(EUCLEAN);
    }
    prev_end = end_of(*e);
    if (is_unwritten(*e)) {
      uint64_t a = std::max<uint64_t>(first, e->e_lblk);
      uint64_t b = std::min(end, end_of(*e));
      runs.push_back({a, e->e_pblk + (a - e->e_lblk), b - a});
    }
    e = F4_TRY(next_leaf(h.get()));
  }
  return runs;
}

Result<void> mark_written(const Guard& g, InodeNum ino, uint64_t first, uint64_t count) {
  F4_TRY_VOID(g.require_writable());
  Inode inode = F4_TRY(read_inode(g, ino));
  if (!count || !uses_extents(inode))
    return {};
  const uint64_t end = first + count;
  auto h = F4_TRY(ExtentHandle::open(g, ino));
  uint64_t pos = first;
  while (pos < end) {
    auto e = F4_TRY(seek(h.get(), pos));
    if (!e || e->e_lblk >= end)
      break;
    F4_TRY_VOID(check_sane(g, ino, *e));
    if (end_of(*e) <= pos) {
      F4_ERROR("inode %u: extents out of order at logical block %llu ", ino.get(),
               static_cast<unsigned long long>(e->e_lblk));
      return util::fail_errno(EUCLEAN);
    }
    uint64_t a = std::max<uint64_t>(pos, e->e_lblk);
    uint64_t b = std::min(end, end_of(*e));
    if (is_unwritten(*e)) {
      F4_TRY_VOID(convert(ino, h.get(), *e, a, b));
      F4_TRY_VOID(merge_around(h.get(), a));
    }
    pos = b;
  }
  return {};
}

}  // namespace f4::ext2
