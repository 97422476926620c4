// SPDX-License-Identifier: GPL-2.0
//
// fuse4fs: serve an ext2/3/4 image through FUSE.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ext2/filesystem.h"
#include "fuse/session.h"
#include "options.h"
#include "util/log.h"
#include "util/privilege.h"

namespace {

int exit_status(f4::ext2::OpenFailure kind) {
  switch (kind) {
    case f4::ext2::OpenFailure::kCannotOpen:
      return 2;
    case f4::ext2::OpenFailure::kCorrupt:
      return 3;
    case f4::ext2::OpenFailure::kUnsupported:
      return 4;
    case f4::ext2::OpenFailure::kNeedsRecovery:
      return 5;
    case f4::ext2::OpenFailure::kReadOnlyDevice:
      return 6;
  }
  return 2;
}

// Replay the journal before anything is mounted.  Started as root, the
// replay runs in a child that drops its privileges first and writes
// through the device opened here; this process then re-reads the
// filesystem.  A refused journal leaves nothing mounted.
int recover(f4::ext2::Filesystem& fs, const std::optional<f4::util::Credentials>& drop_to) {
  using namespace f4;
  if (!drop_to) {
    auto r = fs.recover();
    if (!r.ok()) {
      fprintf(stderr, "fuse4fs: %s\n", r.error().reason.c_str());
      return exit_status(r.error().kind);
    }
    return 0;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    perror("fuse4fs: pipe");
    return 2;
  }
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fuse4fs: fork");
    return 2;
  }
  if (pid == 0) {
    close(pipefd[0]);
    auto d = util::drop_privileges(*drop_to);
    if (!d.ok()) {
      F4_ERROR("privilege drop failed: %s", d.error().c_str());
      _exit(fuse::kExitPrivilege);
    }
    auto r = fs.replay();
    if (!r.ok()) {
      fprintf(stderr, "fuse4fs: %s\n", r.error().reason.c_str());
      _exit(exit_status(r.error().kind));
    }
    ext2::ReplayStats st = *r;
    bool sent = write(pipefd[1], &st, sizeof(st)) == static_cast<ssize_t>(sizeof(st));
    _exit(sent ? 0 : 2);
  }
  close(pipefd[1]);
  ext2::ReplayStats st;
  ssize_t n = read(pipefd[0], &st, sizeof(st));
  close(pipefd[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus)) {
    fprintf(stderr, "fuse4fs: the journal replay died (signal %d)\n", WTERMSIG(wstatus));
    return 5;
  }
  if (WEXITSTATUS(wstatus) != 0)
    return WEXITSTATUS(wstatus);
  if (n != static_cast<ssize_t>(sizeof(st))) {
    fprintf(stderr, "fuse4fs: the journal replay reported nothing\n");
    return 5;
  }
  auto r = fs.finish_recovery(st);
  if (!r.ok()) {
    fprintf(stderr, "fuse4fs: %s\n", r.error().reason.c_str());
    return exit_status(r.error().kind);
  }
  return 0;
}

}  // namespace

static int real_main(int argc, char** argv) {
  using namespace f4;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto opts = parse_options(args);
  if (!opts.ok()) {
    fprintf(stderr, "fuse4fs: %s\n%s", opts.error().c_str(), kUsage);
    return 1;
  }
  if (opts->help) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (opts->debug)
    util::set_log_level(util::LogLevel::kDebug);

  // Resolve the user before anything is opened: a typo fails early.
  std::optional<util::Credentials> drop_to;
  if (geteuid() == 0 || opts->uid || opts->gid || opts->user) {
    auto c = util::resolve_credentials(opts->user, opts->uid, opts->gid);
    if (!c.ok()) {
      fprintf(stderr, "fuse4fs: %s\n", c.error().c_str());
      return 1;
    }
    drop_to = *c;
  }

#ifdef FUSE4FS_HAVE_IOMAP_MOUNT
  constexpr bool kLibraryHasIomap = true;
#else
  constexpr bool kLibraryHasIomap = false;
#endif
  // Resolved here, not by libfuse's iomap=auto, because root_nodeid=
  // must be given only to fuse_iomap.ko.
  auto client = choose_client(opts->iomap, kLibraryHasIomap, access(kIomapDevice, F_OK) == 0);
  if (!client.ok()) {
    fprintf(stderr, "fuse4fs: %s\n", client.error().c_str());
    return fuse::kExitFuse;
  }
  F4_DEBUG("mounting through %s", *client == Client::kIomap ? kIomapDevice : "/dev/fuse");

  auto fs = ext2::Filesystem::open({.path = opts->image,
                                    .access = opts->access,
                                    .errors = opts->errors,
                                    .norecovery = opts->norecovery});
  if (!fs.ok()) {
    fprintf(stderr, "fuse4fs: %s\n", fs.error().reason.c_str());
    return exit_status(fs.error().kind);
  }

  if ((*fs)->recovery_pending()) {
    int st = recover(**fs, drop_to);
    if (st)
      return st;
  }

  fuse::SessionOptions so;
  so.mountpoint = opts->mountpoint;
  so.fuse_args = f4::fuse_args(*opts, *client, kLibraryHasIomap);
  if (*client == Client::kIomap)
    so.node_ids = fuse::kInodeNodeIds;
  so.foreground = opts->foreground;
  if (drop_to) {
    so.unmount_helper = true;
    so.after_mount = [to = *drop_to] {
      auto r = util::drop_privileges(to);
      if (!r.ok()) {
        F4_ERROR("privilege drop failed: %s", r.error().c_str());
        return false;
      }
      F4_DEBUG("running as uid %u gid %u without capabilities", to.uid, to.gid);
      return true;
    };
  }
  fuse::Server server(std::move(fs).value(), std::move(so));
  return fuse::run(server);
}

// Only the request paths are exception-free by design; setup may still
// run out of memory.  Say so instead of terminating with an abort.
int main(int argc, char** argv) {
  try {
    return real_main(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "fuse4fs: %s\n", e.what());
    return 1;
  }
}
