// SPDX-License-Identifier: GPL-2.0
//
// File: an open libext2fs file (ext2_file_t) for data I/O and size changes.
//
// A File caches the inode and must not outlive the Guard it was opened
// under: the server opens one per request, so two handles on the same
// inode never hold diverging copies of it.
#pragma once

#include "ext2/libext2fs.h"

#include <span>

#include "ext2/filesystem.h"
#include "util/result.h"
#include "util/strong.h"

namespace f4::ext2 {

class File {
 public:
  enum class Mode { kRead, kWrite };

  [[nodiscard]] static Result<File> open(const Guard& g, InodeNum ino, Mode mode);

  File(File&& o) noexcept : f_(o.f_), tail_error_(o.tail_error_) { o.f_ = nullptr; }
  File& operator=(File&&) = delete;
  File(const File&) = delete;
  ~File();

  // Short reads happen only at end of file.
  [[nodiscard]] Result<ByteLen> read(ByteOffset off, std::span<char> buf);
  // A write that runs out of space part-way is short: it returns the
  // bytes written, and i_size covers exactly those.  Other errors fail
  // the whole write.
  [[nodiscard]] Result<ByteLen> write(ByteOffset off, std::span<const char> buf);
  // Truncate or extend (sparse); frees blocks past the new size.
  [[nodiscard]] Result<void> set_size(ByteLen size);
  ByteLen size() const;
  // Write back cached data and the inode and release the handle.
  [[nodiscard]] Result<void> close();

 private:
  explicit File(ext2_file_t f) : f_(f) {}
  ext2_file_t f_;
  long tail_error_ = 0;  // the error that ended a short write
};

// Write @buf at @off into regular file @ino and grow i_size to cover it.
// Bytes bound for unwritten (preallocated) blocks go straight to those
// blocks, the rest of each such block zeroed, and the blocks are then
// flagged written with mark_written() (ext2/unwritten.h), never through
// libext2fs's own conversion; holes and written blocks go through
// File::write.  Opens its own File: hold no other File on @ino.
[[nodiscard]] Result<ByteLen> write_data(const Guard& g, InodeNum ino, ByteOffset off,
                                         std::span<const char> buf);

}  // namespace f4::ext2
