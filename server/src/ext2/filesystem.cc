// SPDX-License-Identifier: GPL-2.0
#include "ext2/filesystem.h"

extern "C" {
#include <e2p/e2p.h>
}
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <ext2fs/ext2_err.h>

#include "ext2/error.h"
#include "ext2/inode.h"
#include "ext2/journal.h"
#include "ext2/orphan.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {

using OpenResult = util::Expected<std::unique_ptr<Filesystem>, OpenError>;

util::Unexpected<OpenError> refuse(OpenFailure kind, std::string reason) {
  return {OpenError{kind, std::move(reason)}};
}

// Incompat features the server can read and write.  libext2fs refuses the
// ones it doesn't know at all; this list is narrower: features whose
// on-disk rules the server doesn't implement would be silently broken.
constexpr uint32_t kIncompatSupported =
    EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT |
    EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_MMP | EXT4_FEATURE_INCOMPAT_EA_INODE |
    EXT4_FEATURE_INCOMPAT_DIRDATA | EXT4_FEATURE_INCOMPAT_CSUM_SEED |
    EXT4_FEATURE_INCOMPAT_LARGEDIR | EXT4_FEATURE_INCOMPAT_INLINE_DATA |
    EXT3_FEATURE_INCOMPAT_RECOVER | EXT2_FEATURE_INCOMPAT_META_BG | EXT4_FEATURE_INCOMPAT_ENCRYPT |
    EXT4_FEATURE_INCOMPAT_CASEFOLD;  // read-only, below

// Features fine to read but not to write: names are hashed or encrypted
// by rules the server doesn't implement, block accounting differs, or
// the feature keeps metadata the server does not maintain (EA value
// inodes it would leak on unlink, quota usage it would leave stale).
// orphan_file (on by default since e2fsprogs 1.47) is not here: fuse4fs
// keeps its open-unlinked inodes on the old orphan list, which it
// processes at mount, and never changes the orphan file, which stays
// valid; an image whose orphan file has entries is refused read-write
// (check_features) until e2fsck processes them.
struct RoOnlyFeature {
  int (*has)(struct ext2_super_block*);
  const char* name;
};
// clang-format off
constexpr RoOnlyFeature kReadOnlyFeatures[] = {
    {ext2fs_has_feature_encrypt, "encrypt"},
    {ext2fs_has_feature_casefold, "casefold"},
    {ext2fs_has_feature_bigalloc, "bigalloc"},
    {ext2fs_has_feature_verity, "verity"},
    {ext2fs_has_feature_ea_inode, "ea_inode"},
    {ext2fs_has_feature_quota, "quota"},
};
// clang-format on

std::string feature_names(uint32_t incompat) {
  std::string out;
  for (int bit = 0; bit < 32; bit++) {
    if (!(incompat & (1u << bit)))
      continue;
    const char* n = e2p_feature2string(E2P_FEATURE_INCOMPAT, 1u << bit);
    if (!out.empty())
      out += ",";
    out += n;
  }
  return out;
}

OpenFailure classify(long err) {
  if (err == EXT2_ET_UNSUPP_FEATURE || err == EXT2_ET_RO_UNSUPP_FEATURE)
    return OpenFailure::kUnsupported;
  if (err == EROFS)
    return OpenFailure::kReadOnlyDevice;
  if (err == ENOENT || err == EACCES || err == EPERM || err == EISDIR || err == ENXIO ||
      err == ENODEV || err == EBUSY || err == EIO)
    return OpenFailure::kCannotOpen;
  return OpenFailure::kCorrupt;
}

std::optional<OpenError> check_features(struct ext2_super_block* sb, bool rw) {
  uint32_t unsupported = sb->s_feature_incompat & ~kIncompatSupported;
  if (unsupported)
    return OpenError{OpenFailure::kUnsupported,
                     "unsupported filesystem features: " + feature_names(unsupported)};
  if (ext2fs_has_feature_journal_dev(sb))
    return OpenError{OpenFailure::kUnsupported,
                     "this is an external journal device, not a filesystem"};
  if (rw) {
    for (const auto& f : kReadOnlyFeatures)
      if (f.has(sb))
        return OpenError{
            OpenFailure::kUnsupported,
            std::string("feature ") + f.name + " is supported read-only; mount with -o ro"};
    if (ext2fs_has_feature_journal(sb) && sb->s_journal_inum == 0)
      return OpenError{OpenFailure::kUnsupported,
                       "external journals are not supported for writing (nor replayed)"};
  }
  return std::nullopt;
}

