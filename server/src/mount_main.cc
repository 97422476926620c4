// SPDX-License-Identifier: GPL-2.0
//
// mount.fuse4fs: the mount(8) helper, so that `mount -t fuse4fs` and fstab
// lines work.  It turns mount(8)'s calling convention into fuse4fs's and
// runs the fuse4fs next to it (same directory), which mounts and then
// detaches, so mount(8) returns once the filesystem is mounted.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "options.h"

namespace {

// fuse4fs in the directory of this program, else from $PATH.
std::string fuse4fs_path() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir.erase(dir.rfind('/') + 1);
    std::string candidate = dir + "fuse4fs";
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "fuse4fs";
}

}  // namespace

static int real_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    fputs(f4::kMountUsage, stdout);
    return 0;
  }
  bool fake = false;
  auto out = f4::mount_helper_args(args, &fake);
  if (!out.ok()) {
    fprintf(stderr, "mount.fuse4fs: %s\n%s", out.error().c_str(), f4::kMountUsage);
    return 1;
  }
  if (fake)
    return 0;
  std::string prog = fuse4fs_path();
  std::vector<char*> av{const_cast<char*>(prog.c_str())};
  for (auto& a : *out)
    av.push_back(a.data());
  av.push_back(nullptr);
  execvp(prog.c_str(), av.data());
  fprintf(stderr, "mount.fuse4fs: cannot run %s: %s\n", prog.c_str(), strerror(errno));
  return 1;
}

// Only the request paths are exception-free by design; setup may still
// run out of memory.  Say so instead of terminating with an abort.
int main(int argc, char** argv) {
  try {
    return real_main(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "mount.fuse4fs: %s\n", e.what());
    return 1;
  }
}
