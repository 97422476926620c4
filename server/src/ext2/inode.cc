// SPDX-License-Identifier: GPL-2.0
#include "ext2/inode.h"

#include <sys/random.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <cerrno>
#include <cstddef>
#include <ctime>

#include "util/log.h"

namespace f4::ext2 {

namespace {

// Byte offsets of the extra timestamp words inside ext2_inode_large.
size_t extra_offset(TimeField f) {
  switch (f) {
    case TimeField::kAtime:
      return offsetof(ext2_inode_large, i_atime_extra);
    case TimeField::kMtime:
      return offsetof(ext2_inode_large, i_mtime_extra);
    case TimeField::kCtime:
      return offsetof(ext2_inode_large, i_ctime_extra);
    case TimeField::kCrtime:
      return offsetof(ext2_inode_large, i_crtime_extra);
  }
  return SIZE_MAX;
}

// Extra word layout: bits 0-1 extend the signed 32-bit seconds by two
// epoch bits, bits 2-31 hold nanoseconds.
uint32_t encode_extra(int64_t sec, uint32_t nsec) {
  uint32_t epoch = static_cast<uint32_t>((sec - static_cast<int32_t>(sec)) >> 32) & 3;
  return epoch | (nsec << 2);
}

uint32_t random_generation() {
  uint32_t v = 0;
  if (getrandom(&v, sizeof(v), 0) != sizeof(v))
    v = static_cast<uint32_t>(now().nsec);
  return v;
}

}  // namespace

Timespec now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

void Inode::set_uid(uint32_t uid) {
  raw_.i_uid = uid & 0xffff;
  ext2fs_set_i_uid_high(raw_, uid >> 16);
}

void Inode::set_gid(uint32_t gid) {
  raw_.i_gid = gid & 0xffff;
  ext2fs_set_i_gid_high(raw_, gid >> 16);
}

// Old (16-bit) and new (32-bit) device encodings, as the kernel stores
// them in i_block[0] or i_block[1].
dev_t Inode::rdev() const {
  if (raw_.i_block[0]) {
    uint32_t d = raw_.i_block[0];
    return makedev((d >> 8) & 0xff, d & 0xff);
  }
  uint32_t d = raw_.i_block[1];
  return makedev((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

void Inode::set_rdev(dev_t dev) {
  unsigned maj = major(dev), min = minor(dev);
  if (maj < 256 && min < 256) {
    raw_.i_block[0] = (maj << 8) | min;
    raw_.i_block[1] = 0;
  } else {
    raw_.i_block[0] = 0;
    raw_.i_block[1] = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
  }
}

bool Inode::has_extra(TimeField f) const {
  return extra_offset(f) + sizeof(uint32_t) <=
         EXT2_GOOD_OLD_INODE_SIZE + static_cast<size_t>(raw_.i_extra_isize);
}

Timespec Inode::time(TimeField f) const {
  uint32_t lo = 0, extra = 0;
  switch (f) {
    case TimeField::kAtime:
      lo = raw_.i_atime;
      extra = raw_.i_atime_extra;
      break;
    case TimeField::kMtime:
      lo = raw_.i_mtime;
      extra = raw_.i_mtime_extra;
      break;
    case TimeField::kCtime:
      lo = raw_.i_ctime;
      extra = raw_.i_ctime_extra;
      break;
    case TimeField::kCrtime:
      if (!has_extra(f))
        return {};
      lo = raw_.i_crtime;
      extra = raw_.i_crtime_extra;
      break;
  }
  Timespec t{static_cast<int32_t>(lo), 0};
  if (has_extra(f)) {
    t.sec += static_cast<int64_t>(extra & 3) << 32;
    t.nsec = extra >> 2;
  }
  return t;
}

void Inode::set_time(TimeField f, Timespec t) {
  bool extra = has_extra(f);
  if (!extra) {
    // Without the extra word the range is a signed 32-bit second count.
    if (t.sec > INT32_MAX)
      t.sec = INT32_MAX;
    if (t.sec < INT32_MIN)
      t.sec = INT32_MIN;
  }
  uint32_t lo = static_cast<uint32_t>(t.sec);
  uint32_t ex = extra ? encode_extra(t.sec, t.nsec) : 0;
  switch (f) {
    case TimeField::kAtime:
      raw_.i_atime = lo;
      if (extra)
        raw_.i_atime_extra = ex;
      break;
    case TimeField::kMtime:
      raw_.i_mtime = lo;
      if (extra)
        raw_.i_mtime_extra = ex;
      break;
    case TimeField::kCtime:
      raw_.i_ctime = lo;
      if (extra)
        raw_.i_ctime_extra = ex;
      break;
    case TimeField::kCrtime:
      if (extra) {
        raw_.i_crtime = lo;
        raw_.i_crtime_extra = ex;
      }
      break;
  }
}

Result<Inode> read_inode(const Guard& g, InodeNum ino) {
  Inode inode;
  F4_CHECK(ext2fs_read_inode_full(g.fs(), ino.get(), inode.small(), sizeof(ext2_inode_large)));
  // Zero whatever lies beyond the on-disk inode so the accessors never
  // see stale bytes for fields this inode doesn't have.
  unsigned isize = EXT2_INODE_SIZE(g.fs()->super);
  if (isize > EXT2_GOOD_OLD_INODE_SIZE &&
      EXT2_GOOD_OLD_INODE_SIZE + unsigned{inode.raw()->i_extra_isize} > isize)
    return util::fail_errno(EUCLEAN);
  if (isize < sizeof(ext2_inode_large)) {
    auto* bytes = reinterpret_cast<char*>(inode.raw());
    std::fill(bytes + isize, bytes + sizeof(ext2_inode_large), 0);
  }
  return inode;
}

Result<void> write_inode(const Guard& g, InodeNum ino, Inode& inode) {
  F4_CHECK(g.require_writable().ok() ? 0 : EROFS);
  F4_CHECK(ext2fs_write_inode_full(g.fs(), ino.get(), inode.small(), sizeof(ext2_inode_large)));
  return {};
}

uint64_t stat_blocks(const Guard& g, const Inode& inode) {
  return ext2fs_get_stat_i_blocks(g.fs(), const_cast<ext2_inode*>(inode.small()));
}

Result<void> set_size_field(const Guard& g, Inode& inode, ByteLen size) {
  F4_CHECK(ext2fs_inode_size_set(g.fs(), inode.small(), size.get()));
  return {};
}

Result<InodeNum> create_inode(const Guard& g, InodeNum dir, Inode& inode) {
  F4_TRY_VOID(g.require_writable());
  ext2_filsys fs = g.fs();
  ext2_ino_t ino = 0;
  F4_CHECK(ext2fs_new_inode(fs, dir.get(), inode.mode(), nullptr, &ino));
  unsigned isize = EXT2_INODE_SIZE(fs->super);
  if (isize > EXT2_GOOD_OLD_INODE_SIZE)
    inode.raw()->i_extra_isize = sizeof(ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
  Timespec t = now();
  for (auto f : {TimeField::kAtime, TimeField::kMtime, TimeField::kCtime, TimeField::kCrtime})
    inode.set_time(f, t);
  if (!inode.links())
    inode.set_links(1);
  bool needs_extents = (LINUX_S_ISREG(inode.mode()) || LINUX_S_ISDIR(inode.mode())) &&
                       ext2fs_has_feature_extents(fs->super);
  if (needs_extents) {
    // An empty extent tree: the header in i_block, no extents yet.
    ext2_extent_handle_t h = nullptr;
    inode.raw()->i_flags |= EXT4_EXTENTS_FL;
    F4_CHECK(ext2fs_extent_open2(fs, ino, inode.small(), &h));
    ext2fs_extent_free(h);
  }
  inode.raw()->i_generation = random_generation();
  // Write the whole on-disk inode: bytes past ext2_inode_large (in-inode
  // xattrs) may still hold a deleted inode's data.
  std::vector<char> buf(isize, 0);
  memcpy(buf.data(), inode.raw(), std::min<size_t>(isize, sizeof(ext2_inode_large)));
  F4_CHECK(ext2fs_write_inode_full(fs, ino, reinterpret_cast<ext2_inode*>(buf.data()), isize));
  ext2fs_inode_alloc_stats2(fs, ino, +1, LINUX_S_ISDIR(inode.mode()));
  return InodeNum(ino);
}

Result<void> free_inode(const Guard& g, InodeNum ino) {
  F4_TRY_VOID(g.require_writable());
  ext2_filsys fs = g.fs();
  Inode inode = F4_TRY(read_inode(g, ino));
  if (inode.links()) {
    F4_ERROR("refusing to free inode %u: it still has %u link(s)", ino.get(), inode.links());
    return util::fail_errno(EUCLEAN);
  }
  if (ext2fs_inode_has_valid_blocks2(fs, inode.small()))
    F4_CHECK(ext2fs_punch(fs, ino.get(), inode.small(), nullptr, 0, ~0ULL));
  F4_CHECK(ext2fs_free_ext_attr(fs, ino.get(), inode.raw()));
  // free_ext_attr and punch wrote the inode; pick up their changes.
  inode = F4_TRY(read_inode(g, ino));
  inode.raw()->i_dtime = static_cast<uint32_t>(now().sec);
  F4_TRY_VOID(write_inode(g, ino, inode));
  ext2fs_inode_alloc_stats2(fs, ino.get(), -1, inode.is_dir());
  return {};
}

}  // namespace f4::ext2