// libext2fs trusts s_first_data_block when it lays out the bitmaps: a
// wrong one made ext2fs_read_bitmaps() overflow its buffer (found by the
// image fuzzer).  There is one right value, the one e2fsck checks for:
// 1 with 1 KiB blocks and no clusters, 0 otherwise.
std::optional<OpenError> check_geometry(ext2_filsys fs) {
  struct ext2_super_block* sb = fs->super;
  uint32_t want = (sb->s_log_block_size == 0 && EXT2FS_CLUSTER_RATIO(fs) == 1) ? 1 : 0;
  if (sb->s_first_data_block != want)
    return OpenError{OpenFailure::kCorrupt, "bad superblock: first data block " +
                                                std::to_string(sb->s_first_data_block) +
                                                ", should be " + std::to_string(want)};
  return std::nullopt;
}

// The old orphan list is processed at mount (mount_rw); the orphan file
// is not, so entries waiting there need e2fsck (or kernel ext4) first.
std::optional<OpenError> check_orphan_file(ext2_filsys fs) {
  auto pending = orphan_file_has_entries(fs);
  if (!pending.ok())
    return OpenError{OpenFailure::kCorrupt,
                     std::string("cannot read the orphan file: ") + describe(pending.error())};
  if (*pending)
    return OpenError{OpenFailure::kNeedsRecovery,
                     "unlinked inodes are waiting in the orphan file; run e2fsck (or mount -o ro)"};
  return std::nullopt;
}

// An io_manager whose open hands out one already-open channel: the
// filesystem is re-read after the replay through the device opened
// before the privilege drop, which could not be opened again.
io_channel reuse_channel = nullptr;

errcode_t reuse_open(const char* /*name*/, int /*flags*/, io_channel* channel) {
  if (!reuse_channel)
    return EXT2_ET_BAD_DEVICE_NAME;
  *channel = reuse_channel;
  reuse_channel = nullptr;
  return 0;
}

}  // namespace

InodeRefs& Guard::refs() const {
  return owner_->refs_;
}

OpState Guard::state() const {
  return owner_->state_;
}

Result<void> Guard::require_writable() const {
  switch (owner_->state_) {
    case OpState::kWritable:
      return {};
    case OpState::kReadOnly:
      return util::fail_errno(EROFS);
    case OpState::kShutdown:
      return util::fail_errno(EIO);
  }
  return util::fail_errno(EIO);
}

Filesystem::Filesystem(ext2_filsys fs, OpenOptions opts)
    : fs_(fs),
      state_(opts.access == Access::kReadWrite ? OpState::kWritable : OpState::kReadOnly),
      opts_(std::move(opts)),
      block_size_(fs->blocksize) {}

Filesystem::~Filesystem() {
  if (!closed_ && fs_) {
    F4_WARN("%s: closed without a clean unmount", opts_.path.c_str());
    ext2fs_free(fs_);
  }
}

Guard Filesystem::lock() {
  return Guard(this, fs_, std::unique_lock(mu_));
}

