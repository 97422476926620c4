// SPDX-License-Identifier: GPL-2.0
//
// Filesystem: an open ext2/3/4 image and the one lock around libext2fs.
//
// Locking
// -------
// libext2fs is not thread-safe: its bitmaps, caches and io channel are
// shared by every handle.  All access to the ext2_filsys and to the
// in-core reference table goes through a Guard from Filesystem::lock(),
// which holds mu_ for its lifetime; there is no other way to reach them,
// so an unguarded access does not compile.  FUSE requests are served by
// several libfuse threads; they run concurrently only outside a Guard
// (decoding the request, building and sending the reply).  Every op takes
// the Guard once, does all its metadata work under it and drops it before
// replying.  No other lock is ever taken while a Guard is held.
#pragma once

#include "ext2/libext2fs.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "ext2/journal.h"
#include "ext2/refs.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

using util::Result;

enum class Access { kReadOnly, kReadWrite };

// What to do when a corruption is found while mounted (errors=).
enum class ErrorPolicy { kContinue, kRemountRo, kPanic };

// Whether the mounted filesystem may still be changed.
enum class OpState { kWritable, kReadOnly, kShutdown };

struct OpenOptions {
  std::string path;
  Access access = Access::kReadOnly;
  ErrorPolicy errors = ErrorPolicy::kContinue;
  // Read-only: mount without replaying a journal that needs recovery
  // (data may be stale).  Read-write mounts replay it (recover()).
  bool norecovery = false;
  // The libext2fs I/O manager; nullptr: unix_io_manager.  Tests pass one
  // that injects write failures.
  io_manager io = nullptr;
};

// Why an image was refused.  The kinds map to distinct exit statuses.
enum class OpenFailure {
  kCannotOpen,      // missing, permission, I/O
  kCorrupt,         // bad magic, bad checksum, truncated, inconsistent
  kUnsupported,     // feature flags this server can't handle (in this mode)
  kNeedsRecovery,   // the journal needs replaying and this mount cannot (ro), or it is corrupt
  kReadOnlyDevice,  // rw requested on a read-only image or device
};

struct OpenError {
  OpenFailure kind;
  std::string reason;  // one line, no trailing newline
};

class Filesystem;

// Exclusive access to the filesystem; see "Locking" above.
class Guard {
 public:
  ext2_filsys fs() const { return fs_; }
  // After Filesystem::close() there is no image: fs() is null.
  bool closed() const { return fs_ == nullptr; }
  InodeRefs& refs() const;
  OpState state() const;
  // EROFS unless the filesystem may be written, EIO after a shutdown.
  [[nodiscard]] Result<void> require_writable() const;
  Filesystem& owner() const { return *owner_; }

 private:
  friend class Filesystem;
  Guard(Filesystem* owner, ext2_filsys fs, std::unique_lock<std::mutex> l)
      : owner_(owner), fs_(fs), lock_(std::move(l)) {}
  Filesystem* owner_;
  ext2_filsys fs_;
  std::unique_lock<std::mutex> lock_;
};

class Filesystem {
 public:
  [[nodiscard]] static util::Expected<std::unique_ptr<Filesystem>, OpenError> open(
      const OpenOptions& opts);

  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;
  // Logs if close() was not called; the image is then closed without the
  // final superblock update.
  ~Filesystem();

  [[nodiscard]] Guard lock();

  // Whether open() left a journal to replay: the filesystem must not be
  // served before recover() succeeded.
  bool recovery_pending() const { return recovery_pending_; }

  // Replay the journal (see ext2/journal.h), re-read the filesystem and
  // finish what open() left undone.  Meant to run after the privilege
  // drop: it uses only the already-open device.  On failure the
  // filesystem is closed without writing anything more.
  [[nodiscard]] util::Expected<void, OpenError> recover();

  // recover() in two halves, for running the replay in a child process
  // that drops its privileges first: replay() writes the journal's
  // blocks through the device (and nothing else), finish_recovery()
  // re-reads the filesystem in the process that serves it.
  [[nodiscard]] util::Expected<ReplayStats, OpenError> replay();
  [[nodiscard]] util::Expected<void, OpenError> finish_recovery(const ReplayStats& replayed);

  // Free unlinked inodes still referenced, mark the filesystem clean (if
  // no error was recorded), write everything back and close the image.
  // Idempotent: later calls return the first result.
  [[nodiscard]] Result<void> close();

  bool closed() const { return closed_; }
  Access access() const { return opts_.access; }
  unsigned block_size() const { return block_size_; }

  // Record a corruption found while serving @ino in the superblock and
  // apply the errors= policy.  Takes the lock itself.
  void report_corruption(util::Error e, InodeNum ino, const char* func);

  // Whether errors=panic fired (the session was told to stop).
  bool panicked() const { return panicked_.load(); }

  // Called (outside the lock) when errors=panic fires; the session stops.
  void set_panic_hook(void (*hook)(void*), void* arg) {
    panic_hook_ = hook;
    panic_arg_ = arg;
  }

 private:
  friend class Guard;
  Filesystem(ext2_filsys fs, OpenOptions opts);
  Result<void> mark_mounted();
  Result<void> mount_rw();

  std::mutex mu_;
  ext2_filsys fs_ = nullptr;  // guarded by mu_
  InodeRefs refs_;            // guarded by mu_
  OpState state_;             // guarded by mu_
  OpenOptions opts_;
  unsigned block_size_ = 0;
  bool closed_ = false;
  bool recovery_pending_ = false;
  Result<void> close_result_;
  void (*panic_hook_)(void*) = nullptr;
  void* panic_arg_ = nullptr;
  std::atomic<bool> panicked_{false};
};

}  // namespace f4::ext2
