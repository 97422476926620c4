// SPDX-License-Identifier: GPL-2.0
#include "util/unmount_helper.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace f4::util {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string read_mountinfo() {
  std::ifstream f("/proc/self/mountinfo");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// In the helper: keep CAP_SYS_ADMIN (for umount2) and nothing else.
bool keep_only_sys_admin() {
  for (int cap = 0; cap <= 63; cap++) {
    if (cap != CAP_SYS_ADMIN && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return false;
  }
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective = CAP_TO_MASK(CAP_SYS_ADMIN);
  data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted = CAP_TO_MASK(CAP_SYS_ADMIN);
  if (syscall(SYS_capset, &hdr, data) != 0)
    return false;
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

// Runs in the child of a fork made before any thread exists (libfuse
// starts its threads only when serving), so it may allocate.
[[noreturn]] void helper_main(int fd, const std::string& mountpoint, const std::string& dev) {
  // Only the pipe stays open: holding /dev/fuse would keep a dead
  // connection alive, holding the image would keep it busy.
  int nul = open("/dev/null", O_RDWR);
  if (nul >= 0) {
    dup2(nul, 0);
    dup2(nul, 1);
    dup2(nul, 2);
  }
  if (fd != 3) {
    dup2(fd, 3);
    fd = 3;
  }
  close_range(4, ~0U, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2})
    signal(sig, SIG_IGN);
  if (chdir("/") != 0)
    _exit(1);
  prctl(PR_SET_NAME, "fuse4fs-unmount", 0, 0, 0);
  openlog("fuse4fs-unmount", LOG_PID, LOG_DAEMON);
  if (!keep_only_sys_admin()) {
    syslog(LOG_ERR, "cannot drop capabilities: %m");
    _exit(1);
  }
  for (;;) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n == 0 || (n < 0 && errno != EINTR))
      break;  // end of file: every copy of the write end is closed
  }
  // The server is gone.  Its mount, if still there, is dead: detach it.
  if (mount_dev_at(read_mountinfo(), mountpoint) == dev) {
    if (umount2(mountpoint.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
      syslog(LOG_ERR, "cannot unmount %s: %m", mountpoint.c_str());
  }
  _exit(0);
}

}  // namespace

std::string mount_dev_at(std::string_view mountinfo, std::string_view mountpoint) {
  std::string dev;
  std::istringstream in{std::string(mountinfo)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string id, parent, majmin, root, mp;
    if (!(l >> id >> parent >> majmin >> root >> mp))
      continue;
    if (unescape(mp) == mountpoint)
      dev = majmin;  // later lines are mounted on top of earlier ones
  }
  return dev;
}

Expected<void, std::string> start_unmount_helper(const std::string& mountpoint) {
  std::string dev = mount_dev_at(read_mountinfo(), mountpoint);
  if (dev.empty())
    return Unexpected<std::string>{"cannot find the new mount at " + mountpoint + " in mountinfo"};
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    return Unexpected<std::string>{std::string("pipe: ") + strerror(errno)};
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return Unexpected<std::string>{std::string("fork: ") + strerror(e)};
  }
  if (pid == 0) {
    close(p[1]);
    helper_main(p[0], mountpoint, dev);
  }
  close(p[0]);
  return {};  // p[1] stays open for the life of the process
}

}  // namespace f4::util
