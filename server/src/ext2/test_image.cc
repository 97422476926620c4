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

}  // namespace f4::ext2::testing
