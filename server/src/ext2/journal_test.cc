// SPDX-License-Identifier: GPL-2.0
//
// Journal replay on journals written here, block by block, into the
// journal inode of a fresh mke2fs image; and a fuzzer over the journal
// blocks of such an image.  The comparison with kernel ext4's own replay
// is the VM test tests/vm/journal.sh.
#include "ext2/journal.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ext2/filesystem.h"
#include "ext2/test_image.h"

namespace f4::ext2 {
namespace {

using testing::TempDir;
using Block = std::vector<uint8_t>;

constexpr uint32_t kMagic = 0xC03B3998;
constexpr uint32_t k64Bit = 0x2;
constexpr uint32_t kCsumV2 = 0x8;
constexpr uint32_t kCsumV3 = 0x10;
constexpr uint32_t kRevoke = 0x1;
constexpr uint32_t kFastCommit = 0x20;

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_all(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

struct Tag {
  uint64_t target;
  Block data;
  bool escape = false;
};

// An image and a writer of JBD2 blocks into its journal.
class JournalImage {
 public:
  explicit JournalImage(const TempDir& d, const std::string& size = "16M") {
    img_ = testing::make_image(d, "", {.fstype = "ext4", .size = size});
    ext2_filsys fs = nullptr;
    EXPECT_EQ(ext2fs_open2(img_.c_str(), nullptr, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs), 0);
    if (!fs)
      return;
    bs_ = fs->blocksize;
    nblocks_ = ext2fs_blocks_count(fs->super);
    ext2_inode inode;
    EXPECT_EQ(ext2fs_read_inode(fs, fs->super->s_journal_inum, &inode), 0);
    uint64_t n = EXT2_I_SIZE(&inode) / bs_;
    for (uint64_t l = 0; l < n; l++) {
      blk64_t p = 0;
      EXPECT_EQ(ext2fs_bmap2(fs, fs->super->s_journal_inum, &inode, nullptr, 0, l, nullptr, &p), 0);
      map_.push_back(p);
    }
    EXPECT_EQ(ext2fs_read_bitmaps(fs), 0);
    // Free blocks from the end: replay targets that don't disturb fsck.
    for (blk64_t b = nblocks_ - 1; b > 0 && free_.size() < 8; b--)
      if (!ext2fs_test_block_bitmap2(fs->block_map, b))
        free_.push_back(b);
    ext2fs_free(fs);
    sb_ = read(0);
  }

  const std::string& path() const { return img_; }
  unsigned bs() const { return bs_; }
  uint64_t nblocks() const { return nblocks_; }
  uint64_t free_block(size_t i) const { return free_.at(i); }
  blk64_t journal_block(uint32_t pos) const { return map_.at(pos); }
  uint32_t first() const { return get32(sb_.data() + 0x14); }
  uint32_t maxlen() const { return get32(sb_.data() + 0x10); }

  Block read(uint32_t pos) const { return read_fs(map_.at(pos)); }
  Block read_fs(uint64_t blk) const {
    Block b(bs_);
    int fd = open(img_.c_str(), O_RDONLY);
    EXPECT_EQ(pread(fd, b.data(), bs_, static_cast<off_t>(blk * bs_)), ssize_t(bs_));
    close(fd);
    return b;
  }
  void write_fs(uint64_t blk, const Block& b) const {
    int fd = open(img_.c_str(), O_WRONLY);
    EXPECT_EQ(pwrite(fd, b.data(), bs_, static_cast<off_t>(blk * bs_)), ssize_t(bs_));
    close(fd);
  }
  void put(uint32_t pos, const Block& b) const { write_fs(map_.at(pos), b); }

  void set_features(uint32_t incompat) {
    incompat_ = incompat;
    put32(sb_.data() + 0x28, incompat);
    if (csum())
      sb_[0x50] = 4;  // crc32c
    seed_ = ext2fs_crc32c_le(~0u, sb_.data() + 0x30, 16);
  }

  // Say the log starts at @pos with transaction @seq; set needs_recovery.
  void make_dirty(uint32_t pos, uint32_t seq) {
    put32(sb_.data() + 0x18, seq);
    put32(sb_.data() + 0x1C, pos);
    seal_sb();
    put(0, sb_);
    ASSERT_EQ(testing::run("debugfs -w -R 'feature needs_recovery' '" + img_ + "' >/dev/null 2>&1"),
              0);
  }
  void seal_sb() {
    if (!csum())
      return;
    put32(sb_.data() + 0xFC, 0);
    put32(sb_.data() + 0xFC, ext2fs_crc32c_le(~0u, sb_.data(), 1024));
  }

  Block header(uint32_t type, uint32_t seq) const {
    Block b(bs_, 0);
    put32(b.data(), kMagic);
    put32(b.data() + 4, type);
    put32(b.data() + 8, seq);
    return b;
  }

  // Write a transaction at @pos: a descriptor, its data blocks, optional
  // revoke block, then (if @commit) the commit block.  Returns the next
  // free log position.
  uint32_t transaction(uint32_t pos, uint32_t seq, const std::vector<Tag>& tags,
                       const std::vector<uint64_t>& revokes = {}, bool commit = true) {
    if (!tags.empty()) {
      Block d = header(1, seq);
      size_t off = 12;
      for (size_t i = 0; i < tags.size(); i++) {
        const Tag& t = tags[i];
        uint32_t flags = (i ? 2 : 0) | (i + 1 == tags.size() ? 8 : 0) | (t.escape ? 1 : 0);
        uint8_t* p = d.data() + off;
        uint8_t seq_be[4];
        put32(seq_be, seq);
        uint32_t c = ext2fs_crc32c_le(ext2fs_crc32c_le(seed_, seq_be, 4), t.data.data(), bs_);
        if (incompat_ & kCsumV3) {
          put32(p, static_cast<uint32_t>(t.target));
          put32(p + 4, flags);
          put32(p + 8, static_cast<uint32_t>(t.target >> 32));
          put32(p + 12, c);
          off += 16;
        } else {
          put32(p, static_cast<uint32_t>(t.target));
          put16(p + 4, static_cast<uint16_t>(c));
          put16(p + 6, static_cast<uint16_t>(flags));
          size_t sz = 8;
          if (incompat_ & k64Bit) {
            put32(p + 8, static_cast<uint32_t>(t.target >> 32));
            sz += 4;
          }
          if (incompat_ & kCsumV2)
            sz += 2;
          off += sz;
        }
        if (i == 0)
          off += 16;  // the UUID after the first tag
      }
      seal_tail(d);
      put(pos, d);
      pos = next(pos);
      for (const Tag& t : tags) {
        put(pos, t.data);
        pos = next(pos);
      }
    }
    if (!revokes.empty()) {
      Block r = header(5, seq);
      size_t rec = (incompat_ & k64Bit) ? 8 : 4;
      size_t off = 16;
      for (uint64_t blk : revokes) {
        if (rec == 8) {
          put32(r.data() + off, static_cast<uint32_t>(blk >> 32));
          put32(r.data() + off + 4, static_cast<uint32_t>(blk));
        } else {
          put32(r.data() + off, static_cast<uint32_t>(blk));
        }
        off += rec;
      }
      put32(r.data() + 12, static_cast<uint32_t>(off));
      seal_tail(r);
      put(pos, r);
      pos = next(pos);
    }
    if (commit) {
      Block c = header(2, seq);
      if (csum()) {
        c[12] = 4;
        c[13] = 4;
        put32(c.data() + 16, ext2fs_crc32c_le(seed_, c.data(), bs_));
      }
      put(pos, c);
      pos = next(pos);
    }
    return pos;
  }

  uint32_t next(uint32_t pos) const { return pos + 1 == maxlen() ? first() : pos + 1; }
  bool csum() const { return incompat_ & (kCsumV2 | kCsumV3); }
  void seal_tail(Block& b) const {
    // The checksum covers the whole block with its own field zeroed.
    if (!csum())
      return;
    put32(b.data() + bs_ - 4, 0);
    put32(b.data() + bs_ - 4, ext2fs_crc32c_le(seed_, b.data(), bs_));
  }

 private:
  std::string img_;
  unsigned bs_ = 0;
  uint64_t nblocks_ = 0;
  std::vector<blk64_t> map_;
  std::vector<uint64_t> free_;
  Block sb_;
  uint32_t incompat_ = 0;
  uint32_t seed_ = 0;
};

Block filled(unsigned bs, uint8_t v) {
  return Block(bs, v);
}

// Open read-write and replay as fuse4fs does; returns the error text.
std::string mount_rw(const std::string& img) {
  auto fs = Filesystem::open({.path = img, .access = Access::kReadWrite});
  if (!fs.ok())
    return "open: " + fs.error().reason;
  if (!(*fs)->recovery_pending())
    return "no recovery pending";
  auto r = (*fs)->recover();
  if (!r.ok())
    return r.error().reason;
  auto c = (*fs)->close();
  return c.ok() ? "" : "close failed";
}

bool needs_recovery(const std::string& img) {
  return testing::run("dumpe2fs -h '" + img + "' 2>/dev/null | grep -q needs_recovery") == 0;
}

class Replay : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Replay, CommittedRevokedAndUnfinishedTransactions) {
  TempDir d;
  JournalImage j(d);
  j.set_features(GetParam() | kRevoke);
  unsigned bs = j.bs();
  uint64_t a = j.free_block(0), b = j.free_block(1), c = j.free_block(2), e = j.free_block(3);
  Block before_c = j.read_fs(c);
  Block escaped = filled(bs, 0x5e);
  put32(escaped.data(), kMagic);
  Block stored = escaped;
  put32(stored.data(), 0);

