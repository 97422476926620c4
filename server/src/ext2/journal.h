// SPDX-License-Identifier: GPL-2.0
//
// Journal replay: bring an image whose internal JBD2 journal needs
// recovery up to date, as kernel ext4 does at mount.
//
// The journal is untrusted input like the rest of the image.  Everything
// is read and checked before the first write: the journal superblock, the
// block map of the journal inode, every descriptor, revoke and commit
// block of the log and the checksum of every data block that would be
// written, and that each target block lies inside the filesystem and
// outside the journal.  A journal failing any check is refused and the
// image is left untouched.  Only then are the surviving blocks written,
// the device flushed and the journal marked empty.
//
// Supported: JBD2 superblock v1 and v2, 32- and 64-bit block numbers,
// revoke blocks, checksum v2 and v3 (crc32c).  Refused: external journal
// devices, fast commits (incompat feature fast_commit), the old v1 commit
// checksums (compat feature checksum), unknown incompat features.
#pragma once

#include "ext2/libext2fs.h"

#include <cstdint>
#include <string>

#include "util/result.h"

namespace f4::ext2 {

enum class JournalFailure {
  kCorrupt,      // the journal itself is damaged or inconsistent
  kUnsupported,  // a journal this code does not replay (see above)
  kIo,           // reading or writing the device failed
};

struct JournalError {
  JournalFailure kind;
  std::string reason;  // one line, no trailing newline
};

struct ReplayStats {
  uint32_t transactions = 0;    // committed transactions in the log
  uint64_t blocks_written = 0;  // filesystem blocks written (after revokes)
  uint64_t blocks_revoked = 0;  // logged blocks skipped because revoked later
  int32_t journal_errno = 0;    // the error the journal recorded (s_errno), cleared
};

enum class ReplayMode {
  kWrite,  // replay and mark the journal empty
  kCheck,  // every check, no write
};

// Replay the internal journal of @fs through fs->io.  Writes nothing to
// fs->super in memory: the caller re-reads the filesystem afterwards (the
// replay may have rewritten the superblock and group descriptors) and
// clears the needs_recovery feature.  With an empty journal (s_start 0)
// nothing is written.
[[nodiscard]] util::Expected<ReplayStats, JournalError> replay_journal(ext2_filsys fs,
                                                                       ReplayMode mode);

}  // namespace f4::ext2