OpenResult Filesystem::open(const OpenOptions& opts) {
  const char* path = opts.path.c_str();
  bool rw = opts.access == Access::kReadWrite;

  // Check the file first: libext2fs reports a missing file as a generic
  // error and a read-only one as EROFS only on some paths.
  struct stat st;
  if (stat(path, &st) != 0)
    return refuse(OpenFailure::kCannotOpen, std::string(path) + ": " + strerror(errno));
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return refuse(OpenFailure::kCannotOpen,
                  std::string(path) + ": not a regular file or block device");
  if (rw) {
    int fd = ::open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM))
      return refuse(OpenFailure::kReadOnlyDevice, std::string(path) +
                                                      ": cannot open for writing (" +
                                                      strerror(errno) + "); mount it with -o ro");
    if (fd >= 0) {
      int ro = 0;
      if (S_ISBLK(st.st_mode) && ioctl(fd, BLKROGET, &ro) == 0 && ro) {
        ::close(fd);
        return refuse(OpenFailure::kReadOnlyDevice,
                      std::string(path) + ": the block device is read-only; mount it with -o ro");
      }
      ::close(fd);
    }
  }

  int flags = EXT2_FLAG_64BITS | EXT2_FLAG_THREADS;
  if (rw)
    flags |= EXT2_FLAG_RW | EXT2_FLAG_EXCLUSIVE;
  ext2_filsys fs = nullptr;
  long err = ext2fs_open2(path, nullptr, flags, 0, 0, opts.io ? opts.io : unix_io_manager, &fs);
  if (err) {
    OpenFailure kind = classify(err);
    std::string reason = std::string(path) + ": " + describe(util::Error{err});
    if (err == EXT2_ET_BAD_MAGIC)
      reason = std::string(path) + ": not an ext2/3/4 filesystem (bad superblock magic)";
    return refuse(kind, reason);
  }
  // From here on, ext2fs_free (never close) on refusal: nothing written.
  auto drop = [&](OpenFailure kind, const std::string& reason) {
    ext2fs_free(fs);
    return refuse(kind, std::string(path) + ": " + reason);
  };
  struct ext2_super_block* sb = fs->super;

  if (auto e = check_features(sb, rw))
    return drop(e->kind, e->reason);
  if (auto e = check_geometry(fs))
    return drop(e->kind, e->reason);
  bool replay = ext2fs_has_feature_journal_needs_recovery(sb);
  if (replay && !rw && !opts.norecovery)
    return drop(OpenFailure::kNeedsRecovery,
                "the journal needs recovery; mount read-write to replay it, or with -o "
                "ro,norecovery to mount without it (recent changes may be missing)");
  if (replay && !rw)
    replay = false;

  // A truncated image opens (the superblock and group descriptors are at
  // the front) but fails later, deep in some request.  Check it up front.
  blk64_t dev_blocks = 0;
  err = ext2fs_get_device_size2(path, static_cast<int>(fs->blocksize), &dev_blocks);
  if (!err && dev_blocks < ext2fs_blocks_count(sb))
    return drop(OpenFailure::kCorrupt, "image is truncated: it has " + std::to_string(dev_blocks) +
                                           " blocks, the filesystem needs " +
                                           std::to_string(ext2fs_blocks_count(sb)));

  if (replay) {
    // The rest waits for recover(): bitmaps and the superblock are
    // stale until the journal is replayed.
    std::unique_ptr<Filesystem> out(new Filesystem(fs, opts));
    out->recovery_pending_ = true;
    return out;
  }

  err = ext2fs_read_bitmaps(fs);
  if (err)
    return drop(OpenFailure::kCorrupt,
                std::string("cannot read allocation bitmaps: ") + describe(util::Error{err}));

  if (sb->s_state & EXT2_ERROR_FS)
    util::log(util::LogLevel::kWarning, "%s: the filesystem has errors recorded; run e2fsck", path);
  else if (!(sb->s_state & EXT2_VALID_FS))
    util::log(util::LogLevel::kWarning, "%s: the filesystem was not cleanly unmounted; run e2fsck",
              path);

  if (rw) {
    if (auto e = check_orphan_file(fs))
      return drop(e->kind, e->reason);
  }

  std::unique_ptr<Filesystem> out(new Filesystem(fs, opts));
  if (rw) {
    auto r = out->mount_rw();
    if (!r.ok()) {
      out->closed_ = true;
      ext2fs_free(out->fs_);
      return refuse(classify(r.error().raw),
                    std::string(path) + ": cannot update the superblock: " + describe(r.error()));
    }
  }
  return out;
}

util::Expected<ReplayStats, OpenError> Filesystem::replay() {
  const char* path = opts_.path.c_str();
  auto st = replay_journal(fs_, ReplayMode::kWrite);
  if (!st.ok()) {
    const JournalError& e = st.error();
    switch (e.kind) {
      case JournalFailure::kCorrupt:
        return refuse(OpenFailure::kNeedsRecovery,
                      std::string(path) + ": " + e.reason +
                          "; the image was not changed (mount with -o ro,norecovery)");
      case JournalFailure::kUnsupported:
        return refuse(OpenFailure::kNeedsRecovery,
                      std::string(path) + ": " + e.reason + "; the image was not changed");
      case JournalFailure::kIo:
        return refuse(OpenFailure::kCannotOpen,
                      std::string(path) + ": journal replay failed: " + e.reason);
    }
  }
  F4_INFO("%s: replayed the journal: %u transactions, %llu blocks written, %llu revoked", path,
          st->transactions, static_cast<unsigned long long>(st->blocks_written),
          static_cast<unsigned long long>(st->blocks_revoked));
  return *st;
}

