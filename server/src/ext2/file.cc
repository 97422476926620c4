// SPDX-License-Identifier: GPL-2.0
#include "ext2/file.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "ext2/error.h"
#include "ext2/unwritten.h"
#include "util/log.h"

namespace f4::ext2 {

namespace {
// ext2fs_file_read/write take an unsigned int count.
constexpr size_t kMaxChunk = 1u << 30;
// Blocks written to an unwritten run per io_channel call (bounds the
// bounce buffer).
constexpr uint64_t kRunChunkBlocks = 256;

// Put the bytes of [@off, @off + @buf.size()) that fall into unwritten
// run @run into its blocks, zero-filling the rest of them.
Result<void> fill_run(const Guard& g, const UnwrittenRun& run, uint64_t off,
                      std::span<const char> buf) {
  const uint64_t bs = g.fs()->blocksize;
  const uint64_t end = off + buf.size();
  std::vector<char> block_buf;
  for (uint64_t done = 0; done < run.len; done += kRunChunkBlocks) {
    uint64_t n = std::min(kRunChunkBlocks, run.len - done);
    uint64_t chunk_off = (run.lblk + done) * bs;
    uint64_t chunk_end = chunk_off + n * bs;
    block_buf.assign(n * bs, '\0');
    uint64_t from = std::max(off, chunk_off), to = std::min(end, chunk_end);
    if (from < to)
      std::copy_n(buf.data() + (from - off), to - from, block_buf.data() + (from - chunk_off));
    F4_CHECK(
        io_channel_write_blk64(g.fs()->io, run.pblk + done, static_cast<int>(n), block_buf.data()));
  }
  return {};
}
}  // namespace

Result<File> File::open(const Guard& g, InodeNum ino, Mode mode) {
  if (mode == Mode::kWrite)
    F4_TRY_VOID(g.require_writable());
  ext2_file_t f = nullptr;
  F4_CHECK(ext2fs_file_open2(g.fs(), ino.get(), nullptr, mode == Mode::kWrite ? EXT2_FILE_WRITE : 0,
                             &f));
  return File(f);
}

File::~File() {
  if (!f_)
    return;
  long err = ext2fs_file_close(f_);
  if (err)
    F4_ERROR("closing a file without close(): %s", describe(util::Error{err}));
}

Result<ByteLen> File::read(ByteOffset off, std::span<char> buf) {
  F4_CHECK(ext2fs_file_llseek(f_, off.get(), EXT2_SEEK_SET, nullptr));
  size_t done = 0;
  while (done < buf.size()) {
    unsigned int want = static_cast<unsigned int>(std::min(buf.size() - done, kMaxChunk));
    unsigned int got = 0;
    F4_CHECK(ext2fs_file_read(f_, buf.data() + done, want, &got));
    if (got == 0)
      break;
    done += got;
  }
  return ByteLen(done);
}

Result<ByteLen> File::write(ByteOffset off, std::span<const char> buf) {
  if (off.get() + buf.size() < off.get())
    return util::fail_errno(EFBIG);
  F4_CHECK(ext2fs_file_llseek(f_, off.get(), EXT2_SEEK_SET, nullptr));
  size_t done = 0;
  while (done < buf.size()) {
    unsigned int want = static_cast<unsigned int>(std::min(buf.size() - done, kMaxChunk));
    unsigned int got = 0;
    long err = ext2fs_file_write(f_, buf.data() + done, want, &got);
    // @got counts the bytes copied into blocks that exist; libext2fs has
    // already grown i_size over them, even when it fails further on.
    done += got;
    if (err) {
      int e = to_errno(util::Error{err});
      if (!done || (e != ENOSPC && e != EDQUOT))
        return util::fail(util::Error{err});
      // Out of space part-way: report the bytes written, as write(2)
      // does; the caller's next write meets the error.  The bytes of the
      // block that could not be allocated are still in the file's buffer,
      // and close() will fail to allocate it again: that is expected.
      F4_DEBUG("short write: %zu of %zu bytes (%s)", done, buf.size(), describe(util::Error{err}));
      tail_error_ = err;
      break;
    }
    if (got == 0)
      return util::fail_errno(EIO);
  }
  uint64_t end = off.get() + done;
  if (end > size().get())
    F4_CHECK(ext2fs_file_set_size2(f_, end));
  return ByteLen(done);
}

Result<ByteLen> write_data(const Guard& g, InodeNum ino, ByteOffset off,
                           std::span<const char> buf) {
  const uint64_t start = off.get(), end = start + buf.size();
  if (end < start)
    return util::fail_errno(EFBIG);
  F4_TRY_VOID(g.require_writable());
  if (buf.empty())
    return ByteLen(0);
  const uint64_t bs = g.fs()->blocksize;
  const uint64_t first = start / bs, last = (end - 1) / bs;
  auto runs = F4_TRY(unwritten_runs(g, ino, first, last - first + 1));
  // Data first, then the flag: a crash in between leaves zeroes, never
  // stale blocks.
  for (const auto& run : runs)
    F4_TRY_VOID(fill_run(g, run, start, buf));
  if (!runs.empty())
    F4_TRY_VOID(mark_written(g, ino, first, last - first + 1));
  // The rest, between the runs, through libext2fs; opened after
  // mark_written so the File's copy of the inode is current.
  auto f = F4_TRY(File::open(g, ino, File::Mode::kWrite));
  uint64_t pos = start;
  // Writes the bytes up to @to; false when File::write() came back short
  // (out of space part-way), with @pos at the end of what it wrote.
  auto gap = [&](uint64_t to) -> Result<bool> {
    if (pos >= to)
      return true;
    ByteLen n = F4_TRY(f.write(ByteOffset(pos), buf.subspan(pos - start, to - pos)));
    pos += n.get();
    return pos == to;
  };
  bool whole = true;
  for (const auto& run : runs) {
    whole = F4_TRY(gap(std::max(pos, run.lblk * bs)));
    if (!whole)
      break;
    pos = std::min(end, (run.lblk + run.len) * bs);
  }
  if (whole)
    whole = F4_TRY(gap(end));
  // A short write reports, and sizes the file to, the bytes in front of
  // the first one that could not be written.
  const uint64_t done_end = whole ? end : pos;
  if (done_end > f.size().get())
    F4_TRY_VOID(f.set_size(ByteLen(done_end)));
  F4_TRY_VOID(f.close());
  return ByteLen(done_end - start);
}

Result<void> File::set_size(ByteLen size) {
  F4_CHECK(ext2fs_file_set_size2(f_, size.get()));
  return {};
}

ByteLen File::size() const {
  __u64 s = 0;
  ext2fs_file_get_lsize(f_, &s);
  return ByteLen(s);
}

Result<void> File::close() {
  ext2_file_t f = f_;
  f_ = nullptr;
  long err = ext2fs_file_close(f);
  // After a short write the buffer holds the bytes that were not counted,
  // for a block that cannot be allocated: the same failure again is that
  // block, whose bytes nobody was told were written.  Under the Guard
  // nothing can have freed space in between.
  if (err && err == tail_error_)
    return {};
  F4_CHECK(err);
  return {};
}

}  // namespace f4::ext2