  uint32_t seq = 77;
  uint32_t pos = j.first() + 3;
  // tx 77: a=A, b=B, c=C.  tx 78: revoke c, a=A2.  tx 79: e=escaped.
  // tx 80: not committed, writes b=X.
  pos = j.transaction(pos, seq, {{a, filled(bs, 'A')}, {b, filled(bs, 'B')}, {c, filled(bs, 'C')}});
  pos = j.transaction(pos, seq + 1, {{a, filled(bs, 'a')}}, {c});
  pos = j.transaction(pos, seq + 2, {{e, stored, true}});
  j.transaction(pos, seq + 3, {{b, filled(bs, 'X')}}, {}, false);
  j.make_dirty(j.first() + 3, seq);

  ASSERT_EQ(mount_rw(j.path()), "");
  EXPECT_EQ(j.read_fs(a), filled(bs, 'a'));
  EXPECT_EQ(j.read_fs(b), filled(bs, 'B'));
  EXPECT_EQ(j.read_fs(c), before_c);
  EXPECT_EQ(j.read_fs(e), escaped);
  Block sb = j.read(0);
  EXPECT_EQ(get32(sb.data() + 0x1C), 0u);       // s_start: empty
  EXPECT_EQ(get32(sb.data() + 0x18), seq + 4);  // past the unfinished one
  EXPECT_FALSE(needs_recovery(j.path()));
  EXPECT_EQ(testing::fsck(j.path()), 0);
}

TEST_P(Replay, LogWrapsAroundTheEnd) {
  TempDir d;
  JournalImage j(d);
  j.set_features(GetParam());
  unsigned bs = j.bs();
  uint64_t a = j.free_block(0), b = j.free_block(1);
  uint32_t start = j.maxlen() - 2;
  uint32_t pos = j.transaction(start, 5, {{a, filled(bs, 1)}, {b, filled(bs, 2)}});
  EXPECT_EQ(pos, j.first() + 2);
  j.make_dirty(start, 5);
  ASSERT_EQ(mount_rw(j.path()), "");
  EXPECT_EQ(j.read_fs(a), filled(bs, 1));
  EXPECT_EQ(j.read_fs(b), filled(bs, 2));
  EXPECT_EQ(testing::fsck(j.path()), 0);
}

TEST_P(Replay, RevokeThenRelogReplaysTheNewCopy) {
  TempDir d;
  JournalImage j(d);
  j.set_features(GetParam() | kRevoke);
  unsigned bs = j.bs();
  uint64_t a = j.free_block(0);
  uint32_t pos = j.first();
  pos = j.transaction(pos, 1, {{a, filled(bs, 1)}});
  pos = j.transaction(pos, 2, {}, {a});
  j.transaction(pos, 3, {{a, filled(bs, 3)}});
  j.make_dirty(j.first(), 1);
  ASSERT_EQ(mount_rw(j.path()), "");
  EXPECT_EQ(j.read_fs(a), filled(bs, 3));
}

INSTANTIATE_TEST_SUITE_P(Features, Replay,
                         ::testing::Values(0u, k64Bit, kCsumV2, kCsumV3, k64Bit | kCsumV3,
                                           k64Bit | kCsumV2));

// A refused journal leaves every byte of the image as it was.
void expect_refused(const JournalImage& j, const std::string& why) {
  std::string before = read_all(j.path());
  std::string err = mount_rw(j.path());
  EXPECT_NE(err.find(why), std::string::npos) << err;
  EXPECT_TRUE(read_all(j.path()) == before) << "image changed: " << err;
}

TEST(ReplayRefuses, BadSuperblockMagicChecksumAndBlockSize) {
  TempDir d;
  JournalImage j(d);
  j.set_features(kCsumV3);
  j.transaction(j.first(), 1, {{j.free_block(0), filled(j.bs(), 1)}});
  j.make_dirty(j.first(), 1);
  Block sb = j.read(0);
  Block bad = sb;
  bad[0x20] ^= 1;  // s_errno: checksum no longer matches
  j.put(0, bad);
  expect_refused(j, "bad journal superblock checksum");
  bad = sb;
  bad[0] ^= 0xff;
  j.put(0, bad);
  expect_refused(j, "bad journal superblock magic");
}

TEST(ReplayRefuses, TargetsOutsideTheFilesystemOrInsideTheJournal) {
  TempDir d;
  JournalImage j(d);
  j.set_features(k64Bit | kCsumV3);
  j.transaction(j.first(), 1, {{j.nblocks() + 5, filled(j.bs(), 1)}});
  j.make_dirty(j.first(), 1);
  expect_refused(j, "outside the filesystem");
  j.transaction(j.first(), 1, {{uint64_t{1} << 40, filled(j.bs(), 1)}});
  expect_refused(j, "outside the filesystem");
  j.transaction(j.first(), 1, {{j.journal_block(7), filled(j.bs(), 1)}});
  expect_refused(j, "inside the journal");
}

TEST(ReplayRefuses, BadBlockChecksums) {
  TempDir d;
  JournalImage j(d);
  j.set_features(kCsumV3);
  uint32_t f = j.first();
  j.transaction(f, 9, {{j.free_block(0), filled(j.bs(), 1)}});
  j.make_dirty(f, 9);
  Block data = j.read(f + 1);
  data[100] ^= 1;
  j.put(f + 1, data);
  expect_refused(j, "bad checksum of the copy");
  data[100] ^= 1;
  j.put(f + 1, data);
  Block desc = j.read(f);
  desc[20] ^= 1;
  j.put(f, desc);
  expect_refused(j, "bad descriptor block checksum");
  desc[20] ^= 1;
  j.put(f, desc);
  Block commit = j.read(f + 2);
  commit[40] ^= 1;
  j.put(f + 2, commit);
  expect_refused(j, "bad commit block checksum");
}

TEST(ReplayRefuses, ALogThatNeverEnds) {
  TempDir d;
  JournalImage j(d);
  uint32_t pos = j.first();
  uint32_t seq = 1;
  // Commit blocks all round: the log comes back to its start.
  for (uint32_t n = j.first(); n < j.maxlen(); n++)
    pos = j.transaction(pos, seq++, {});
  j.make_dirty(j.first(), 1);
  expect_refused(j, "runs over its own start");
}

TEST(ReplayRefuses, FastCommitsAndExternalJournals) {
  TempDir d;
  JournalImage j(d);
  j.set_features(kFastCommit);
  j.transaction(j.first(), 1, {{j.free_block(0), filled(j.bs(), 1)}});
  j.make_dirty(j.first(), 1);
  expect_refused(j, "fast commits");
}

TEST(Replay, ReadOnlyMountRefusesWithTheNorecoveryHint) {
  TempDir d;
  JournalImage j(d);
  j.transaction(j.first(), 1, {{j.free_block(0), filled(j.bs(), 1)}});
  j.make_dirty(j.first(), 1);
  std::string before = read_all(j.path());
  auto ro = Filesystem::open({.path = j.path(), .access = Access::kReadOnly});
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.error().kind, OpenFailure::kNeedsRecovery);
  EXPECT_NE(ro.error().reason.find("norecovery"), std::string::npos);
  auto nr = Filesystem::open({.path = j.path(), .access = Access::kReadOnly, .norecovery = true});
  ASSERT_TRUE(nr.ok());
  EXPECT_TRUE((*nr)->close().ok());
  EXPECT_TRUE(read_all(j.path()) == before);
}

TEST(Replay, EmptyLogOnlyClearsTheFlag) {
  TempDir d;
  JournalImage j(d);
  j.make_dirty(0, 12);
  ASSERT_EQ(mount_rw(j.path()), "");
  EXPECT_FALSE(needs_recovery(j.path()));
  EXPECT_EQ(testing::fsck(j.path()), 0);
}

// Random damage to the journal of a dirty image: whatever happens, no
// crash or hang, and a refusal leaves the image as it was.  The number of
// cases comes from F4_JOURNAL_FUZZ_CASES (default 300).
TEST(JournalFuzz, RefusalsLeaveTheImageUntouched) {
  TempDir d;
  JournalImage j(d, "8M");
  uint32_t features = k64Bit | kRevoke;
  unsigned cases = 300;
  if (const char* env = std::getenv("F4_JOURNAL_FUZZ_CASES"))
    cases = static_cast<unsigned>(std::strtoul(env, nullptr, 10));
  unsigned seed = 1;
  if (const char* env = std::getenv("F4_JOURNAL_FUZZ_SEED"))
    seed = static_cast<unsigned>(std::strtoul(env, nullptr, 10));
  unsigned bs = j.bs();
  std::mt19937 rng(seed);
  // Two dirty journals, without and with checksums: without, damage
  // reaches the parsers; with, the checksums must catch it.
  std::string pristine[2];
  uint32_t f = j.first();
  uint32_t end = 0;
  for (int csum = 0; csum < 2; csum++) {
    j.set_features(features | (csum ? kCsumV3 : 0));
    uint32_t pos =
        j.transaction(f, 40, {{j.free_block(0), filled(bs, 1)}, {j.free_block(1), filled(bs, 2)}});
    pos = j.transaction(pos, 41, {{j.free_block(2), filled(bs, 3)}}, {j.free_block(1)});
    end = j.transaction(pos, 42, {{j.free_block(3), filled(bs, 4)}});
    j.make_dirty(f, 40);
    pristine[csum] = read_all(j.path());
  }
  unsigned refused = 0, replayed = 0;
  for (unsigned n = 0; n < cases; n++) {
    write_all(j.path(), pristine[n % 4 != 0]);
    // 1-8 mutations: flipped bytes or small or random words, in the
    // journal superblock or the log.
    unsigned muts = 1 + rng() % 8;
    for (unsigned m = 0; m < muts; m++) {
      uint32_t p = rng() % 5 == 0 ? 0 : f + rng() % (end - f + 1);
      Block b = j.read(p);
      size_t off = rng() % (p == 0 ? 1024 : bs);
      if (rng() % 2)
        b[off] ^= static_cast<uint8_t>(1 + rng() % 255);
      else if (off + 4 <= bs)
        put32(b.data() + off, rng() % 3 == 0 ? static_cast<uint32_t>(rng()) : rng() % 64);
      j.put(p, b);
    }
    std::string damaged = read_all(j.path());
    std::string err = mount_rw(j.path());
    if (err.empty()) {
      replayed++;
    } else {
      refused++;
      ASSERT_TRUE(read_all(j.path()) == damaged) << "case " << n << " changed the image: " << err;
    }
  }
  RecordProperty("refused", static_cast<int>(refused));
  RecordProperty("replayed", static_cast<int>(replayed));
  std::printf("journal fuzz: %u cases, %u refused, %u replayed\n", cases, refused, replayed);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace f4::ext2