util::Expected<void, OpenError> Filesystem::recover() {
  if (!recovery_pending_)
    return {};
  auto st = replay();
  if (!st.ok()) {
    closed_ = true;
    ext2fs_free(fs_);
    fs_ = nullptr;
    return util::Unexpected{st.error()};
  }
  return finish_recovery(*st);
}

util::Expected<void, OpenError> Filesystem::finish_recovery(const ReplayStats& replayed) {
  // Runs before anything is served: nothing else touches fs_ yet.
  const char* path = opts_.path.c_str();
  auto give_up = [&](OpenFailure kind, const std::string& reason) {
    closed_ = true;
    if (fs_)
      ext2fs_free(fs_);
    fs_ = nullptr;
    return refuse(kind, std::string(path) + ": " + reason);
  };
  const ReplayStats* st = &replayed;

  // Re-read the filesystem through the same channel: keep it alive
  // across freeing the stale handle.
  // The replay may have run in another process: drop every cached block
  // (a change of block size does, and ext2fs_open2 sets it again).
  long err = io_channel_set_blksize(fs_->io, 512);
  if (err)
    return give_up(OpenFailure::kCannotOpen,
                   std::string("cannot reset the device cache: ") + describe(util::Error{err}));
  io_channel io = fs_->io;
  io->refcount++;
  ext2fs_free(fs_);
  fs_ = nullptr;
  static struct_io_manager reuse_manager = [] {
    struct_io_manager m = *unix_io_manager;
    m.name = "fuse4fs reopen";
    m.open = reuse_open;
    return m;
  }();
  reuse_channel = io;
  int flags = EXT2_FLAG_64BITS | EXT2_FLAG_THREADS | EXT2_FLAG_RW;
  err = ext2fs_open2(path, nullptr, flags, 0, 0, &reuse_manager, &fs_);
  if (reuse_channel) {  // open failed before taking it
    reuse_channel = nullptr;
    io_channel_close(io);
  }
  if (err) {
    fs_ = nullptr;
    return give_up(OpenFailure::kCorrupt, "cannot read the filesystem after the journal replay: " +
                                              std::string(describe(util::Error{err})));
  }
  struct ext2_super_block* sb = fs_->super;
  if (auto e = check_features(sb, true))
    return give_up(e->kind, "after the journal replay: " + e->reason);
  if (auto e = check_geometry(fs_))
    return give_up(e->kind, "after the journal replay: " + e->reason);
  err = ext2fs_read_bitmaps(fs_);
  if (err)
    return give_up(OpenFailure::kCorrupt,
                   std::string("cannot read allocation bitmaps: ") + describe(util::Error{err}));

  // Like the kernel: the summary counts in the superblock are not
  // journalled; the group descriptors are.
  uint64_t free_blocks = 0;
  uint64_t free_inodes = 0;
  for (dgrp_t grp = 0; grp < fs_->group_desc_count; grp++) {
    free_blocks += ext2fs_bg_free_blocks_count(fs_, grp);
    free_inodes += ext2fs_bg_free_inodes_count(fs_, grp);
  }
  ext2fs_free_blocks_count_set(sb, EXT2FS_C2B(fs_, free_blocks));
  sb->s_free_inodes_count = static_cast<uint32_t>(free_inodes);
  ext2fs_clear_feature_journal_needs_recovery(sb);
  if (st->journal_errno) {
    F4_WARN("%s: the journal recorded error %d from the previous mount; run e2fsck", path,
            -st->journal_errno);
    sb->s_state |= EXT2_ERROR_FS;
  }
  if (auto e = check_orphan_file(fs_))
    return give_up(e->kind, "after the journal replay: " + e->reason);
  recovery_pending_ = false;
  auto r = mount_rw();
  if (!r.ok())
    return give_up(classify(r.error().raw),
                   "cannot update the superblock: " + std::string(describe(r.error())));
  return {};
}

// Free what the orphan list holds (inodes a crash left in use without
// links), as kernel ext4 does at mount, then mark the filesystem mounted.
Result<void> Filesystem::mount_rw() {
  {
    auto g = lock();
    auto n = cleanup_orphans(g);
    // A broken list is left to e2fsck; nothing served depends on it.
    if (!n.ok())
      F4_ERROR("%s: cannot process the orphan list: %s", opts_.path.c_str(), describe(n.error()));
    else if (*n)
      F4_INFO("%s: freed %u orphan inode(s) left by a crash", opts_.path.c_str(), *n);
  }
  // Opening checked that the orphan file is empty (check_orphan_file);
  // the flag kernel ext4 left set while it was mounted goes, as its own
  // mount would clear it.
  if (ext2fs_has_feature_orphan_present(fs_->super)) {
    ext2fs_clear_feature_orphan_present(fs_->super);
    ext2fs_mark_super_dirty(fs_);
  }
  return mark_mounted();
}

