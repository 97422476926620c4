// SPDX-License-Identifier: GPL-2.0
#include "ext2/test_image.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace f4::ext2::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "fuse4fs-test.XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write_file(const std::string& rel, const std::string& data) const {
  auto p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

int run(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::string make_image(const TempDir& dir, const std::string& content, const ImageSpec& spec) {
  std::string img = dir.path() + "/" + spec.fstype + ".img";
  std::string cmd = "mke2fs -q -F -b 4096 -t " + spec.fstype + " -E root_owner=0:0";
  for (const auto& e : spec.extra)
    cmd += " " + e;
  if (!content.empty())
    cmd += " -d '" + content + "'";
  cmd += " '" + img + "' " + spec.size + " >/dev/null 2>&1";
  EXPECT_EQ(run(cmd), 0) << cmd;
  return img;
}

int fsck(const std::string& image) {
  return run("e2fsck -fn '" + image + "' >/dev/null 2>&1");
}

std::unique_ptr<Filesystem> open_or_die(const std::string& image, Access access) {
  auto r = Filesystem::open({.path = image, .access = access});
  if (!r.ok()) {
    ADD_FAILURE() << "open " << image << ": " << r.error().reason;
    return nullptr;
  }
  return std::move(r).value();
}

namespace {

struct FaultPlan {
  blk64_t block = 0;
  int left = 0;  // writes of @block until the failing one; 0: none planned
  int injected = 0;
};
FaultPlan fault_plan;
struct_io_manager fault_manager;

// A negative count is a byte count; blocks are the channel's block size.
bool covers(io_channel ch, unsigned long long block, int count, blk64_t target) {
  unsigned long long n =
      count >= 0
          ? static_cast<unsigned long long>(count)
          : (static_cast<unsigned long long>(-count) + static_cast<unsigned>(ch->block_size) - 1) /
                static_cast<unsigned>(ch->block_size);
  return target >= block && target < block + n;
}

bool should_fail(io_channel ch, unsigned long long block, int count) {
  if (fault_plan.left <= 0 || !covers(ch, block, count, fault_plan.block))
    return false;
  if (--fault_plan.left > 0)
    return false;
  fault_plan.injected++;
  return true;
}

errcode_t fault_write_blk64(io_channel ch, unsigned long long block, int count, const void* data) {
  if (should_fail(ch, block, count))
    return EIO;
  return unix_io_manager->write_blk64(ch, block, count, data);
}

errcode_t fault_write_blk(io_channel ch, unsigned long block, int count, const void* data) {
  return fault_write_blk64(ch, block, count, data);
}

errcode_t fault_open(const char* name, int flags, io_channel* channel) {
  errcode_t err = unix_io_manager->open(name, flags, channel);
  if (!err)
    (*channel)->manager = &fault_manager;
  return err;
}

}  // namespace

io_manager fault_io_manager() {
  fault_manager = *unix_io_manager;
  fault_manager.name = "fuse4fs test fault I/O manager";
  fault_manager.open = fault_open;
  fault_manager.write_blk = fault_write_blk;
  fault_manager.write_blk64 = fault_write_blk64;
  return &fault_manager;
}

void fail_nth_write(blk64_t block, int nth) {
  fault_plan = {block, nth, 0};
}

int clear_write_faults() {
  int n = fault_plan.injected;
  fault_plan = {};
  return n;
}

}  // namespace f4::ext2::testing
