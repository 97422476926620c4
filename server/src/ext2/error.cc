// SPDX-License-Identifier: GPL-2.0
#include "ext2/error.h"

extern "C" {
#include <et/com_err.h>
}
#include <ext2fs/ext2_err.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"

namespace f4::ext2 {

namespace {

// Codes saying "the metadata on disk is wrong": every *CORRUPT*, every
// checksum failure and the structural validation failures.
constexpr long kCorruptCodes[] = {
    EXT2_ET_DIR_CORRUPTED,
    EXT2_ET_CORRUPT_SUPERBLOCK,
    EXT2_ET_CORRUPT_JOURNAL_SB,
    EXT2_ET_RESIZE_INODE_CORRUPT,
    EXT2_ET_FILESYSTEM_CORRUPTED,
    EXT2_ET_INODE_CORRUPTED,
    EXT2_ET_EA_INODE_CORRUPTED,
    EXT2_ET_UNDO_FILE_CORRUPT,
    EXT2_ET_TDB_ERR_CORRUPT,
    EXT2_ET_SB_CSUM_INVALID,
    EXT2_ET_DIR_CSUM_INVALID,
    EXT2_ET_EXTENT_CSUM_INVALID,
    EXT2_ET_EXT_ATTR_CSUM_INVALID,
    EXT2_ET_INODE_CSUM_INVALID,
    EXT2_ET_INODE_BITMAP_CSUM_INVALID,
    EXT2_ET_BLOCK_BITMAP_CSUM_INVALID,
    EXT2_ET_MMP_CSUM_INVALID,
    EXT2_ET_BAD_CRC,
    EXT2_ET_INODE_IS_GARBAGE,
    EXT2_ET_EXTENT_HEADER_BAD,
    EXT2_ET_EXTENT_INDEX_BAD,
    EXT2_ET_EXTENT_LEAF_BAD,
    EXT2_ET_EXTENT_CYCLE,
    EXT2_ET_EXTENT_INVALID_LENGTH,
    EXT2_ET_BAD_EA_HEADER,
    EXT2_ET_BAD_EA_BLOCK_NUM,
    EXT2_ET_BAD_EA_HASH,
    EXT2_ET_EA_BAD_VALUE_OFFSET,
    EXT2_ET_EA_BAD_VALUE_SIZE,
    EXT2_ET_BAD_IND_BLOCK,
    EXT2_ET_BAD_DIND_BLOCK,
    EXT2_ET_BAD_TIND_BLOCK,
    EXT2_ET_GDESC_BAD_BLOCK_MAP,
    EXT2_ET_GDESC_BAD_INODE_MAP,
    EXT2_ET_GDESC_BAD_INODE_TABLE,
    EXT2_ET_MISSING_INODE_TABLE,
    EXT2_ET_BAD_BLOCK_NUM,
    EXT2_ET_BAD_INODE_NUM,
};

struct Mapping {
  long code;
  int err;
};

// Codes with a precise errno of their own.
constexpr Mapping kMapped[] = {
    {EXT2_ET_NO_MEMORY, ENOMEM},
    {EXT2_ET_TDB_ERR_OOM, ENOMEM},
    {EXT2_ET_FILE_NOT_FOUND, ENOENT},
    {EXT2_ET_FILE_EXISTS, EEXIST},
    {EXT2_ET_DIR_EXISTS, EEXIST},
    {EXT2_ET_NO_DIRECTORY, ENOTDIR},
    {EXT2_ET_RO_FILSYS, EROFS},
    {EXT2_ET_FILE_RO, EROFS},
    {EXT2_ET_BLOCK_ALLOC_FAIL, ENOSPC},
    {EXT2_ET_INODE_ALLOC_FAIL, ENOSPC},
    {EXT2_ET_DIR_NO_SPACE, ENOSPC},
    {EXT2_ET_EA_NO_SPACE, ENOSPC},
    {EXT2_ET_INLINE_DATA_NO_SPACE, ENOSPC},
    {EXT2_ET_EXTENT_NO_SPACE, ENOSPC},
    {EXT2_ET_TOOSMALL, ENOSPC},
    {EXT2_ET_FILE_TOO_BIG, EFBIG},
    {EXT2_ET_EA_KEY_NOT_FOUND, ENODATA},
    {EXT2_ET_EA_BAD_NAME_LEN, ERANGE},
    {EXT2_ET_INVALID_ARGUMENT, EINVAL},
    {EXT2_ET_UNIMPLEMENTED, EOPNOTSUPP},
    {EXT2_ET_OP_NOT_SUPPORTED, EOPNOTSUPP},
    {EXT2_ET_EXTENT_NOT_SUPPORTED, EOPNOTSUPP},
    {EXT2_ET_MISSING_EA_FEATURE, EOPNOTSUPP},
    {EXT2_ET_SYMLINK_LOOP, ELOOP},
    {EXT2_ET_TOO_MANY_REFS, EMLINK},
    {EXT2_ET_SHORT_READ, EIO},
    {EXT2_ET_SHORT_WRITE, EIO},
};

}  // namespace

bool is_corruption(Error e) {
  if (e.raw == EUCLEAN)
    return true;
  for (long c : kCorruptCodes)
    if (c == e.raw)
      return true;
  return false;
}

int to_errno(Error e) {
  if (e.raw > 0 && e.raw < 256)
    return static_cast<int>(e.raw);
  if (is_corruption(e))
    return EUCLEAN;
  for (const auto& m : kMapped)
    if (m.code == e.raw)
      return m.err;
  if (e.raw != EXT2_ET_SHORT_READ && e.raw != EXT2_ET_SHORT_WRITE)
    F4_ERROR("unexpected libext2fs error %ld (%s), reporting EIO", e.raw, describe(e));
  return EIO;
}

const char* describe(Error e) {
  if (e.raw > 0 && e.raw < 256)
    return strerror(static_cast<int>(e.raw));
  // libext2fs does not register its message table itself; without it
  // every refusal and log line says "Unknown code ext2 N".
  // (Its initialize_ function is declared without C linkage; the table
  // itself, a global variable, links either way.)
  static const bool registered = [] {
    add_error_table(&et_ext2_error_table);
    return true;
  }();
  (void)registered;
  return error_message(e.raw);
}

}  // namespace f4::ext2