// Like the kernel without a journal: the superblock says "not clean" while
// mounted read-write, so a crash leaves a filesystem e2fsck will check.
Result<void> Filesystem::mark_mounted() {
  struct ext2_super_block* sb = fs_->super;
  sb->s_mnt_count++;
  ext2fs_set_tstamp(sb, s_mtime, now().sec);
  sb->s_state &= ~EXT2_VALID_FS;
  ext2fs_mark_super_dirty(fs_);
  F4_CHECK(ext2fs_flush2(fs_, 0));
  return {};
}

Result<void> Filesystem::close() {
  auto g = lock();
  if (closed_)
    return close_result_;
  Result<void> result;
  auto keep_first = [&](Result<void> r) {
    if (!r.ok() && result.ok())
      result = r;
  };
  // A journal still to replay: nothing was served, nothing may be written.
  if (state_ == OpState::kWritable && !recovery_pending_) {
    for (InodeNum ino : refs_.take_orphans()) {
      auto r = orphan_remove(g, ino);
      if (r.ok())
        r = free_inode(g, ino);
      if (!r.ok())
        F4_ERROR("cannot free unlinked inode %u: %s", ino.get(), describe(r.error()));
      keep_first(r);
    }
    struct ext2_super_block* sb = fs_->super;
    if (!(sb->s_state & EXT2_ERROR_FS))
      sb->s_state |= EXT2_VALID_FS;
    ext2fs_set_tstamp(sb, s_wtime, now().sec);
    ext2fs_mark_super_dirty(fs_);
  } else if (opts_.access == Access::kReadOnly || state_ == OpState::kShutdown) {
    // Nothing may be written: don't let close flush a dirty superblock.
    fs_->flags &= ~EXT2_FLAG_DIRTY;
  }
  // Remounted read-only by errors=remount-ro: what was changed before the
  // error is written back (if the write-back at the error failed), with
  // the superblock still saying "not clean" and "errors".
  keep_first(util::check(ext2fs_close_free(&fs_)));
  if (fs_) {
    ext2fs_free(fs_);
    fs_ = nullptr;
  }
  closed_ = true;
  close_result_ = result;
  return result;
}

void Filesystem::report_corruption(util::Error e, InodeNum ino, const char* func) {
  bool panic = false;
  {
    auto g = lock();
    if (closed_)
      return;
    F4_ERROR("corruption found in %s (inode %u): %s", func, ino.get(), describe(e));
    if (state_ == OpState::kWritable) {
      struct ext2_super_block* sb = fs_->super;
      int64_t t = now().sec;
      sb->s_state |= EXT2_ERROR_FS;
      sb->s_error_count++;
      ext2fs_set_tstamp(sb, s_last_error_time, t);
      sb->s_last_error_ino = ino.get();
      sb->s_last_error_errcode = static_cast<uint8_t>(to_errno(e));
      strncpy(reinterpret_cast<char*>(sb->s_last_error_func), func, sizeof(sb->s_last_error_func));
      if (!sb->s_first_error_time) {
        ext2fs_set_tstamp(sb, s_first_error_time, t);
        sb->s_first_error_ino = ino.get();
        sb->s_first_error_errcode = sb->s_last_error_errcode;
        memcpy(sb->s_first_error_func, sb->s_last_error_func, sizeof(sb->s_first_error_func));
      }
      ext2fs_mark_super_dirty(fs_);
      long err = ext2fs_flush2(fs_, 0);
      if (err)
        F4_ERROR("cannot record the error in the superblock: %s", describe(util::Error{err}));
    }
    switch (opts_.errors) {
      case ErrorPolicy::kContinue:
        break;
      case ErrorPolicy::kRemountRo:
        if (state_ == OpState::kWritable) {
          F4_ERROR("errors=remount-ro: the filesystem is now read-only");
          state_ = OpState::kReadOnly;
        }
        break;
      case ErrorPolicy::kPanic:
        F4_ERROR("errors=panic: shutting down");
        state_ = OpState::kShutdown;
        panic = true;
        panicked_.store(true);
        break;
    }
  }
  if (panic && panic_hook_)
    panic_hook_(panic_arg_);
}

}  // namespace f4::ext2
