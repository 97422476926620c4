// SPDX-License-Identifier: GPL-2.0
//
// Test images: a temporary directory with an image made by mke2fs -d.
#pragma once

#include <string>
#include <vector>

#include "ext2/filesystem.h"

namespace f4::ext2::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Create a file (and its parent directories) under the directory.
  void write_file(const std::string& rel, const std::string& data) const;

 private:
  std::string path_;
};

struct ImageSpec {
  std::string fstype = "ext4";  // mke2fs -t
  std::string size = "16M";
  std::vector<std::string> extra;  // more mke2fs arguments
};

// Make an image from the content of @content (may be empty) and return
// its path, inside @dir.  Fails the test (ADD_FAILURE) if mke2fs fails.
std::string make_image(const TempDir& dir, const std::string& content, const ImageSpec& spec);

// Run a shell command, return its exit status.
int run(const std::string& cmd);

// e2fsck -fn on @image; 0 if clean.
int fsck(const std::string& image);

std::unique_ptr<Filesystem> open_or_die(const std::string& image, Access access);

// An I/O manager (OpenOptions::io) that passes everything to
// unix_io_manager but fails chosen writes with EIO, to test error paths.
io_manager fault_io_manager();
// From now on, the @nth write (1 for the next) that covers filesystem
// block @block fails, once.  Replaces an earlier plan.
void fail_nth_write(blk64_t block, int nth);
// No more failures; returns how many were injected since the last plan.
int clear_write_faults();

}  // namespace f4::ext2::testing
