// SPDX-License-Identifier: GPL-2.0
//
// JBD2 journal replay, written from the on-disk format
// (Documentation/filesystems/ext4/journal.rst in the kernel tree).
//
// Terms: the journal is an inode whose logical blocks 0..maxlen-1 hold a
// superblock (block 0) and a circular log in [first, maxlen).  A log
// position is a logical journal block; the journal inode's block map turns
// it into a device block.  The log starts at s_start with transaction
// s_sequence; each transaction is descriptor blocks (each followed by the
// data blocks its tags describe), revoke blocks and one commit block, all
// stamped with the transaction's sequence number.  The log ends at the
// first block that is not a JBD2 block of the expected sequence.
#include "ext2/journal.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ext2/error.h"

namespace f4::ext2 {

namespace {

using util::Expected;
using util::Unexpected;

constexpr uint32_t kMagic = 0xC03B3998;

// Header block types.
constexpr uint32_t kDescriptorBlock = 1;
constexpr uint32_t kCommitBlock = 2;
constexpr uint32_t kSuperblockV1 = 3;
constexpr uint32_t kSuperblockV2 = 4;
constexpr uint32_t kRevokeBlock = 5;

constexpr uint32_t kCompatChecksum = 0x1;
constexpr uint32_t kIncompatRevoke = 0x1;
constexpr uint32_t kIncompat64Bit = 0x2;
constexpr uint32_t kIncompatAsyncCommit = 0x4;
constexpr uint32_t kIncompatCsumV2 = 0x8;
constexpr uint32_t kIncompatCsumV3 = 0x10;
constexpr uint32_t kIncompatFastCommit = 0x20;
constexpr uint32_t kIncompatKnown = kIncompatRevoke | kIncompat64Bit | kIncompatAsyncCommit |
                                    kIncompatCsumV2 | kIncompatCsumV3 | kIncompatFastCommit;
constexpr uint8_t kChecksumCrc32c = 4;

// Tag flags.
constexpr uint32_t kTagEscaped = 0x1;
constexpr uint32_t kTagSameUuid = 0x2;
constexpr uint32_t kTagLast = 0x8;

// Byte offsets in the journal superblock (all fields big-endian).
constexpr size_t kSbBlockSize = 0x0C;
constexpr size_t kSbMaxLen = 0x10;
constexpr size_t kSbFirst = 0x14;
constexpr size_t kSbSequence = 0x18;
constexpr size_t kSbStart = 0x1C;
constexpr size_t kSbErrno = 0x20;
constexpr size_t kSbCompat = 0x24;
constexpr size_t kSbIncompat = 0x28;
constexpr size_t kSbUuid = 0x30;
constexpr size_t kSbChecksumType = 0x50;
constexpr size_t kSbChecksum = 0xFC;
constexpr size_t kSbSize = 1024;

constexpr size_t kHeaderSize = 12;      // magic, block type, sequence
constexpr size_t kTailSize = 4;         // checksum at the end of descriptor and revoke blocks
constexpr size_t kCommitChecksum = 16;  // h_chksum[0] in a commit block
constexpr size_t kUuidSize = 16;

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint64_t be64(const uint8_t* p) {
  return (uint64_t{be32(p)} << 32) | be32(p + 4);
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint32_t crc32c(uint32_t seed, const uint8_t* p, size_t len) {
  return ext2fs_crc32c_le(seed, p, len);
}

// crc32c of @buf with the 4 bytes at @at taken as zero.
uint32_t crc32c_without(uint32_t seed, const std::vector<uint8_t>& buf, size_t at, size_t len) {
  uint32_t c = crc32c(seed, buf.data(), at);
  const uint8_t zero[4] = {};
  c = crc32c(c, zero, 4);
  return crc32c(c, buf.data() + at + 4, len - at - 4);
}

Unexpected<JournalError> corrupt(const std::string& why) {
  return {JournalError{JournalFailure::kCorrupt, "corrupt journal: " + why}};
}

Unexpected<JournalError> unsupported(const std::string& why) {
  return {JournalError{JournalFailure::kUnsupported, why}};
}

Unexpected<JournalError> io_error(const std::string& what, long err) {
  return {JournalError{JournalFailure::kIo, what + ": " + describe(util::Error{err})}};
}

// One data block of a transaction: where it goes and where it is logged.
struct LoggedBlock {
  uint64_t target;
  uint32_t pos;  // log position of the data
  uint32_t flags;
  uint32_t checksum;  // from the tag (16 bits with checksum v2)
};

struct Transaction {
  uint32_t sequence = 0;
  std::vector<LoggedBlock> blocks;
  std::vector<uint64_t> revoked;
};

class Journal {
 public:
  explicit Journal(ext2_filsys fs) : fs_(fs), bs_(fs->blocksize) {}

  Expected<ReplayStats, JournalError> run(ReplayMode mode);

 private:
  Expected<void, JournalError> map_block(uint32_t lblk);
  Expected<void, JournalError> load_superblock();
  Expected<void, JournalError> read_log(uint32_t pos, std::vector<uint8_t>& buf) const;
  Expected<void, JournalError> scan();
  Expected<void, JournalError> parse_descriptor(const std::vector<uint8_t>& b, Transaction& tx,
                                                uint32_t& pos, uint32_t& used);
  Expected<void, JournalError> parse_revoke(const std::vector<uint8_t>& b, Transaction& tx) const;
  bool tail_ok(const std::vector<uint8_t>& b) const;
  uint32_t next(uint32_t pos) const { return pos + 1 == maxlen_ ? first_ : pos + 1; }
  size_t tag_bytes() const;
  bool checksummed() const { return csum_v2_ || csum_v3_; }
  Expected<void, JournalError> write_superblock(uint32_t next_sequence);

  ext2_filsys fs_;
  unsigned bs_;
  ext2_inode inode_{};
  std::vector<blk64_t> map_;  // log position -> device block
  std::vector<uint8_t> sb_;
  uint32_t maxlen_ = 0, first_ = 0, start_ = 0, sequence_ = 0;
  int32_t errno_ = 0;
  bool is64_ = false, csum_v2_ = false, csum_v3_ = false, v2_ = false, fast_commit_ = false;
  uint32_t seed_ = 0;
  std::vector<Transaction> committed_;
};

Expected<void, JournalError> Journal::map_block(uint32_t lblk) {
  blk64_t phys = 0;
  long err =
      ext2fs_bmap2(fs_, fs_->super->s_journal_inum, &inode_, nullptr, 0, lblk, nullptr, &phys);
  if (err)
    return corrupt("cannot map journal block " + std::to_string(lblk) + ": " +
                   describe(util::Error{err}));
  if (phys == 0)
    return corrupt("journal block " + std::to_string(lblk) + " is a hole");
  if (phys < fs_->super->s_first_data_block || phys >= ext2fs_blocks_count(fs_->super))
    return corrupt("journal block " + std::to_string(lblk) + " maps outside the filesystem (" +
                   std::to_string(phys) + ")");
  map_.push_back(phys);
  return {};
}

Expected<void, JournalError> Journal::load_superblock() {
  struct ext2_super_block* es = fs_->super;
  if (ext2fs_has_feature_journal_dev(es))
    return unsupported("this is an external journal device, not a filesystem");
  if (!ext2fs_has_feature_journal(es))
    return corrupt("the filesystem needs recovery but has no journal");
  if (es->s_journal_inum == 0)
    return unsupported(
        "the journal is on an external device; replaying it is not supported (mount it with "
        "kernel ext4, or -o ro,norecovery)");
  long err = ext2fs_read_inode(fs_, es->s_journal_inum, &inode_);
  if (err)
    return io_error("cannot read the journal inode", err);
  if (!LINUX_S_ISREG(inode_.i_mode))
    return corrupt("the journal inode is not a regular file");
  uint64_t size_blocks = EXT2_I_SIZE(&inode_) / bs_;
  if (size_blocks < 4)
    return corrupt("the journal inode is too small (" + std::to_string(size_blocks) + " blocks)");

  F4_TRY_VOID(map_block(0));
  sb_.resize(bs_);
  F4_TRY_VOID(read_log(0, sb_));
  const uint8_t* s = sb_.data();
  if (be32(s) != kMagic)
    return corrupt("bad journal superblock magic");
  uint32_t type = be32(s + 4);
  if (type != kSuperblockV1 && type != kSuperblockV2)
    return corrupt("bad journal superblock type " + std::to_string(type));
  v2_ = type == kSuperblockV2;
  if (be32(s + kSbBlockSize) != bs_)
    return corrupt("journal block size " + std::to_string(be32(s + kSbBlockSize)) +
                   " differs from the filesystem's " + std::to_string(bs_));
  maxlen_ = be32(s + kSbMaxLen);
  first_ = be32(s + kSbFirst);
  sequence_ = be32(s + kSbSequence);
  start_ = be32(s + kSbStart);
  errno_ = static_cast<int32_t>(be32(s + kSbErrno));
  if (maxlen_ > size_blocks)
    return corrupt("the journal superblock claims " + std::to_string(maxlen_) +
                   " blocks, the journal inode has " + std::to_string(size_blocks));
  if (first_ == 0 || first_ >= maxlen_ || maxlen_ - first_ < 2)
    return corrupt("bad log bounds (first " + std::to_string(first_) + ", length " +
                   std::to_string(maxlen_) + ")");
  if (start_ != 0 && (start_ < first_ || start_ >= maxlen_))
    return corrupt("log start " + std::to_string(start_) + " is outside the log");

  if (v2_) {
    uint32_t compat = be32(s + kSbCompat);
    uint32_t incompat = be32(s + kSbIncompat);
    if (incompat & ~kIncompatKnown)
      return unsupported("the journal has unknown incompatible features (0x" +
                         std::to_string(incompat & ~kIncompatKnown) + ")");
    fast_commit_ = incompat & kIncompatFastCommit;
    is64_ = incompat & kIncompat64Bit;
    csum_v2_ = incompat & kIncompatCsumV2;
    csum_v3_ = incompat & kIncompatCsumV3;
    if (csum_v2_ && csum_v3_)
      return corrupt("both checksum v2 and v3 are set");
    if (compat & kCompatChecksum) {
      if (checksummed())
        return corrupt("checksum v1 is set together with v2/v3");
      return unsupported(
          "the journal uses v1 commit checksums, which fuse4fs does not replay; mount it once "
          "with kernel ext4, or use -o ro,norecovery");
    }
    if (checksummed()) {
      if (s[kSbChecksumType] != kChecksumCrc32c)
        return corrupt("unknown checksum type " + std::to_string(s[kSbChecksumType]));
      std::vector<uint8_t> sb1(sb_.begin(), sb_.begin() + kSbSize);
      uint32_t want = be32(s + kSbChecksum);
      if (crc32c_without(~0u, sb1, kSbChecksum, kSbSize) != want)
        return corrupt("bad journal superblock checksum");
      seed_ = crc32c(~0u, s + kSbUuid, kUuidSize);
    }
  }
  return {};
}

Expected<void, JournalError> Journal::read_log(uint32_t pos, std::vector<uint8_t>& buf) const {
  long err = io_channel_read_blk64(fs_->io, map_[pos], 1, buf.data());
  if (err)
    return io_error("cannot read journal block " + std::to_string(pos), err);
  return {};
}

size_t Journal::tag_bytes() const {
  if (csum_v3_)
    return 16;
  size_t sz = 12;  // block number, 16-bit checksum, 16-bit flags, high block number
  if (csum_v2_)
    sz += 2;
  return is64_ ? sz : sz - 4;
}

bool Journal::tail_ok(const std::vector<uint8_t>& b) const {
  if (!checksummed())
    return true;
  return crc32c_without(seed_, b, bs_ - kTailSize, bs_) == be32(b.data() + bs_ - kTailSize);
}

Expected<void, JournalError> Journal::parse_descriptor(const std::vector<uint8_t>& b,
                                                       Transaction& tx, uint32_t& pos,
                                                       uint32_t& used) {
  if (!tail_ok(b))
    return corrupt("bad descriptor block checksum at log block " + std::to_string(pos));
  size_t tb = tag_bytes();
  size_t end = bs_ - (checksummed() ? kTailSize : 0);
  size_t off = kHeaderSize;
  uint32_t len = maxlen_ - first_;
  while (off + tb <= end) {
    const uint8_t* t = b.data() + off;
    uint64_t target = be32(t);
    uint32_t flags, csum;
    if (csum_v3_) {
      flags = be32(t + 4);
      if (is64_)
        target |= uint64_t{be32(t + 8)} << 32;
      csum = be32(t + 12);
    } else {
      csum = be16(t + 4);
      flags = be16(t + 6);
      if (is64_)
        target |= uint64_t{be32(t + 8)} << 32;
    }
    off += tb;
    if (!(flags & kTagSameUuid))
      off += kUuidSize;
    if (++used >= len)
      return corrupt("the log runs over its own start");
    pos = next(pos);
    tx.blocks.push_back({target, pos, flags, csum});
    if (flags & kTagLast)
      break;
  }
  return {};
}

Expected<void, JournalError> Journal::parse_revoke(const std::vector<uint8_t>& b,
                                                   Transaction& tx) const {
  if (!tail_ok(b))
    return corrupt("bad revoke block checksum");
  size_t count = be32(b.data() + kHeaderSize);
  size_t end = bs_ - (checksummed() ? kTailSize : 0);
  size_t rec = is64_ ? 8 : 4;
  if (count < kHeaderSize + 4 || count > end)
    return corrupt("bad revoke block size " + std::to_string(count));
  for (size_t off = kHeaderSize + 4; off + rec <= count; off += rec)
    tx.revoked.push_back(is64_ ? be64(b.data() + off) : be32(b.data() + off));
  return {};
}

// Walk the log from its start, collect the committed transactions.  A
// transaction without its commit block ends the log and is dropped, as a
// crash during its commit leaves it.
Expected<void, JournalError> Journal::scan() {
  std::vector<uint8_t> b(bs_);
  uint32_t len = maxlen_ - first_;
  uint32_t pos = start_, seq = sequence_, used = 0;
  Transaction tx{seq, {}, {}};
  for (;;) {
    if (used >= len)
      return corrupt("the log runs over its own start");
    F4_TRY_VOID(read_log(pos, b));
    if (be32(b.data()) != kMagic || be32(b.data() + 8) != seq)
      break;
    uint32_t type = be32(b.data() + 4);
    if (type == kDescriptorBlock) {
      F4_TRY_VOID(parse_descriptor(b, tx, pos, used));
    } else if (type == kRevokeBlock) {
      if (v2_ && !(be32(sb_.data() + kSbIncompat) & kIncompatRevoke))
        return corrupt("revoke block in a journal without the revoke feature");
      F4_TRY_VOID(parse_revoke(b, tx));
    } else if (type == kCommitBlock) {
      if (checksummed() &&
          crc32c_without(seed_, b, kCommitChecksum, bs_) != be32(b.data() + kCommitChecksum))
        return corrupt("bad commit block checksum in transaction " + std::to_string(seq));
      committed_.push_back(std::move(tx));
      seq++;
      tx = Transaction{seq, {}, {}};
    } else {
      return corrupt("unknown block type " + std::to_string(type) + " at log block " +
                     std::to_string(pos));
    }
    pos = next(pos);
    used++;
  }
  return {};
}

Expected<void, JournalError> Journal::write_superblock(uint32_t next_sequence) {
  uint8_t* s = sb_.data();
  put_be32(s + kSbSequence, next_sequence);
  put_be32(s + kSbStart, 0);
  put_be32(s + kSbErrno, 0);
  if (checksummed()) {
    std::vector<uint8_t> sb1(sb_.begin(), sb_.begin() + kSbSize);
    put_be32(s + kSbChecksum, crc32c_without(~0u, sb1, kSbChecksum, kSbSize));
  }
  long err = io_channel_write_blk64(fs_->io, map_[0], 1, sb_.data());
  if (!err)
    err = io_channel_flush(fs_->io);
  if (err)
    return io_error("cannot write the journal superblock", err);
  return {};
}

Expected<ReplayStats, JournalError> Journal::run(ReplayMode mode) {
  F4_TRY_VOID(load_superblock());
  ReplayStats st;
  st.journal_errno = errno_;
  if (start_ == 0) {
    // Empty log; only the recorded error (if any) is to be cleared.
    if (mode == ReplayMode::kWrite && errno_ != 0)
      F4_TRY_VOID(write_superblock(sequence_));
    return st;
  }
  // The fast-commit area after the log is only looked at when the log
  // itself needs replaying.
  if (fast_commit_)
    return unsupported(
        "the journal uses fast commits, which fuse4fs does not replay; mount it once with "
        "kernel ext4, or use -o ro,norecovery");
  map_.reserve(maxlen_);
  for (uint32_t l = 1; l < maxlen_; l++)
    F4_TRY_VOID(map_block(l));
  {
    // A journal that maps two positions to one block would read back
    // what the replay writes: a loop.  A real journal never does.
    std::vector<blk64_t> sorted = map_;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return corrupt("two journal blocks map to the same device block");
  }
  F4_TRY_VOID(scan());
  st.transactions = static_cast<uint32_t>(committed_.size());

  // The newest committed transaction revoking a block wins over any
  // transaction up to it; later transactions may log the block again.
  std::unordered_map<uint64_t, uint32_t> revoked;
  for (const auto& tx : committed_)
    for (uint64_t blk : tx.revoked)
      revoked[blk] = tx.sequence;

  std::unordered_set<blk64_t> journal_blocks(map_.begin(), map_.end());
  uint64_t nblocks = ext2fs_blocks_count(fs_->super);
  std::map<uint64_t, const LoggedBlock*> final_copy;  // target -> newest logged copy
  std::vector<uint8_t> b(bs_);
  for (const auto& tx : committed_) {
    uint8_t seq_be[4];
    put_be32(seq_be, tx.sequence);
    for (const auto& lb : tx.blocks) {
      if (lb.target >= nblocks)
        return corrupt("transaction " + std::to_string(tx.sequence) + " writes block " +
                       std::to_string(lb.target) + ", outside the filesystem");
      if (journal_blocks.count(lb.target))
        return corrupt("transaction " + std::to_string(tx.sequence) + " writes block " +
                       std::to_string(lb.target) + ", inside the journal");
      if (checksummed()) {
        F4_TRY_VOID(read_log(lb.pos, b));
        uint32_t c = crc32c(crc32c(seed_, seq_be, 4), b.data(), bs_);
        if (csum_v3_ ? c != lb.checksum : (c & 0xffff) != lb.checksum)
          return corrupt("bad checksum of the copy of block " + std::to_string(lb.target) +
                         " in transaction " + std::to_string(tx.sequence));
      }
      auto r = revoked.find(lb.target);
      if (r != revoked.end() && r->second >= tx.sequence) {
        st.blocks_revoked++;
        continue;
      }
      final_copy[lb.target] = &lb;
    }
  }
  if (mode == ReplayMode::kCheck) {
    st.blocks_written = final_copy.size();
    return st;
  }

  for (const auto& [target, lb] : final_copy) {
    F4_TRY_VOID(read_log(lb->pos, b));
    if (lb->flags & kTagEscaped)
      put_be32(b.data(), kMagic);
    long err = io_channel_write_blk64(fs_->io, target, 1, b.data());
    if (err)
      return io_error("cannot write block " + std::to_string(target), err);
    st.blocks_written++;
  }
  long err = io_channel_flush(fs_->io);
  if (err)
    return io_error("cannot flush the replayed blocks", err);
  // The next transaction number skips one past the last one seen, so a
  // stale block of an unfinished transaction can never look current.
  uint32_t end = sequence_ + static_cast<uint32_t>(committed_.size());
  F4_TRY_VOID(write_superblock(end + 1));
  return st;
}

}  // namespace

Expected<ReplayStats, JournalError> replay_journal(ext2_filsys fs, ReplayMode mode) {
  Journal j(fs);
  return j.run(mode);
}

}  // namespace f4::ext2
